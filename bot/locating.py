"""A shopper's shared location (WeChat's location message, Telegram's location), for a shopper who does not know
the market's name.

In a story, at a question or at the summary, it answers "where": the registered market nearest it within
``lookup.geo.nearest.NEAR_M`` becomes the place, written as the market's name so that intake routes the case to
that market's station; the shopper is told which market it took (and may change it at the summary). With no market
near, the location itself (its label and "lat,lon") is kept for the handler, and the shopper is asked to name the
market. Between stories (the greeting), it answers with the nearest market's page: its fair scale and every
instrument there.
"""

from __future__ import annotations

from bot.conversation import QUESTIONS, Button, Draft, Event, Reply, Step
from bot.questions import answered, show_summary
from bot.texts import prompt
from bot.turn import Turn, World, say, texts_of
from bot.understanding.words import fold
from complaints.answers import asks_where_to_reweigh
from complaints.workflow import Intent
from lookup.geo.nearest import NEAR_M, NearMarket
from lookup.scan import InstrumentCard

# Where a location says where it happened; at the other steps (between stories, choosing 投诉 or 举报, choosing
# what to change, a pause, a rating's comment) it asks for the nearest market's page.
PLACE_STEPS = frozenset({Step.account, *QUESTIONS, Step.confirm})
LABEL_CHARS = 100
MARKET_NAME_CHARS = 20
_AROUND_A_NAME = 4  # 「南门菜场」「就是南门菜场」「在南门那个」: a market's name, not a story that names one


async def located(turn: Turn, event: Event, world: World) -> bool:
    """Take a location into the turn; True when it answered the place question with a registered market (the
    dialogue then moves on; at the summary it shows the summary again)."""
    if event.latitude is None or event.longitude is None:
        say(turn, "unsupported")
        return False
    market = await world.market_near(event.latitude, event.longitude)
    if turn.step not in PLACE_STEPS:
        _market_page(turn, market, world)
        if turn.step is Step.idle:  # "if something went wrong, just tell me": the story then happened here
            turn.draft.located = market.name if market is not None else ""
            turn.draft.position = "" if market is not None else _position(event)
        _reask(turn, world)
        return False
    t = texts_of(turn)
    if market is not None:
        turn.draft.place, turn.draft.position = market.name, ""
        if Step.where.value not in turn.draft.asked:
            turn.draft.asked.append(Step.where.value)
        say(turn, "location.place", market=market.name, metres=_metres(market))
    else:
        _far(turn, _position(event))
    if turn.step is Step.account:
        done = Button(t("button.done"), data="done")
        key = "location.go_on" if market is not None else "location.go_on.name"
        turn.replies.append(Reply(t(key), ((done,),)))
    elif turn.step is Step.where and market is None:
        dont_know = Button(t("button.dont_know"), data="skip")
        turn.replies.append(Reply(t("location.name_it"), ((dont_know,),)))
    elif turn.step not in {Step.where, Step.confirm}:
        _reask(turn, world)  # the question the location interrupted still stands
    return market is not None and turn.step is Step.where


def _far(turn: Turn, position: str) -> None:
    """No registered market near: the location is kept for the handler. At the place question or the summary it
    becomes the place (until the shopper names one); in the story the place question comes later and asks."""
    draft = turn.draft
    replaces = turn.step in {Step.where, Step.confirm} or not draft.place or draft.place == draft.position
    if replaces and turn.step is not Step.account:
        draft.place = position
    draft.position = position
    say(turn, "location.far", metres=int(NEAR_M), position=position)


def _market_page(turn: Turn, market: NearMarket | None, world: World) -> None:
    t = texts_of(turn)
    if market is None:
        turn.replies.append(Reply(t("location.none_near", metres=int(NEAR_M))))
        return
    lines = [t("location.market", market=market.name, metres=_metres(market), station=market.station)]
    if market.fair_scale_location:
        lines.append(t("location.fair_scale", where=market.fair_scale_location))
    lines.append(t("location.instruments"))
    page = Button(t("button.market_page", market=market.name), url=world.market_url(market.id))
    turn.replies.append(Reply("\n".join(lines), ((page,),)))


def _reask(turn: Turn, world: World) -> None:
    question = prompt(turn.step, turn.draft, texts_of(turn), max_photos=world.max_photos)
    if question is not None:
        turn.replies.append(question)


def _position(event: Event) -> str:
    """The location as a handler reads it: the platform's label (WeChat's address line), and the point."""
    point = f"{event.latitude:.5f},{event.longitude:.5f}"
    label = " ".join(event.text.split())[:LABEL_CHARS]
    return f"{label}（{point}）" if label else point


def _metres(market: NearMarket) -> int:
    return max(10, int(round(market.distance_m, -1)))


async def location_turn(turn: Turn, event: Event, world: World) -> Turn:
    """A shared location: a market near it answers the place question; at the summary, the summary again."""
    if await located(turn, event, world) and turn.step is Step.where:
        return await answered(turn, Step.where, world)
    return await show_summary(turn, world) if turn.step is Step.confirm else turn


async def after_receipt(draft: Draft, card: InstrumentCard | None, world: World) -> Draft:
    """The draft a receipt leaves: after a question, what it was about, for the words sent straight after (the
    instrument asked about; or the fair-scale question whose answer asked for the market's name)."""
    if draft.intent != Intent.inquiry.value:
        return Draft()
    if card is not None:
        return Draft(asked_about=card.code)
    open_market = asks_where_to_reweigh(draft.account) and await world.place_named(draft.account) is None
    return Draft(fair_scale_asked=draft.account if open_market else "")


async def fair_scale_named(turn: Turn, text: str, world: World) -> Turn | None:
    """「南门菜场」 straight after the fair-scale answer that asked for the market's name: that market's fair scale,
    answered now (the question is a case already); None for other words, which the dialogue reads as ever."""
    question, turn.draft.fair_scale_asked = turn.draft.fair_scale_asked, ""
    if not question or len(fold(text)) > MARKET_NAME_CHARS:
        return None
    place = await world.place_named(text)
    if place is None or len(fold(text).replace(fold(place), "")) > _AROUND_A_NAME:
        return None  # 「我在南门菜场买肉少了二两」 names a market in a story, which is told as ever
    answer = await world.where_to_reweigh(question, None, text)
    if answer is None:
        return None
    turn.replies.append(Reply(answer.english if turn.language == "en" else answer.chinese))
    return turn
