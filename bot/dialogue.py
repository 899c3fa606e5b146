"""The intake dialogue, channel-neutral: one message in, the next state and the answers out.

greet → the shopper's own words (several messages) → what was understood → what is missing, one question at a
time (where, when, amounts, photos, name and phone) → a summary to confirm or change → a case through intake.
At any point: a code or ``查 CODE`` shows an instrument, ``进度 REF`` a case, ``取消`` cancels, ``帮助`` helps.

Nothing here touches the database or a platform: what the dialogue needs to know comes through
:class:`bot.turn.World`, what it decides is a :class:`bot.turn.Turn` that :mod:`bot.service` stores in one
transaction. What may be asked beside the story (a deep link, 取消, a pause) is in :mod:`bot.asides`, what follows
a receipt (a case's status, a rating, words for the case) in :mod:`bot.following`; the questions after the story and
their answers are in :mod:`bot.questions`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot import asides, choosing, following, locating, settling
from bot.asking import asked_at_once
from bot.codes.answers import code_turn
from bot.codes.photos import answer_photo
from bot.conversation import ANSWER_CHARS, QUESTIONS, Button, Draft, Event, EventKind, Reply, Step
from bot.correcting import corrected
from bot.questions import (
    SUMMARY_WORDS,
    answered,
    next_question,
    on_free_answer,
    on_name,
    on_phone,
    on_photos,
    on_settle,
    reask,
    refuse_phone,
    show_summary,
    still_standing,
    took_time,
)
from bot.telling import (
    add_told,
    answered_at_fix,
    chosen_first,
    ends_account,
    kept,
    offer_choice,
    took_contact,
    took_correction,
)
from bot.texts import (
    submission_text,
    understood_reply,
)
from bot.turn import Turn, World
from bot.turn import say as _say
from bot.turn import texts_of as _t
from bot.understanding.case_words import wants_withdrawal, worries_merchant_learns
from bot.understanding.chatter import is_chatter, is_thanks, small_talk
from bot.understanding.contact import name_and_phone
from bot.understanding.facts import facts_told
from bot.understanding.words import (
    COMPLAIN,
    CONFIRM_NUMBERS,
    CONFIRM_YES,
    FIX_WORDS,
    RATE,
    START,
    STATUS,
    WORD_OF,
    gives_up,
    language_of,
    says_no,
    words,
)
from complaints.submission import Contact, Submission
from complaints.workflow import Intent
from qr.codes import normalise_code

PAUSE_AFTER = timedelta(hours=24)
_CANCEL_SAID = frozenset({"取消", "cancel", "/cancel"})  # the summary's button, and its word typed
ASKED_AT_ONCE = frozenset({Intent.inquiry.value, Intent.feedback.value})  # nothing to ask: straight to intake
_SWITCHABLE = frozenset({*QUESTIONS, Step.confirm})  # where 「改为举报/改为投诉」 may be said


async def respond(
    step: Step, language: str, draft: Draft, updated_at: datetime | None, event: Event, world: World, now: datetime
) -> Turn:
    turn = Turn(step=step, language=language, draft=draft)
    stale = updated_at is not None and now - updated_at > PAUSE_AFTER
    turn.familiar = updated_at is not None and not stale
    if step not in {Step.idle, Step.paused} and stale:
        asides.pause(turn)
    elif step is Step.idle and stale:  # a location shared yesterday says nothing of where today's story happened
        turn.draft.located = turn.draft.position = turn.draft.asked_about = ""
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
        return (
            await answer_photo(turn, event, world)
            or await following.photo_after_receipt(turn, event, world)  # evidence for the case just received
            or asides.photo(turn, event.media, world)
        )
    if event.kind is EventKind.location:
        return await locating.location_turn(turn, event, world)
    return await _text(turn, text, event, world)


async def _text(turn: Turn, text: str, event: Event, world: World) -> Turn:
    meaning = WORD_OF.get(words(text))
    if meaning is None and gives_up(text):  # 算了不弄了 麻烦: the story is dropped, nothing is kept as an answer
        meaning = "cancel"
    if meaning == "cancel" and turn.step is Step.confirm and words(text) not in _CANCEL_SAID:
        return await still_standing(turn, "cancel.sure", world)  # all told and checked: 算了 is asked, 取消 drops it
    if meaning in {"en", "zh"}:
        turn.language = meaning
        return _say(turn, "language.switched")
    if meaning == "erase":
        return await asides.erase(turn, event, world)
    if meaning == "help":
        turn.replies.append(Reply(_t(turn)("help", hotline=world.hotline)))
        return reask(turn, world) if turn.step is not Step.idle else turn
    if meaning == "cancel" or wants_withdrawal(text):
        return await asides.cancel(turn, text, event, world)
    if start := START.match(text):
        return await asides.start(turn, start.group(1) or "", world)
    complain = COMPLAIN.match(text)
    if complain and normalise_code(complain.group(1)):  # the typed form of an instrument card's button
        return await asides.start(turn, complain.group(1), world)
    status = STATUS.match(text)
    if status:  # mid-story, the cases there are, and the question that stands
        telling = turn.step is not Step.idle
        await following.case_status(turn, status.group(1), event, world, none="cases.none_telling" if telling else None)
        return reask(turn, world) if telling else turn
    if settlement := settling.ANSWER.match(text):  # 「接受 REF」: the shopper's answer to a merchant's proposal
        return await settling.answer(turn, settlement, event, world)
    rating = RATE.match(text)
    if rating or (turn.step is Step.idle and text in {"1", "2", "3", "4", "5"}):
        ref, score = (rating.group(1), rating.group(2)) if rating else (None, text)
        rated = await following.rate(turn, ref, int(score), event, world)
        assert rated is not None  # only a quiet rating may find nothing to say
        return rated
    looked_up = await code_turn(turn, text, world)
    return looked_up if looked_up is not None else await _by_step(turn, text, meaning, event, world)


async def _by_step(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Words that are not a command: what they mean depends on the step the conversation is at."""
    # 「改为举报」 offered with a question, or 投诉/举报 said outright at one (never the answer to it)
    if turn.step in _SWITCHABLE and (words(text) in choosing.SWITCH or choosing.said_outright(text)):
        return await _switch(turn, text, world)
    if turn.step is not Step.paused and worries_merchant_learns(text):  # asked at any step: answered, and it stands
        return await still_standing(turn, "privacy.merchant", world)
    if meaning == "restart" and turn.step is not Step.paused:  # 重新开始 mid-story: the story told so far goes
        turn.draft, turn.step = Draft(), Step.account
        turn.replies.append(Reply(_t(turn)("restarted")))
        return reask(turn, world)
    # an earlier message's button: never an answer nor the story
    if asides.stale_button(turn.step, words(text), meaning, asked_about=turn.draft.asked_about):
        if turn.step in {Step.idle, Step.account}:
            return _say(turn, "chatter.more" if turn.draft.texts else "chatter")
        return reask(turn, world)
    reopened = await asides.reopen(turn, text, meaning, world)  # 修改 or 「地点」 at a question
    if reopened is not None:
        return reopened
    # "no" is as short as chatter, but at a question it is the answer (no photos, skip)
    if turn.step in QUESTIONS and is_chatter(text) and not says_no(text) and not any(ch.isdigit() for ch in text):
        if not is_thanks(text):  # 在吗 at a question: still here, and it stands; 好的 or 嗯: it stands
            turn.replies.append(Reply(_t(turn)("chatter.question")))
        return reask(turn, world)
    # 对 or 可以 agrees with what was understood, and answers nothing (unless the place question offered an instrument)
    offered_instrument = turn.step is Step.where and turn.draft.asked_about
    if turn.step in QUESTIONS and words(text) in CONFIRM_YES and not offered_instrument:
        return reask(turn, world)
    return await _STEP_HANDLERS[turn.step](turn, text, meaning, event, world)


