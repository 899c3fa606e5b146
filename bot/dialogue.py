"""The intake dialogue, channel-neutral: one message in, the next state and the answers out.

greet → the shopper's own words (several messages) → what was understood → what is missing, one question at a
time (where, when, amounts, photos, name and phone) → a summary to confirm or change → a case through intake.
At any point: a code or ``查 CODE`` shows an instrument, ``进度 REF`` a case, ``取消`` cancels, ``帮助`` helps.

Nothing here touches the database or a platform: what the dialogue needs to know comes through
:class:`bot.turn.World`, what it decides is a :class:`bot.turn.Turn` that :mod:`bot.service` stores in one
transaction. What may be asked beside the story (a deep link, a case's status, a rating) is in :mod:`bot.asides`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot import asides, choosing, locating, settling
from bot.asking import asked_at_once
from bot.codes.answers import Answered, answer_typed
from bot.codes.photos import answer_photo
from bot.conversation import QUESTIONS, Button, Draft, Event, EventKind, Reply, Step
from bot.correcting import corrected
from bot.telling import ends_account, took_contact
from bot.texts import (
    prompt,
    submission_text,
    summary_reply,
    understood_reply,
)
from bot.turn import Turn, World
from bot.turn import say as _say
from bot.turn import texts_of as _t
from bot.understanding.facts import facts_told
from bot.understanding.words import (
    COMPLAIN,
    CONFIRM_NUMBERS,
    FIX_WORDS,
    RATE,
    START,
    STATUS,
    WORD_OF,
    gives_up,
    is_chatter,
    language_of,
    name_and_phone,
    says_no,
    words,
)
from complaints.submission import MAX_TEXT_CHARS, Contact, Submission, SubmissionError, clean_name, clean_phone
from complaints.workflow import Intent
from qr.codes import normalise_code

PAUSE_AFTER = timedelta(hours=24)
ANSWER_CHARS = 200  # place, time and amounts are a line each
ACCOUNT_CHARS = MAX_TEXT_CHARS - 4 * ANSWER_CHARS  # leaves room for the answers in the case's text
QUANTITY_CATEGORIES = frozenset({"short_weight", "tampered_instrument", "fuel_dispenser", "prepackaged_net_content"})
ASKED_AT_ONCE = frozenset({Intent.inquiry.value, Intent.feedback.value})  # nothing to ask: straight to intake
_SKIP = frozenset({"skip", "done"})
_SUMMARY_WORDS = frozenset({"submit", "change"})
_ANSWER_FIELDS = {Step.where: "place", Step.when: "when", Step.amounts: "amounts"}
_SWITCHABLE = frozenset({*QUESTIONS, Step.confirm})  # where 「改为举报/改为投诉」 may be said


async def respond(
    step: Step, language: str, draft: Draft, updated_at: datetime | None, event: Event, world: World, now: datetime
) -> Turn:
    turn = Turn(step=step, language=language, draft=draft)
    if step not in {Step.idle, Step.paused} and updated_at is not None and now - updated_at > PAUSE_AFTER:
        asides.pause(turn)
    text = event.text.strip()
    if event.kind is EventKind.silent:
        return turn
    if event.kind is EventKind.start:
        return await asides.start(turn, text, world)
    if event.kind is EventKind.voice and not text:
        return _say(turn, "voice.please_type")
    if event.kind is EventKind.unsupported:
        return _say(turn, "unsupported")
    if event.kind is EventKind.photo:  # a photo of a code at the greeting is a lookup; any other is evidence
        return await answer_photo(turn, event, world) or asides.photo(turn, event.media, world)
    if event.kind is EventKind.location:
        return await _location(turn, event, world)
    return await _text(turn, text, event, world)


async def _location(turn: Turn, event: Event, world: World) -> Turn:
    """A shared location (bot.locating): a market near it answers the place question; at the summary, the summary."""
    if await locating.located(turn, event, world) and turn.step is Step.where:
        return await _answered(turn, Step.where, world)
    return await _show_summary(turn, world) if turn.step is Step.confirm else turn


async def _text(turn: Turn, text: str, event: Event, world: World) -> Turn:
    meaning = WORD_OF.get(words(text))
    if meaning is None and gives_up(text):  # 算了不弄了 麻烦: the story is dropped, nothing is kept as an answer
        meaning = "cancel"
    if meaning in {"en", "zh"}:
        turn.language = meaning
        return _say(turn, "language.switched")
    if meaning == "erase":
        return await asides.erase(turn, event, world)
    if meaning == "help":
        turn.replies.append(Reply(_t(turn)("help", hotline=world.hotline)))
        return _reask(turn, world) if turn.step is not Step.idle else turn
    if meaning == "cancel":
        had = turn.draft.texts or turn.draft.paused or turn.step is not Step.idle
        turn.step, turn.draft = Step.idle, Draft()
        return _say(turn, "cancelled" if had else "nothing_to_cancel")
    start = START.match(text)
    if start:
        return await asides.start(turn, start.group(1) or "", world)
    complain = COMPLAIN.match(text)
    if complain and normalise_code(complain.group(1)):  # the typed form of an instrument card's button
        return await asides.start(turn, complain.group(1), world)
    status = STATUS.match(text)
    if status:
        return await asides.case_status(turn, status.group(1), event, world)
    settlement = settling.ANSWER.match(text)  # 「接受 REF」: the shopper's answer to a merchant's proposal
    if settlement:
        return await settling.answer(turn, settlement, event, world)
    rating = RATE.match(text)
    if rating or (turn.step is Step.idle and text in {"1", "2", "3", "4", "5"}):
        ref, score = (rating.group(1), rating.group(2)) if rating else (None, text)
        rated = await asides.rate(turn, ref, int(score), event, world)
        assert rated is not None  # only a quiet rating may find nothing to say
        return rated
    answered = await answer_typed(turn, text, world)  # a code, or 查 something (bot/codes/answers.py)
    if answered is not Answered.no:
        return await _answered(turn, Step.where, world) if answered is Answered.where else turn
    return await _by_step(turn, text, meaning, event, world)


async def _by_step(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Words that are not a command: what they mean depends on the step the conversation is at."""
    if turn.step in _SWITCHABLE and words(text) in choosing.SWITCH:  # 「改为举报」 offered with a question
        return await _switch(turn, text, world)
    if words(text).startswith("intent:") and turn.step is not Step.choose:  # a button of an earlier story
        if turn.step in {Step.idle, Step.account}:
            return _say(turn, "chatter.more" if turn.draft.texts else "chatter")
        return _reask(turn, world)
    if turn.step in QUESTIONS and is_chatter(text) and not any(ch.isdigit() for ch in text):
        turn.replies.append(Reply(_t(turn)("chatter.question")))  # 在吗 at a question: still here, and it stands
        return _reask(turn, world)
    return await _STEP_HANDLERS[turn.step](turn, text, meaning, event, world)


