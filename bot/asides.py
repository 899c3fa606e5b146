"""What a shopper may ask at any point of the dialogue, beside telling their story: a deep link or a scanned
parametric code that names an instrument, a case's status, and a rating of a closed case; and, between stories,
what follows a receipt: the name or phone it asked for, more words for the case or a wish to withdraw it, "how is
my case going", a rating in words (and its comment); photos, which join the story at any step; a day's pause,
after which the shopper continues or starts again; and what is said out of turn (在吗, 好的, 修改 in the middle of a
story; 修改 or 「地点」 at a question)."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from bot import settling
from bot.conversation import QUESTIONS, Button, Draft, Event, Reply, Step
from bot.questions import next_question, reask
from bot.texts import card_reply, case_reply, preview
from bot.turn import Turn, World, say, texts_of
from bot.understanding.case_words import (
    added_to_case,
    asks_progress,
    asks_when_handled,
    wants_withdrawal,
    without_add_cue,
)
from bot.understanding.chatter import is_chatter, is_gratitude, is_thanks, small_talk
from bot.understanding.contact import looks_like_name, name_and_phone
from bot.understanding.corrections import story_correction
from bot.understanding.facts import amounts_in
from bot.understanding.words import (
    BUTTON_DATA,
    CONFIRM_YES,
    FIX_WORDS,
    LOSS_TOLD,
    PHOTOS,
    REF,
    says_no,
    word_rating,
    words,
)
from complaints.submission import SubmissionError, clean_name, clean_phone
from qr.codes import normalise_code

FOLLOW_UP = timedelta(hours=2)  # how long after a receipt a name or phone is taken as the one it asked for
STILL_HANDLED = timedelta(days=90)  # 「什么时候处理」 is about a case received this long ago and still being handled


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


async def case_status(turn: Turn, ref: str, event: Event, world: World, none: str | None = None) -> Turn:
    """进度 REF: that case, if it is this user's; a bare 进度: the user's own cases, or the message ``none``."""
    if not ref:
        return await own_cases(turn, event, world, none=none or "cases.none")
    if not REF.match(ref):
        return say(turn, "status.usage")
    ref = ref.upper()
    case = await world.case(ref, event.channel, event.chat_user)
    if case is None:
        return say(turn, "case.not_found", ref=ref)
    t = texts_of(turn)
    turn.replies.append(await settling.with_settling(case_reply(case, t, world.status_url(ref)), case, world, t))
    return turn


async def own_cases(turn: Turn, event: Event, world: World, none: str = "cases.none") -> Turn:
    """「我那个投诉怎么样了」, a bare 「进度」: the user's own cases from this chat (never anybody else's); the
    message ``none`` when there are none."""
    cases = await world.own_cases(event.channel, event.chat_user)
    t = texts_of(turn)
    if not cases:
        return say(turn, none)
    if len(cases) == 1:
        reply = case_reply(cases[0], t, world.status_url(cases[0].ref))
        turn.replies.append(await settling.with_settling(reply, cases[0], world, t))
        return turn
    lines = [t("cases.mine")]
    lines += [t("cases.line", ref=case.ref, status=t(f"case_status.{case.status.value}")) for case in cases]
    lines.append(t("cases.more"))
    turn.replies.append(Reply("\n".join(lines)))
    return turn


async def follow_up(turn: Turn, text: str, event: Event, world: World) -> Turn | None:
    """Between stories: a question after the user's cases, a rating in words for a case that awaits one, or the
    name or phone a recent receipt asked for; None when the words are none of these (a new story)."""
    if asks_progress(text):
        return await own_cases(turn, event, world)
    when, thanks = asks_when_handled(text), is_thanks(text)
    if (when or thanks) and await world.recent_case(event.channel, event.chat_user, STILL_HANDLED, lacking=False):
        # after a case still being handled: 「你们什么时候处理」 is asking after it, 谢谢 is answered in kind
        return await own_cases(turn, event, world) if when else say(turn, "chatter.thanks")
    if when:  # 「你们什么时候处理」 with nothing being handled: the cases there are, or that there is none yet
        return await own_cases(turn, event, world, none="cases.none_yet")
    if is_gratitude(text):  # 谢谢 after a question answered, or with nothing in hand: not the greeting again
        return say(turn, "chatter.welcome")
    score = word_rating(text)
    if score is not None:
        rated = await rate(turn, None, score, event, world, quiet=True)
        if rated is not None:
            return rated
        # 「4分吧」 for a case still being handled: it is rated once closed; with no case at all, small talk
        handled = await world.recent_case(event.channel, event.chat_user, STILL_HANDLED, lacking=False)
        return say(turn, "rate.not_closed", ref=handled.ref) if handled is not None else say(turn, "chatter")
    # the contact the receipt asked for first (「补充一下 张三 138…」 is never words of the case a merchant may read)
    joined = await _contact_joined(turn, text, event, world) or await _correction_joined(turn, text, event, world)
    return joined if joined is not None else await _words_joined(turn, text, event, world)


async def _contact_joined(turn: Turn, text: str, event: Event, world: World) -> Turn | None:
    """The name or phone a recent receipt asked for, joined to that case; None when the words hold none of them."""
    text = without_add_cue(text)
    if _contact_in(text, ("name", "phone")) == ("", ""):
        return None  # neither a name nor a phone: read no further (no query on the dialogue's hot path)
    recent = await world.recent_case(event.channel, event.chat_user, FOLLOW_UP)
    if recent is None:
        return None
    name, phone = _contact_in(text, recent.missing)
    if not name and not phone:
        return None
    added = await world.add_contact(event.channel, event.chat_user, recent.ref, name, phone)
    if not added:
        return None
    t = texts_of(turn)
    facts = "、".join(t(f"fact.{fact}") for fact in added)
    lines = [t("contact.added", ref=recent.ref, facts=facts)]
    still = [fact for fact in recent.missing if fact not in added]
    if still:
        lines.append(t("submitted.missing", facts="、".join(t(f"fact.{fact}") for fact in still)))
    turn.replies.append(Reply("\n".join(lines)))
    return turn


async def _correction_joined(turn: Turn, text: str, event: Event, world: World) -> Turn | None:
    """「地点写错了 是东街菜市场」 soon after a receipt: that case is sent, so the correction joins it as words its
    handler sees (never a new story); None for other words, or with no case received lately."""
    if story_correction(text) is None:
        return None
    recent = await world.recent_case(event.channel, event.chat_user, FOLLOW_UP, lacking=False)
    if recent is None:
        return None
    joined = await world.add_words(event.channel, event.chat_user, recent.ref, text.strip())
    key = "case.correction_added" if joined else "case.words_not_added"
    return say(turn, key, ref=recent.ref, hotline=world.hotline)


async def _words_joined(turn: Turn, text: str, event: Event, world: World) -> Turn | None:
    """「再补充一下 老板还骂人」: joined to the newest case still handled; None for other words, or when no case is
    being handled (a new story)."""
    added = added_to_case(text)
    if added is None:
        return None
    recent = await world.recent_case(event.channel, event.chat_user, STILL_HANDLED, lacking=False)
    if recent is None:
        return None
    if not added:  # 「补充一下」 alone: how to send the words, so that they join the case and start no story
        return say(turn, "case.words_how", ref=recent.ref)
    joined = await world.add_words(event.channel, event.chat_user, recent.ref, added)
    return say(turn, "case.words_added" if joined else "case.words_not_added", ref=recent.ref, hotline=world.hotline)


async def cancel(turn: Turn, text: str, event: Event, world: World) -> Turn:
    """取消 or 算了: the story being told is dropped. 「撤销投诉」 drops it too; with none being told it is about a
    case already sent (:func:`withdraw`)."""
    # after small talk the step is account with nothing told: nothing in hand to drop
    had = turn.draft.texts or turn.draft.paused or turn.draft.chosen or turn.step not in {Step.idle, Step.account}
    if not had and wants_withdrawal(text):
        return await withdraw(turn, event, world)
    turn.step, turn.draft = Step.idle, Draft()
    return say(turn, "cancelled" if had else "nothing_to_cancel")


async def withdraw(turn: Turn, event: Event, world: World) -> Turn:
    """「撤销投诉」 with no story being told: the handler of the newest case still handled is told, and confirms."""
    recent = await world.recent_case(event.channel, event.chat_user, STILL_HANDLED, lacking=False)
    if recent is None or not await world.ask_withdrawal(event.channel, event.chat_user, recent.ref):
        return say(turn, "case.withdraw_none")
    return say(turn, "case.withdrawal_asked", ref=recent.ref)


def _contact_in(text: str, missing: tuple[str, ...]) -> tuple[str, str]:
    """The name and phone in a message sent after a receipt that asked for them ("" for what it does not hold)."""
    named, number = name_and_phone(text)
    phone = ""
    if number and "phone" in missing:
        with contextlib.suppress(SubmissionError):
            phone = clean_phone(number)
    name = ""
    if "name" in missing and (looks_like_name(named) or (phone and named and len(named) <= 20)):
        with contextlib.suppress(SubmissionError):
            name = clean_name(named)
    return name, phone


async def rate(
    turn: Turn, ref: str | None, score: int, event: Event, world: World, *, quiet: bool = False
) -> Turn | None:
    """Rate the named case, or the latest one awaiting a rating; ``quiet``: None when there is none (the words
    were a rating only if a case awaited one)."""
    outcome, rated_ref = await world.rate(event.channel, event.chat_user, ref.upper() if ref else None, score)
    if quiet and outcome == "not_found":
        return None
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


def pause(turn: Turn) -> None:
    turn.draft = Draft(paused={"step": turn.step.value, "draft": turn.draft.to_json()})
    turn.step = Step.paused


async def photo_after_receipt(turn: Turn, event: Event, world: World) -> Turn | None:
    """A photo between stories within two hours of a receipt is evidence for that case (a timeline event the
    handler sees), not the start of a new story; None when there is no such case."""
    if turn.step is not Step.idle or turn.draft.paused:
        return None
    recent = await world.recent_case(event.channel, event.chat_user, FOLLOW_UP, lacking=False)
    if recent is None:
        return None
    if recent.photos >= world.max_photos:
        return say(turn, "ack.photo_limit", limit=world.max_photos)
    turn.photos, turn.photos_for = (event.media,), recent.ref
    return say(turn, "photo.added_to_case", ref=recent.ref)


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


async def on_remark(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The words after a rating are its comment, unless skipped."""
    rated = turn.draft.rated
    turn.step, turn.draft = Step.idle, Draft()
    if meaning in {"skip", "done"}:
        return say(turn, "rate.comment_skipped")
    taken = await world.remark(event.channel, event.chat_user, rated, text)
    return say(turn, "rate.comment_thanks" if taken else "rate.comment_refused")


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


_ANSWERED_IN_STORY = ("chatter.hours", "chatter.human")  # about this channel: its own answer, then the story goes on


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
    if words(text) in CONFIRM_YES or meaning == "skip":  # 是, 可以, 跳过: agreeing or passing tells nothing
        return "ack.finish"
    if says_no(text):
        if PHOTOS.search(text) and Step.photos.value not in turn.draft.asked:
            turn.draft.asked.append(Step.photos.value)
        return "ack.finish"
    return None


# The steps whose message carries each kind of button (bot/texts.py, bot/telling.py); 「改为…」 is taken at any
# question or the summary before this is asked.
_BUTTON_STEPS = {"intent": {Step.choose}, "offer": {Step.account}, "fix": {Step.fix}, "same": {Step.where}}


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
