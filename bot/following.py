"""What follows a receipt: the shopper's own cases asked after (进度, 「我那个投诉怎么样了」, 「你们什么时候处理」,
「能不能加急」), a rating (in words too) and its comment, and what joins the case just sent rather than start a new
story: the name or phone the receipt asked for, a correction, more words (「再补充一下…」), a photo, the news that
the merchant has already put it right (「老板已经把钱退给我了」), and a wish to withdraw it."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from bot import settling
from bot.conversation import Button, Draft, Event, Reply, Step
from bot.telling import add_told
from bot.texts import case_reply
from bot.turn import Turn, World, say, texts_of
from bot.understanding.case_words import (
    added_to_case,
    asks_progress,
    asks_what_now,
    asks_when_handled,
    says_settled,
    urges,
    without_add_cue,
)
from bot.understanding.chatter import is_gratitude, is_thanks
from bot.understanding.contact import looks_like_name, name_and_phone
from bot.understanding.corrections import story_correction
from bot.understanding.facts import amounts_in, place_in
from bot.understanding.words import QUESTION, REF, fold, word_rating, words
from complaints.submission import SubmissionError, clean_name, clean_phone
from qr.codes import format_code

FOLLOW_UP = timedelta(hours=2)  # how long after a receipt a name or phone is taken as the one it asked for
STILL_HANDLED = timedelta(days=90)  # 「什么时候处理」 is about a case received this long ago and still being handled


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
    if asks_what_now(text):
        return what_now(turn)
    when, thanks = asks_when_handled(text), is_thanks(text)
    if (when or thanks) and await world.recent_case(event.channel, event.chat_user, STILL_HANDLED, lacking=False):
        # after a case still being handled: 「你们什么时候处理」 is asking after it, 谢谢 is answered in kind
        return await own_cases(turn, event, world) if when else say(turn, "chatter.thanks")
    if when:  # 「你们什么时候处理」 with nothing being handled: the cases there are, or that there is none yet
        return await own_cases(turn, event, world, none="cases.none_yet")
    pressed = await _pressed(turn, text, event, world)
    if pressed is not None:
        return pressed
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


def what_now(turn: Turn) -> Turn:
    """「那怎么办」 with nothing in hand (after an answer that the instrument is expired, say): what a complaint and
    a report each bring, to choose from; the instrument just asked about goes with the story that follows."""
    t = texts_of(turn)
    code = turn.draft.asked_about
    text = t("what_now.instrument", code=format_code(code)) if code else t("what_now")
    choices = (Button(t("button.intent.complaint"), data="投诉"), Button(t("button.intent.report"), data="举报"))
    turn.replies.append(Reply(text, (choices,)))
    return turn


async def _pressed(turn: Turn, text: str, event: Event, world: World) -> Turn | None:
    """「能不能加急」 or 「老板已经把钱退给我了」 while a case is handled: the words join it (its handler sees them) and
    the shopper is told so (and, for a matter put right, how to withdraw it); None for other words. 「能不能加急」
    with no case in hand is told there is none yet; the news of a matter put right, with none, is a story."""
    urged, settled = urges(text), says_settled(text)
    if not (urged or settled):
        return None
    recent = await world.recent_case(event.channel, event.chat_user, STILL_HANDLED, lacking=False)
    if recent is None:
        return say(turn, "cases.none_yet") if urged else None
    joined = await world.add_words(event.channel, event.chat_user, recent.ref, text.strip())
    if not joined:
        return say(turn, "case.words_not_added", ref=recent.ref, hotline=world.hotline)
    return say(turn, "case.urged" if urged else "case.settled", ref=recent.ref, hotline=world.hotline)


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


async def on_remark(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The words after a rating are its comment, unless skipped."""
    rated = turn.draft.rated
    turn.step, turn.draft = Step.idle, Draft()
    if meaning in {"skip", "done"}:
        return say(turn, "rate.comment_skipped")
    taken = await world.remark(event.channel, event.chat_user, rated, text)
    return say(turn, "rate.comment_thanks" if taken else "rate.comment_refused")


# A few words soon after a receipt, naming no place and asking nothing (「老板不退钱」「他还骂我」): more for that
# case, or the start of a new story? The shopper says which; nothing is lost either way.
_AMBIGUOUS_CHARS = 20
_JOIN = frozenset({"case:join", "1", "补充", "补充进去", "加进去", "是", "是的", "对", "对的", "刚才的", "刚才那个",
                   "同一个", "同一件", "一样的", "就是那个", "join", "add", "yes", "same"})  # fmt: skip
_NEW = frozenset({"case:new", "2", "新的", "新的事", "新的事情", "不是", "另一件", "另外一件", "别的事", "另一个",
                  "新投诉", "new", "no", "a new one"})  # fmt: skip


async def which_case(turn: Turn, text: str, event: Event, world: World) -> Turn | None:
    """Asks whether a few words sent within FOLLOW_UP of a receipt, that name no place, give no amount and ask
    nothing, are more for that case or a new story; None for other words, or with no case received lately."""
    if len(fold(text)) > _AMBIGUOUS_CHARS or amounts_in(text) or place_in(text) or QUESTION.search(text):
        return None
    if await world.place_named(text):
        return None
    recent = await world.recent_case(event.channel, event.chat_user, FOLLOW_UP, lacking=False)
    if recent is None:
        return None
    turn.step, turn.draft = Step.which_case, Draft(pending=text.strip(), joins=recent.ref)
    t = texts_of(turn)
    join = Button(t("button.join_case", ref=recent.ref), data="case:join")
    new = Button(t("button.new_story"), data="case:new")
    turn.replies.append(Reply(t("which_case.ask", ref=recent.ref), ((join, new),)))
    return turn


async def on_which_case(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The answer to :func:`which_case`: the words join that case, or begin a new story; other words begin the
    story with them."""
    draft, said = turn.draft, words(text)
    if said in _JOIN:  # a photo sent while asked goes with the words
        turn.step, turn.draft = Step.idle, Draft()
        turn.photos, turn.photos_for = tuple(draft.photos), draft.joins if draft.photos else ""
        joined = await world.add_words(event.channel, event.chat_user, draft.joins, draft.pending)
        key = "case.words_added" if joined else "case.words_not_added"
        return say(turn, key, ref=draft.joins, hotline=world.hotline)
    turn.step, turn.draft = Step.account, Draft(texts=[draft.pending], photos=draft.photos)
    if said in _NEW or meaning is not None:  # 好了, 跳过, 修改 …: a keyword is never a line of the story
        done = Button(texts_of(turn)("button.done"), data="done")
        turn.replies.append(Reply(texts_of(turn)("ack.first"), ((done,),)))
        return turn
    return add_told(turn, text, first=False)