async def _switch(turn: Turn, text: str, world: World) -> Turn:
    """The shopper changes 投诉/举报 at a later question: what the new type needs is asked, then the summary."""
    choosing.take(turn, text)
    if turn.step is Step.confirm or turn.draft.fixing:
        turn.draft.fixing = False
        return await _show_summary(turn, world)
    return await _next_question(turn, world)


async def _on_choose(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The answer to 投诉 or 举报: taken, or the question again (longer words join the account: nothing is lost)."""
    if meaning in _SUMMARY_WORDS:
        return _reask(turn, world)
    if not choosing.take(turn, text):
        if len(text) > 10 and _kept(turn, text):
            turn.replies.append(Reply(_t(turn)("ack.kept")))
        return _reask(turn, world)
    if turn.draft.intent in ASKED_AT_ONCE:  # "no" kept a reading of a question or praise: straight to intake
        return await _submit(turn, world)
    return await _answered(turn, Step.choose, world)


async def _on_idle(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The first words of a conversation: a greeting, or already the start of the shopper's account."""
    followed = await asides.follow_up(turn, text, event, world)  # after a receipt: the case it was about
    if followed is not None:
        return followed
    # A new conversation speaks the language of the shopper's first words (commands and codes say nothing).
    turn.language = language_of(text) or turn.language
    turn.step = Step.account
    if is_chatter(text):  # 你好, 在吗, ？？？, emoji, keyboard mash, adverts: a short help line, never a case
        return _say(turn, "chatter")
    if await asked_at_once(text, world):  # a question is answered now, without 好了
        turn.draft.texts.append(text)
        return await _finish_account(turn, world)
    turn.replies.append(Reply(_t(turn)("greet")))
    return _add_text(turn, text, first=True)


async def _on_account(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """More of the shopper's own words, until they say they are done."""
    if meaning == "done" or ends_account(turn, text, meaning):  # 提交, or 投诉 said outright after the story
        return await _finish_account(turn, world)
    if turn.draft.texts and took_contact(turn, text, telling=True):
        return turn
    if not turn.draft.texts:  # nothing told yet: perhaps a question after an earlier case
        followed = await asides.follow_up(turn, text, event, world)
        if followed is not None:
            turn.step = Step.idle
            return followed
    if is_chatter(text):  # never part of the account: 在吗 in the middle of a story is answered, not kept
        if not turn.draft.texts:
            return _say(turn, "chatter")
        done = Button(_t(turn)("button.done"), data="done")
        turn.replies.append(Reply(_t(turn)("chatter.more"), ((done,),)))
        return turn
    if not turn.draft.texts:  # the first words after a greeting (or a scan): the language, or a question to answer
        turn.language = language_of(text) or turn.language
        if await asked_at_once(text, world):
            turn.draft.texts.append(text)
            return await _finish_account(turn, world)
    return _add_text(turn, text, first=False)


async def _on_confirm(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """At the summary: submit, choose what to change, or add words (and see the summary again)."""
    choice = meaning or CONFIRM_NUMBERS.get(words(text))
    if choice == "submit":
        return await _submit(turn, world)
    if choice == "change":
        turn.step = Step.fix
        return _reask(turn, world)
    changed = corrected(turn, text, limit=ANSWER_CHARS)  # "时间错了 是上周五": the field it names, not the account
    if changed is Step.confirm:
        return await _show_summary(turn, world)
    if changed is not None:
        return _ask_again(turn, changed, world)
    _add_text(turn, text, first=False, quiet=True)
    return await _show_summary(turn, world)


async def _on_fix(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Which answer to change: its question is asked again, and the summary follows the new answer. A correction
    with its new value ("改时间 上周五") is taken at once."""
    target = FIX_WORDS.get(words(text).removeprefix("fix:"))
    if target is Step.settle and not turn.draft.odr_days:  # nothing was offered: nothing to change
        return _reask(turn, world)
    if target is None:
        changed = corrected(turn, text, limit=ANSWER_CHARS)
        if changed is Step.confirm:
            return await _show_summary(turn, world)
        return _ask_again(turn, changed, world) if changed is not None else _reask(turn, world)
    return _ask_again(turn, target, world)


def _ask_again(turn: Turn, step: Step, world: World) -> Turn:
    """The question of ``step`` again, from the summary: its answer replaces the old one, then the summary."""
    turn.draft.fixing = True
    turn.draft.asked = [asked for asked in turn.draft.asked if asked != step.value]
    turn.step = step
    return _reask(turn, world)


def _add_text(turn: Turn, text: str, *, first: bool, quiet: bool = False) -> Turn:
    if _kept(turn, text) and not quiet:
        done = Button(_t(turn)("button.done"), data="done")
        turn.replies.append(Reply(_t(turn)("ack.first" if first else "ack.more"), ((done,),)))
    return turn


def _kept(turn: Turn, text: str) -> bool:
    """Whether the words joined the account; when they would make it too long, the shopper is told."""
    if len(turn.draft.account) + len(text) > ACCOUNT_CHARS:
        _say(turn, "ack.too_long", limit=ACCOUNT_CHARS)
        return False
    turn.draft.texts.append(text)
    return True


async def _finish_account(turn: Turn, world: World) -> Turn:
    draft = turn.draft
    if not draft.texts:
        return _say(turn, "ack.empty_account")
    reading = await world.reading(draft.account)
    draft.intent, draft.category = draft.chosen or reading.intent, reading.category
    undecided = draft.chosen is None and Step.choose.value not in draft.asked
    # Taken before 投诉 or 举报 is asked, so that neither path asks for what the story already says.
    taken = (
        await facts_told(draft, world.place_named, limit=ANSWER_CHARS)
        if draft.intent not in ASKED_AT_ONCE or undecided
        else ()
    )
    if undecided and choosing.settled(reading, draft.account) is None:
        draft.fixing = False
        turn.step = Step.choose
        return choosing.ask(turn)
    if draft.intent in ASKED_AT_ONCE:
        return await _submit(turn, world)
    if not draft.fixing:
        turn.replies.append(understood_reply(draft, _t(turn), taken=taken))
        offer = choosing.offer_remedy(turn)
        if offer is not None:
            turn.replies.append(offer)
    draft.fixing = False
    return await _next_question(turn, world)


def _needed(step: Step, draft: Draft) -> bool:
    complaint = draft.intent == Intent.complaint.value
    return {
        Step.where: draft.code is None,
        Step.when: True,
        Step.amounts: complaint and draft.category in QUANTITY_CATEGORIES,
        Step.photos: not draft.photos,
        Step.name: complaint and not draft.name,
        Step.phone: complaint and not draft.phone,
    }[step]


async def _next_question(turn: Turn, world: World) -> Turn:
    for question in QUESTIONS:
        if question.value not in turn.draft.asked and _needed(question, turn.draft):
            turn.step = question
            return _reask(turn, world)
    return await _show_summary(turn, world)


async def _show_summary(turn: Turn, world: World) -> Turn:
    # Intake classifies the shopper's own words (Submission.account), as the dialogue did when the account was
    # finished. Words added since (at the summary, at the photo question, in a correction) may change that
    # reading: the shopper is told, and asked what the new reading needs (a complaint's name and phone), first.
    draft = turn.draft
    read = await world.reading(draft.account)
    reading = (draft.chosen or read.intent, read.category)  # the shopper's choice stands; the category follows
    if reading != (draft.intent, draft.category):
        draft.intent, draft.category = reading
        turn.replies.append(understood_reply(draft, _t(turn), changed=True))
        offer = choosing.offer_remedy(turn)  # never "可以匿名" alone to a loss of one's own
        if offer is not None:
            turn.replies.append(offer)
        return await _next_question(turn, world)
    if await settling.offered(turn, world):  # an ODR merchant: may it settle first, asked once before the summary
        return turn
    turn.step = Step.confirm
    card = await world.card(turn.draft.code) if turn.draft.code else None
    turn.replies.append(summary_reply(turn.draft, _t(turn), card))
    return turn


def _reask(turn: Turn, world: World) -> Turn:
    """The question of the current step, again (after help, a resume, or a choice of what to change)."""
    question = prompt(turn.step, turn.draft, _t(turn), max_photos=world.max_photos)
    if question is not None:
        turn.replies.append(question)
    return turn


async def _on_free_answer(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Where, when, or the amounts: kept as written (up to a line), or skipped."""
    if meaning in _SUMMARY_WORDS:
        return _reask(turn, world)  # the summary's words before the summary: this question still stands
    if meaning not in _SKIP and not says_no(text):  # 不知道, 不记得了, 忘了: no answer, never stored as one
        setattr(turn.draft, _ANSWER_FIELDS[turn.step], text[:ANSWER_CHARS])
    return await _answered(turn, turn.step, world)


async def _on_photos(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Words at the photo question: done, skip or a "no" (没拍, 发不了, 不敢拍 …) moves on; anything else joins the
    account."""
    if meaning in _SUMMARY_WORDS:
        return _reask(turn, world)
    if meaning in _SKIP or says_no(text):
        return await _answered(turn, Step.photos, world)
    # Words, not a photo: a contact given ahead is taken, other words join the account (nothing typed is lost),
    # and the question stands.
    if took_contact(turn, text, telling=False):
        return _reask(turn, world)
    if _kept(turn, text):
        turn.replies.append(Reply(_t(turn)("ack.kept")))
        _reask(turn, world)
    return turn


async def _on_name(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The name to be addressed by: taken unless too long (then refused with the reason); a "no" is recorded as
    refused, never as the name; a phone number given with it is taken too."""
    if meaning in _SUMMARY_WORDS:
        return _reask(turn, world)
    if meaning in _SKIP or says_no(text):
        choosing.refused_contact(turn, "name")
        return await _answered(turn, Step.name, world)
    name, phone = name_and_phone(text)
    try:
        turn.draft.name = clean_name(name)
        if phone:
            turn.draft.phone = clean_phone(phone)
    except SubmissionError as error:
        return _refused(turn, "bad.name", error)
    return await _answered(turn, Step.name, world)


async def _on_phone(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The phone number to call back on: taken when it reads as one, else refused with the reason; a "no" is
    recorded as refused."""
    if meaning in _SUMMARY_WORDS:
        return _reask(turn, world)
    if meaning in _SKIP or says_no(text):
        choosing.refused_contact(turn, "phone")
        return await _answered(turn, Step.phone, world)
    try:
        turn.draft.phone = clean_phone(name_and_phone(text)[1] or text)
    except SubmissionError as error:
        return _refused(turn, "bad.phone", error)
    return await _answered(turn, Step.phone, world)


async def _on_settle(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The answer to the offer that the merchant settle first: taken, or the question again."""
    if not settling.take(turn, text):
        return _reask(turn, world)
    return await _answered(turn, Step.settle, world)


def _refused(turn: Turn, key: str, error: SubmissionError) -> Turn:
    """An answer that cannot be taken: why, with the 「跳过」 button the words offer."""
    t = _t(turn)
    skip = Button(t("button.skip"), data="skip")
    turn.replies.append(Reply(t(key, error=error.english if turn.language == "en" else error.chinese), ((skip,),)))
    return turn


async def _answered(turn: Turn, step: Step, world: World) -> Turn:
    if step.value not in turn.draft.asked:
        turn.draft.asked.append(step.value)
    if turn.draft.fixing:
        turn.draft.fixing = False
        return await _show_summary(turn, world)
    return await _next_question(turn, world)


async def _submit(turn: Turn, world: World) -> Turn:
    draft = turn.draft
    card = await world.card(draft.code) if draft.code else None
    turn.submission = Submission(
        text=submission_text(draft),
        account=draft.account,
        channel="",  # the service fills in the channel and the user it knows from the event
        code=card.code if card else None,
        contact=Contact(name=draft.name, phone=draft.phone, consent=bool(draft.phone)),
        intent=draft.chosen,
        refused=tuple(field for field in draft.refused if not getattr(draft, field)),
        odr=bool(draft.odr) and draft.intent == Intent.complaint.value,
    )
    turn.card, turn.photos = card, tuple(draft.photos)
    turn.step, turn.draft = Step.idle, Draft()
    return turn


StepHandler = Callable[[Turn, str, str | None, Event, World], Awaitable[Turn]]
# Every step has its handler: the words a shopper types mean what the step they are at makes of them.
_STEP_HANDLERS: dict[Step, StepHandler] = {
    Step.idle: _on_idle,
    Step.account: _on_account,
    Step.choose: _on_choose,
    Step.where: _on_free_answer,
    Step.when: _on_free_answer,
    Step.amounts: _on_free_answer,
    Step.photos: _on_photos,
    Step.name: _on_name,
    Step.phone: _on_phone,
    Step.settle: _on_settle,
    Step.confirm: _on_confirm,
    Step.fix: _on_fix,
    Step.paused: asides.on_paused,
    Step.remark: asides.on_remark,
}
