"""What a shopper may do at any point of the dialogue, beside telling their story: a deep link or a scanned
parametric code that names an instrument; 取消 (and 「撤销投诉」, which bot.following takes to the case sent); photos,
which join the story at any step; a day's pause, after which the shopper continues or starts again; a request to
delete their data; and what is said out of turn (在吗, 好的, 修改, 「公平秤在哪」 in the middle of a story; 修改 or
「地点」 at a question). What follows a receipt is bot.following."""

from __future__ import annotations

from bot import following
from bot.conversation import QUESTIONS, Button, Draft, Event, Reply, Step
from bot.questions import next_question, reask
from bot.texts import card_reply, preview
from bot.turn import Turn, World, say, texts_of
from bot.understanding.case_words import wants_withdrawal
from bot.understanding.chatter import is_chatter, is_thanks, small_talk
from bot.understanding.facts import amounts_in
from bot.understanding.words import (
    BUTTON_DATA,
    CONFIRM_YES,
    FIX_WORDS,
    LOSS_TOLD,
    PHOTOS,
    says_no,
    words,
)
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


async def cancel(turn: Turn, text: str, event: Event, world: World) -> Turn:
    """取消 or 算了: the story being told is dropped. 「撤销投诉」 drops it too; with none being told it is about a
    case already sent (:func:`withdraw`)."""
    # after small talk the step is account with nothing told: nothing in hand to drop
    had = turn.draft.texts or turn.draft.paused or turn.draft.chosen or turn.step not in {Step.idle, Step.account}
    if not had and wants_withdrawal(text):
        return await following.withdraw(turn, event, world)
    turn.step, turn.draft = Step.idle, Draft()
    return say(turn, "cancelled" if had else "nothing_to_cancel")


def pause(turn: Turn) -> None:
    turn.draft = Draft(paused={"step": turn.step.value, "draft": turn.draft.to_json()})
    turn.step = Step.paused


_ASKED_BESIDE_A_PHOTO = frozenset({Step.choose, Step.where, Step.when, Step.amounts, Step.name, Step.phone})


def photo(turn: Turn, media: str, world: World) -> Turn:
    draft = turn.draft
    target = Draft.from_json(draft.paused["draft"]) if draft.paused else draft
    if len(target.photos) >= world.max_photos:
        return say(turn, "ack.photo_limit", limit=world.max_photos)
    target.photos.append(media)
    if draft.paused:
        draft.paused = {**draft.paused, "draft": target.to_json()}
        return say(turn, "ack.photo", count=len(target.photos))
    if turn.step is Step.idle:
        turn.step = Step.account
    say(turn, "ack.photo", count=len(draft.photos))
    if turn.step is Step.account and not draft.texts:
        turn.replies.append(Reply(texts_of(turn)("ack.empty_account")))
    elif turn.step is Step.photos:
        done = Button(texts_of(turn)("button.done"), data="done")
        turn.replies.append(Reply(texts_of(turn)("ask.photos.more"), ((done,),)))
    elif turn.step in _ASKED_BESIDE_A_PHOTO:  # the question still stands: a bare 「好了」 next would answer it unseen
        reask(turn, world)
    return turn