async def _switch(turn: Turn, text: str, world: World) -> Turn:
    """The shopper changes 投诉/举报 at a later question: what the new type needs is asked, then the summary."""
    choosing.take(turn, text)
    if turn.step is Step.confirm or turn.draft.fixing:
        turn.draft.fixing = False
        return await show_summary(turn, world)
    # the question it interrupted is still unanswered: asked again if the new type needs it
    turn.draft.asked = [asked for asked in turn.draft.asked if asked != turn.step.value]
    return await next_question(turn, world)


async def _on_choose(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The answer to 投诉 or 举报: taken, or the question again (longer words join the account: nothing is lost)."""
    if meaning in SUMMARY_WORDS:
        if meaning == "submit":  # a bare repeat reads as not understood, and a hurried shopper says 提交 again
            turn.replies.append(Reply(_t(turn)("submit.choose_first")))
        return reask(turn, world)
    if choosing.neither(turn, text):
        return reask(turn, world)
    if not choosing.take(turn, text):
        # the time or a phone number sent ahead (「半小时前」, 「13800001111」): taken, and the choice still asked
        if took_time(turn, text) or took_contact(turn, text, telling=False):
            return reask(turn, world)
        if len(text) > 10 and kept(turn, text):
            turn.replies.append(Reply(_t(turn)("ack.kept")))
        return reask(turn, world)
    if turn.draft.intent in ASKED_AT_ONCE:  # "no" kept a reading of a question or praise: straight to intake
        return await _submit(turn, world)
    return await answered(turn, Step.choose, world)


async def _on_idle(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The first words of a conversation: a greeting, or already the start of the shopper's account."""
    # after a receipt: the market a fair-scale answer asked for, or the case it was about
    followed = await locating.fair_scale_named(turn, text, world) or await following.follow_up(turn, text, event, world)
    if followed is not None:
        return followed
    if asides.no_story(text, meaning):  # ok, 好了, 对: what to send, as to a greeting
        return _say(turn, "chatter")
    # A new conversation speaks the language of the shopper's first words (commands and codes say nothing).
    turn.language = language_of(text) or turn.language
    turn.step = Step.account
    if chosen_first(turn, text):  # 「我要投诉」 first: the choice, and the story is asked for
        return turn
    if talk := small_talk(text):  # 你好, 在吗, ？？？, emoji, keyboard mash, adverts, 12315打不通: never a case
        return _say(turn, talk)
    if await asked_at_once(text, world):  # a question is answered now, without 好了
        return await _answer_now(turn, text, world)
    if (asked := await following.which_case(turn, text, event, world)) is not None:  # 「老板不退钱」 after a receipt
        return asked
    if not turn.familiar:
        turn.replies.append(Reply(_t(turn)("greet")))
    await offer_choice(add_told(turn, text, first=True), world)
    return turn


async def _on_account(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """More of the shopper's own words, until they say they are done."""
    if meaning == "done" or ends_account(turn, text, meaning):  # 提交, or 投诉 said outright after the story
        return await _finish_account(turn, world)
    if turn.draft.texts and (took_contact(turn, text, telling=True) or await took_correction(turn, text, world)):
        return turn
    if not turn.draft.texts:  # nothing told yet: perhaps a question after an earlier case
        followed = await following.follow_up(turn, text, event, world)
        if followed is not None:
            turn.step = Step.idle
            return followed
    if not turn.draft.texts and (talk := small_talk(text)):
        return _say(turn, talk)
    if not turn.draft.texts and asides.no_story(text, meaning):
        return _say(turn, "ack.empty_account")
    answered = await asides.question_in_story(turn, text, world)
    if answered is not None:
        return answered
    aside = asides.aside_in_story(turn, text, meaning)
    if aside is not None:
        done = Button(_t(turn)("button.done"), data="done")
        turn.replies.append(Reply(_t(turn)(aside), ((done,),)))
        return turn
    if not turn.draft.texts:  # the first words after a greeting (or a scan): the language, or a question to answer
        turn.language = language_of(text) or turn.language
        if chosen_first(turn, text):
            return turn
        if await asked_at_once(text, world):
            return await _answer_now(turn, text, world)
    await offer_choice(add_told(turn, text, first=False), world)
    return turn


async def _on_confirm(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """At the summary: submit, choose what to change, or add words (and see the summary again)."""
    choice = meaning or CONFIRM_NUMBERS.get(words(text))
    if choice == "submit" or choice == "done" or words(text) in CONFIRM_YES:  # 对, 没问题, 好了: agreed
        return await _submit(turn, world)
    if choice == "change":
        turn.step = Step.fix
        return reask(turn, world)
    changed = corrected(turn, text, limit=ANSWER_CHARS)  # "时间错了 是上周五": the field it names, not the account
    if changed is Step.confirm:
        return await show_summary(turn, world)
    if changed is not None:
        return _ask_again(turn, changed, world)
    if says_no(text) or is_chatter(text):  # 没有, 不用了, 谢谢 at the summary add nothing to the account
        return await show_summary(turn, world)
    # 「王芳」 or 「13900139000」 at the summary: the contact it lacks, never words in the story the merchant may see
    if took_contact(turn, text, telling=False):
        return await show_summary(turn, world)
    name, phone = name_and_phone(text)
    if phone and not name:
        refuse_phone(turn, phone)
        return await show_summary(turn, world)
    add_told(turn, text, first=False, quiet=True)
    return await show_summary(turn, world)


async def _on_fix(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Which answer to change: its question is asked again, and the summary follows the new answer. A correction
    with its new value ("改时间 上周五") is taken at once."""
    if meaning == "submit":  # 提交 after all
        return await _submit(turn, world)
    if meaning in {"done", "skip"} or says_no(text) or words(text) in CONFIRM_YES:  # 不改了, 好了: the summary again
        return await show_summary(turn, world)
    target = FIX_WORDS.get(words(text).removeprefix("fix:"))
    if target is Step.settle and not turn.draft.odr_days:  # nothing was offered: nothing to change
        return reask(turn, world)
    if target is None:
        changed = corrected(turn, text, limit=ANSWER_CHARS)
        if changed is Step.confirm or (changed is None and await answered_at_fix(turn, text, world)):
            return await show_summary(turn, world)
        return _ask_again(turn, changed, world) if changed is not None else reask(turn, world)
    return _ask_again(turn, target, world)


def _ask_again(turn: Turn, step: Step, world: World) -> Turn:
    """The question of ``step`` again, from the summary: its answer replaces the old one, then the summary."""
    turn.draft.fixing = True
    turn.draft.asked = [asked for asked in turn.draft.asked if asked != step.value]
    turn.step = step
    return reask(turn, world)


async def _answer_now(turn: Turn, text: str, world: World) -> Turn:
    """A question to intake at once, about the instrument scanned or the one the previous question was about."""
    turn.draft.texts.append(text)
    turn.draft.code = turn.draft.code or turn.draft.asked_about or None
    return await _finish_account(turn, world)


async def _finish_account(turn: Turn, world: World) -> Turn:
    draft = turn.draft
    if not draft.texts:
        return _say(turn, "ack.empty_account")
    reading = await world.reading(draft.account)
    draft.intent, draft.category = draft.chosen or reading.intent, reading.category
    undecided = draft.chosen is None and Step.choose.value not in draft.asked
    if undecided and (said := choosing.said_in_story(draft.account)) is not None:  # 「我要举报」: theirs, not a reading
        choosing.choose(draft, said)
        undecided = False
    # Taken before 投诉 or 举报 is asked, so that neither path asks for what the story already says.
    taken = (
        await facts_told(draft, world.place_named, limit=ANSWER_CHARS, place_beginning=world.place_beginning)
        if draft.intent not in ASKED_AT_ONCE or undecided
        else ()
    )
    if undecided and choosing.settled(reading, draft.account) is None:
        draft.fixing = False
        turn.step = Step.choose
        return choosing.ask(turn, taken=taken)
    if draft.intent in ASKED_AT_ONCE:
        return await _submit(turn, world)
    if not draft.fixing:
        turn.replies.append(understood_reply(draft, _t(turn), taken=taken))
        offer = choosing.offer_remedy(turn)
        if offer is not None:
            turn.replies.append(offer)
    draft.fixing = False
    return await next_question(turn, world)


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
        place=draft.place,
    )
    turn.card, turn.photos = card, tuple(draft.photos)
    turn.step, turn.draft = Step.idle, await locating.after_receipt(draft, card, world)
    return turn


StepHandler = Callable[[Turn, str, str | None, Event, World], Awaitable[Turn]]
# Every step has its handler: the words a shopper types mean what the step they are at makes of them.
_STEP_HANDLERS: dict[Step, StepHandler] = {
    Step.idle: _on_idle,
    Step.account: _on_account,
    Step.choose: _on_choose,
    Step.where: on_free_answer,
    Step.when: on_free_answer,
    Step.amounts: on_free_answer,
    Step.photos: on_photos,
    Step.name: on_name,
    Step.phone: on_phone,
    Step.settle: on_settle,
    Step.confirm: _on_confirm,
    Step.fix: _on_fix,
    Step.paused: asides.on_paused,
    Step.remark: following.on_remark,
    Step.which_case: following.on_which_case,
}
