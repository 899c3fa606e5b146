"""What a shopper may ask at any point of the dialogue, beside telling their story: a deep link or a scanned
parametric code that names an instrument, a case's status, and a rating of a closed case."""

from __future__ import annotations

from bot.conversation import Button, Draft, Event, Reply, Step
from bot.texts import card_reply, case_reply
from bot.turn import Turn, World, say, texts_of
from bot.words import REF
from qr.codes import normalise_code


async def start(turn: Turn, payload: str, world: World) -> Turn:
    """A deep link, a follow or a parametric QR code: a new dialogue, with the instrument when one is named."""
    code = normalise_code(payload) if payload else None
    card = await world.card(code) if code else None
    if turn.step is Step.paused or not turn.draft.texts:
        turn.draft, turn.step = Draft(), Step.account
    elif turn.step is Step.idle:
        turn.step = Step.account
    if card is None:
        if payload:
            turn.replies.append(Reply(texts_of(turn)("card.unknown", code=payload[:20])))
        return say(turn, "greet")
    turn.draft.code = card.code
    turn.draft.asked = [asked for asked in turn.draft.asked if asked != Step.where.value]
    return say(turn, "greet.with_instrument", card=card_reply(card, texts_of(turn), world.today).text)


async def case_status(turn: Turn, ref: str, event: Event, world: World) -> Turn:
    if not REF.match(ref):
        return say(turn, "status.usage")
    ref = ref.upper()
    case = await world.case(ref, event.channel, event.chat_user)
    if case is None:
        return say(turn, "case.not_found", ref=ref)
    turn.replies.append(case_reply(case, texts_of(turn), world.status_url(ref)))
    return turn


async def rate(turn: Turn, ref: str | None, score: int, event: Event, world: World) -> Turn:
    outcome, rated_ref = await world.rate(event.channel, event.chat_user, ref.upper() if ref else None, score)
    if outcome == "thanks":
        say(turn, "rate.thanks", rating=score)
        if turn.step is Step.idle:  # never in the middle of telling a new story
            turn.step, turn.draft = Step.remark, Draft(rated=rated_ref)
            turn.replies.append(
                Reply(texts_of(turn)("rate.comment_ask"), ((Button(texts_of(turn)("button.skip"), data="skip"),),))
            )
        return turn
    if outcome in {"not_closed", "already"}:
        return say(turn, f"rate.{outcome}", ref=rated_ref)
    return say(turn, "rate.not_found")