async def on_paused(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Back after a pause: continue the earlier story, start again, or (anything else) be asked which."""
    draft = turn.draft
    assert draft.paused is not None
    pending = [part for part in (draft.pending, text if meaning not in {"resume", "restart"} else "") if part]
    if meaning == "resume":
        turn.draft = Draft.from_json(draft.paused["draft"])
        turn.draft.texts.extend(pending)
        turn.step = Step(draft.paused["step"])
        turn.replies.append(Reply(texts_of(turn)("resumed")))
        return reask(turn, world)
    if meaning == "restart":
        turn.draft, turn.step = Draft(texts=pending), Step.account
        turn.replies.append(Reply(texts_of(turn)("restarted")))
        return reask(turn, world)
    draft.pending = "\n".join(pending)
    earlier = Draft.from_json(draft.paused["draft"]).account or draft.pending
    buttons = (
        (
            Button(texts_of(turn)("button.resume"), data="resume"),
            Button(texts_of(turn)("button.restart"), data="restart"),
        ),
    )
    turn.replies.append(Reply(texts_of(turn)("expired", preview=preview(earlier)), buttons))
    return turn


async def erase(turn: Turn, event: Event, world: World) -> Turn:
    """「删除我的信息」: a request to delete the personal data of every case from this chat, each case told what
    became of it (recorded, kept while the case is handled, under a legal hold, already asked, nothing held). The
    dialogue in progress, if any, is left as it was."""
    outcomes = await world.erase(event.channel, event.chat_user)
    t = texts_of(turn)
    if not outcomes:
        return say(turn, "erase.none")
    lines = [t("erase.heading")] + [t(f"erase.{outcome}", ref=ref) for ref, outcome in outcomes]
    turn.replies.append(Reply("\n".join(lines)))
    return turn


# Out of turn: words in the middle of a story that are not part of it, and 修改 or a field's name at a question.
_REOPENED = frozenset({Step.where, Step.when, Step.amounts, Step.name, Step.phone})  # 「地点」 at a question


async def reopen(turn: Turn, text: str, meaning: str | None, world: World) -> Turn | None:
    """「修改」 or a field's name (「地点」) at a question, before the summary: that field's question again, then this
    one; 修改 alone is told that the summary comes before anything is sent, and this question stands. None for any
    other words, or at any other step."""
    field = FIX_WORDS.get(words(text))
    if turn.step not in QUESTIONS or not (meaning == "change" or field in _REOPENED):
        return None
    if field is None:
        turn.replies.append(Reply(texts_of(turn)("fix.later")))
        return reask(turn, world)
    turn.draft.asked = [asked for asked in turn.draft.asked if asked not in {field.value, turn.step.value}]
    return await next_question(turn, world)


async def question_in_story(turn: Turn, text: str, world: World) -> Turn | None:
    """「南门菜场的公平秤在哪」 in the middle of a story: a shopper who was just sold short wants to re-weigh now. It is
    answered at once (the fair scale of the story's instrument or market) and the story waits, not sent; None for
    words that are no such question, or that tell more of the story (a loss, amounts)."""
    if not turn.draft.texts or LOSS_TOLD.search(text) or amounts_in(text):
        return None
    answer = await world.where_to_reweigh(text, turn.draft.code, turn.draft.account)
    if answer is None:
        return None
    t = texts_of(turn)
    turn.replies.append(Reply(answer.english if turn.language == "en" else answer.chinese))
    turn.replies.append(Reply(t("ack.answered_in_story"), ((Button(t("button.done"), data="done"),),)))
    return turn


# about this channel: its own answer, then the story goes on
_ANSWERED_IN_STORY = ("chatter.hours", "chatter.human", "chatter.scope")


def aside_in_story(turn: Turn, text: str, meaning: str | None) -> str | None:
    """Words in the middle of a story that are not part of it, and the message that answers them: 在吗 (still
    here), 好的 (how to finish, not 「在的」), 修改 (the summary comes first), 「没拍照」 (not asked later). None for
    the story's own words."""
    if not turn.draft.texts:
        return None
    if is_thanks(text):  # 感谢你们, 辛苦了: how to finish
        return "ack.finish"
    if (talk := small_talk(text)) in _ANSWERED_IN_STORY:  # 「你们周末上班吗」 mid-story: never the story's time
        return f"{talk}.more"
    if is_chatter(text):
        return "chatter.more"
    if meaning == "change":
        return "fix.later"
    if says_no(text) and PHOTOS.search(text):  # 「没有照片」「没拍」: the photo question is answered already
        if Step.photos.value not in turn.draft.asked:
            turn.draft.asked.append(Step.photos.value)
        return "ack.finish"
    if words(text) in CONFIRM_YES or meaning == "skip" or says_no(text):  # 是, 跳过, 没有: tells nothing
        return "ack.finish"
    return None


# The steps whose message carries each kind of button (bot/texts.py, bot/telling.py); 「改为…」 is taken at any
# question or the summary before this is asked.
_BUTTON_STEPS = {
    "intent": {Step.choose}, "offer": {Step.account}, "fix": {Step.fix}, "same": {Step.where}, "case": {Step.which_case}
}  # fmt: skip


def stale_button(step: Step, said: str, meaning: str | None, *, asked_about: str) -> bool:
    """A button of an earlier message, pressed (or its data typed) at a step that never shows it."""
    if meaning == "resume":  # 继续: the paused step's button (on_paused), an answer nowhere else
        return step is not Step.paused
    if said == "same":  # 「是这台」: shown at the place question only after a question about an instrument
        return step is not Step.where or not asked_about
    return BUTTON_DATA.fullmatch(said) is not None and step not in _BUTTON_STEPS[said.split(":", 1)[0]]


def no_story(text: str, meaning: str | None) -> bool:
    """好了, 跳过, 对, a button's data (typed, or tapped on an earlier message) or the name of a field to change
    (时间, 地点: what a WeChat follower types for a button of the summary), with nothing told: no story."""
    said = words(text)
    return meaning is not None or BUTTON_DATA.fullmatch(text) is not None or said in CONFIRM_YES or said in FIX_WORDS
