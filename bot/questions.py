"""The questions after the story: which one comes next, asking it, and taking each answer; then the summary.

Where, when, the amounts (for a quantity complaint), photos, name and phone (for a complaint), each asked once
and only when the story has not already told it; an ODR merchant's offer just before the summary
(:mod:`bot.settling`). A "no", 跳过 or 不知道 moves on and is never stored as the answer; the summary's words
before the summary leave the question standing. :mod:`bot.dialogue` dispatches to the handlers here.
"""

from __future__ import annotations

import re

from bot import choosing, settling
from bot.conversation import ANSWER_CHARS, QUESTIONS, Button, Draft, Event, Reply, Step
from bot.correcting import corrected
from bot.telling import kept, took_contact
from bot.texts import prompt, summary_reply, understood_reply
from bot.turn import Turn, World
from bot.turn import texts_of as _t
from bot.understanding.case_words import asks_when_handled
from bot.understanding.contact import name_and_phone
from bot.understanding.facts import amounts_in, facts_told, when_in
from bot.understanding.words import CONFIRM_YES, has_one, says_no, says_no_first, words
from complaints.classify.tokenize import simplified
from complaints.submission import SubmissionError, clean_name, clean_phone
from complaints.workflow import Intent

QUANTITY_CATEGORIES = frozenset({"short_weight", "tampered_instrument", "fuel_dispenser", "prepackaged_net_content"})
SKIP = frozenset({"skip", "done"})
SUMMARY_WORDS = frozenset({"submit", "change"})
_ANSWER_FIELDS = {Step.where: "place", Step.when: "when", Step.amounts: "amounts"}
_SAME_INSTRUMENT = frozenset({"same", "是", "是的", "是这台", "是那台", "就是这台", "就是那台", "就是它", "对", "对的",
                              "yes", "that one", "yes that one"})  # fmt: skip
# A time of day alone (中午十二点, 下午三点多, 晚上), which refines a day already told (今天 → 今天中午十二点)
_HOUR_IN = re.compile(r"上午|下午|中午|早上|早晨|晚上|傍晚|凌晨|点")
_HOUR = re.compile(
    r"(?:上午|下午|中午|早上|早晨|晚上|傍晚|凌晨)?(?:(?:\d{1,2}|十[一二]?|[一二两三四五六七八九])点(?:多|半|钟)?)?"
)
_STORY_CHARS = 20  # longer words at the time or amounts question, with nothing it asks, are more of the story
_NAME_CHARS = 20  # what a person calls themselves; longer words at the name question are something else
# "Will Smith" is a name: only question words that are nobody's name
_NOT_A_NAME = re.compile(r"[?？]|[吗呢嘛]$|什么|怎么|为什么|多久|\b(?:when|what|how|why)\b", re.IGNORECASE)
# 「鬼秤！！缺斤少两」 at the name question is more of the story: words of weighing, or a sentence's punctuation,
# which no one's name has (元 and 钱 are in names, so money is left to amounts_in)
_STORY_IN_NAME = re.compile(r"[秤斤缺！!，,。；;]|少了|不准|短了|被宰|坑")
_BARE_NUMBER = re.compile(r"\s*\d{1,2}\s*")
# An answer to "where" that is a market's first words: 东街, 在东街, 东街那边, 东街菜场 12号摊, at 东街 stall 5.
_HAN_WORDS = re.compile(r"([\u4e00-\u9fff]{2,8})(.*)", re.DOTALL)
_STALL = re.compile(r"\d+\s*[号號]?\s*(?:摊位?|档口?|铺位?|柜台?|门面)?")
_AROUND_HEAD = re.compile(
    r"^(?:就在|在|是)|(?:那边|那里|那儿|这边|附近|旁边|里面|那家|这家|家|的|菜市场|农贸市场|菜场|市场|集市)+$"
)


def needed(step: Step, draft: Draft) -> bool:
    complaint = draft.intent == Intent.complaint.value
    return {
        Step.where: draft.code is None,
        Step.when: True,
        Step.amounts: complaint and draft.category in QUANTITY_CATEGORIES,
        Step.photos: not draft.photos,
        Step.name: complaint and not draft.name,
        Step.phone: complaint and not draft.phone,
    }[step]


async def next_question(turn: Turn, world: World) -> Turn:
    for question in QUESTIONS:
        if question.value not in turn.draft.asked and needed(question, turn.draft):
            turn.step = question
            return reask(turn, world)
    return await show_summary(turn, world)


async def show_summary(turn: Turn, world: World) -> Turn:
    # Intake classifies the shopper's own words (Submission.account), as the dialogue did when the account was
    # finished. Words added since (at the summary, at the photo question, in a correction) may change that
    # reading: the shopper is told, and asked what the new reading needs (a complaint's name and phone), first.
    draft = turn.draft
    read = await world.reading(draft.account)
    reading = (draft.chosen or read.intent, read.category)  # the shopper's choice stands; the category follows
    if reading != (draft.intent, draft.category):
        draft.intent, draft.category = reading
        # what the new reading needs may already be in the words added ("i paid 45 … only 1.2kg"): not asked
        taken = await facts_told(draft, world.place_named, limit=ANSWER_CHARS, place_beginning=world.place_beginning)
        turn.replies.append(understood_reply(draft, _t(turn), changed=True, taken=taken))
        offer = choosing.offer_remedy(turn)  # never "可以匿名" alone to a loss of one's own
        if offer is not None:
            turn.replies.append(offer)
        return await next_question(turn, world)
    if await settling.offered(turn, world):  # an ODR merchant: may it settle first, asked once before the summary
        return turn
    turn.step = Step.confirm
    card = await world.card(turn.draft.code) if turn.draft.code else None
    turn.replies.append(summary_reply(turn.draft, _t(turn), card))
    return turn


def reask(turn: Turn, world: World) -> Turn:
    """The question of the current step, again (after help, a resume, or a choice of what to change)."""
    question = prompt(turn.step, turn.draft, _t(turn), max_photos=world.max_photos)
    if question is not None:
        turn.replies.append(question)
    return turn


async def still_standing(turn: Turn, key: str, world: World) -> Turn:
    """Words answered where they are said that leave the step as it was (the worry that the merchant learns who
    complained; 算了 at the summary): the answer ``key``, then the summary or the question again."""
    turn.replies.append(Reply(_t(turn)(key)))
    if turn.step is Step.confirm:
        return await show_summary(turn, world)
    return reask(turn, world) if turn.step in {*QUESTIONS, Step.choose, Step.fix} else turn


def summary_first(turn: Turn, meaning: str | None, world: World) -> Turn:
    """提交 or 修改 before the summary: this question still stands, and 提交 is told why (a bare repeat reads as
    not understood, and a hurried shopper says 提交 again)."""
    if meaning == "submit":
        turn.replies.append(Reply(_t(turn)("submit.early")))
    return reask(turn, world)


async def on_free_answer(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Where, when, or the amounts: kept as written (up to a line), or skipped."""
    if meaning in SUMMARY_WORDS:
        return summary_first(turn, meaning, world)
    if choosing.photos_declined(turn, text):  # 「没拍照」 here: no photos, and this question stands
        return reask(turn, world)
    # 「王芳 13800138000」 sent ahead is the contact, never a time or an amount (at the place question it may be the
    # merchant's name and number, so it stays the answer there)
    if turn.step is not Step.where and took_contact(turn, text, telling=False):
        return reask(turn, world)
    fixed = await _correction_here(turn, text, world)
    if fixed is not None:
        return fixed
    if asks_when_handled(text):  # 「你们什么时候处理」 before it is sent: never an answer
        turn.replies.append(Reply(_t(turn)("when.after_submit")))
        return reask(turn, world)
    if turn.step is not Step.when and took_time(turn, text):
        return reask(turn, world)
    if await _more_story(turn, text, world):
        return reask(turn, world)
    if turn.step is Step.where and turn.draft.asked_about and words(text) in _SAME_INSTRUMENT:
        turn.draft.code = turn.draft.asked_about  # 「是」: the instrument the question before the story was about
        return await answered(turn, Step.where, world)
    if (not_an_answer := _not_an_answer(turn.step, text)) is not None:
        turn.replies.append(Reply(_t(turn)(not_an_answer, number=text.strip())))
        return reask(turn, world)
    if meaning not in SKIP and not says_no(text):  # 不知道, 不记得了, 忘了: no answer, never stored as one
        setattr(turn.draft, _ANSWER_FIELDS[turn.step], text[:ANSWER_CHARS])
        if turn.step is Step.where:
            await _place_begun(turn, text, world)
    return await answered(turn, turn.step, world)


def _not_an_answer(step: Step, text: str) -> str | None:
    """Words that answer no free question, and what to tell: 「2」 at the time question (an old option's number, or
    half a date); 「有」「对」「等一下」 (the answer to another question, or none)."""
    if step is Step.when and _BARE_NUMBER.fullmatch(text):
        return "when.bare_number"
    return "answer.write_it" if has_one(text) or words(text) in CONFIRM_YES else None


async def _more_story(turn: Turn, text: str, world: World) -> bool:
    """Words at the time or amounts question that carry nothing it asks and read as story (long, or amounts at the
    time question): they join the account, whose facts are taken as at its end, and the question stands."""
    if turn.step is Step.when:
        story = not when_in(text) and (bool(amounts_in(text)) or len(text.strip()) > _STORY_CHARS)
    else:
        story = turn.step is Step.amounts and not amounts_in(text) and len(text.strip()) > _STORY_CHARS
    if not story or says_no_first(text):
        return False
    if kept(turn, text):
        await facts_told(turn.draft, world.place_named, limit=ANSWER_CHARS, place_beginning=world.place_beginning)
        turn.replies.append(Reply(_t(turn)("ack.kept")))
    return True


def _time_alone(text: str) -> str | None:
    """The time, when the words are nothing else ("前几天", "今天上午", "yesterday"; "大概昨天下午3点左右" too)."""
    found = when_in(text)
    bare = _ROUGHLY.sub("", simplified(text).strip(" .。,，!！~～"))
    return found if found and found.casefold() == bare.strip(" ,，").casefold() else None


# How a time is hedged around: 「大概昨天下午3点左右」, 「应该是上周五吧」, 「前天的时候」, "around 3pm"
_ROUGHLY = re.compile(
    r"^(?:大概|大约|差不多|应该是|好像是|可能是|就是|是|around|about)\s*|"
    r"\s*(?:左右|前后|上下|的时候|那会儿?|那时候?|吧|了|或者?更早|or so)$",
    re.IGNORECASE,
)


def took_time(turn: Turn, text: str) -> bool:
    """Words that are only a time ("前几天", "yesterday") at another question, while the time is not known: the time,
    skipped or not yet asked, and said so; never a place, an amount or part of the story."""
    found = _time_alone(text)
    if not found:
        return False
    if turn.draft.when and found in turn.draft.when:  # 「这个月」 again, at the place question: told already
        turn.replies.append(Reply(_t(turn)("when.late", when=turn.draft.when)))
        return True
    if turn.draft.when:  # 「中午十二点」 after 今天: the hour of the day already told, else not a time for here
        if not _HOUR.fullmatch(found) or _HOUR_IN.search(turn.draft.when):
            return False
        found = turn.draft.when + found
    turn.draft.when = found[:ANSWER_CHARS]
    if Step.when.value not in turn.draft.asked:
        turn.draft.asked.append(Step.when.value)
    turn.replies.append(Reply(_t(turn)("when.late", when=turn.draft.when)))
    return True


async def _correction_here(turn: Turn, text: str, world: World) -> Turn | None:
    """「时间不对 是昨天中午」 at a later question changes the field it names (and says so), and the question
    stands; 「改时间」 asks that question again, then this one. None when the words correct nothing."""
    here = turn.step
    changed = corrected(turn, text, limit=ANSWER_CHARS)
    if changed is None:
        return None
    if changed is Step.confirm:
        return await answered(turn, here, world) if _answered_by_it(turn, here) else reask(turn, world)
    turn.draft.asked = [asked for asked in turn.draft.asked if asked not in {changed.value, here.value}]
    return await next_question(turn, world)


def _answered_by_it(turn: Turn, step: Step) -> bool:
    """The correction gave this very question's answer ("时间不对 是昨天" at the time question)."""
    field_name = _ANSWER_FIELDS.get(step)
    return field_name is not None and bool(getattr(turn.draft, field_name))


async def _place_begun(turn: Turn, text: str, world: World) -> None:
    """「东街」 for 东街菜市场, 「刘记」 for 刘记猪肉: a place answered with the first words of the one market (else the
    one merchant) they begin, and no registry name in full, is taken as that place (stall and all), and the shopper
    is told (changeable at the summary)."""
    words = _HAN_WORDS.search(text)
    if words is None or _HAN_WORDS.search(_STALL.sub("", words.group(2))) or await world.place_named(text):
        return  # no Chinese, more Chinese words than one run (a description, not a name), or a name in full
    place = await world.place_beginning(_AROUND_HEAD.sub("", words.group(1)))
    if place is None:
        return
    stall = words.group(2).strip(" ,，.。")
    turn.draft.place = f"{place} {stall}"[:ANSWER_CHARS] if stall else place
    turn.replies.append(Reply(_t(turn)("place.taken_as", said=text.strip(), place=turn.draft.place)))


async def on_photos(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """Words at the photo question: done, skip, 提交 or a "no" (没拍, 发不了, 不敢拍 …) moves on; anything else joins
    the account. (修改 never arrives here: bot.dialogue takes it at every question.)"""
    if meaning in SKIP or meaning == "submit" or says_no_first(text):  # 提交 here: no (more) photos, go on
        if meaning is None and not says_no(text):  # 「没有，老板不让拍」: the reason may matter, and is kept
            kept(turn, text)
        return await answered(turn, Step.photos, world)
    if has_one(text):  # 有, 拍了, 「等一下 我找找」: the photo is coming
        skip = Button(_t(turn)("button.no_photos"), data="skip")
        turn.replies.append(Reply(_t(turn)("photos.send_now", limit=world.max_photos), ((skip,),)))
        return turn
    # Words, not a photo: a correction or a contact given ahead is taken, other words join the account (nothing
    # typed is lost), and the question stands.
    fixed = await _correction_here(turn, text, world)
    if fixed is not None:
        return fixed
    if took_time(turn, text):
        return reask(turn, world)
    if took_contact(turn, text, telling=False) or _BARE_NUMBER.fullmatch(text):  # 「2」: an earlier option's number
        return reask(turn, world)
    if kept(turn, text):
        turn.replies.append(Reply(_t(turn)("ack.kept")))
        reask(turn, world)
    return turn


async def on_name(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The name to be addressed by: taken unless too long (then refused with the reason); a "no" is recorded as
    refused, never as the name; a phone number given with it is taken too."""
    if meaning in SUMMARY_WORDS:
        return summary_first(turn, meaning, world)
    if choosing.photos_declined(turn, text):  # 「没拍」: the photo question answered late, not a name refused
        return reask(turn, world)
    if meaning in SKIP or says_no_first(text):
        choosing.refused_contact(turn, "name")
        return await answered(turn, Step.name, world)
    name, phone = name_and_phone(text)
    if amounts_in(name) or any(ch.isdigit() for ch in name) or _STORY_IN_NAME.search(name):  # more of the story
        if kept(turn, text):
            turn.replies.append(Reply(_t(turn)("ack.kept")))
        return reask(turn, world)
    time_told = None if phone else _time_alone(name)
    if time_told:  # 「今天上午」 is the time (told again, or put right), never a name
        turn.draft.when = time_told[:ANSWER_CHARS]
        turn.replies.append(Reply(_t(turn)("when.late", when=turn.draft.when)))
        return reask(turn, world)
    if _NOT_A_NAME.search(name) or len(name) > _NAME_CHARS:  # 「你们什么时候处理？」 at the name question
        turn.replies.append(Reply(_t(turn)("bad.not_a_name")))
        return reask(turn, world)
    if phone and not name:  # the phone alone: taken (or refused with the reason), and the name is still asked for
        if not took_contact(turn, text, telling=False):
            refuse_phone(turn, phone)
        return reask(turn, world)
    try:
        turn.draft.name = clean_name(name)
    except SubmissionError as error:
        return refused(turn, "bad.name", error)
    if phone:
        _take_phone(turn, phone)
    return await answered(turn, Step.name, world)


def _take_phone(turn: Turn, phone: str) -> None:
    """A phone number sent with the name: taken, or refused with the reason (「张伟 1381234567」: the name is kept and
    the number is asked for next)."""
    try:
        turn.draft.phone = clean_phone(phone)
    except SubmissionError:
        refuse_phone(turn, phone)


def refuse_phone(turn: Turn, phone: str) -> None:
    """Why a phone number cannot be taken."""
    try:
        clean_phone(phone)
    except SubmissionError as error:
        turn.replies.append(Reply(error.english if turn.language == "en" else error.chinese))


async def on_phone(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The phone number to call back on: taken when it reads as one, else refused with the reason; a "no" is
    recorded as refused."""
    if meaning in SUMMARY_WORDS:
        return summary_first(turn, meaning, world)
    if choosing.photos_declined(turn, text):  # 「没拍」: the photo question answered late, not a phone refused
        return reask(turn, world)
    if meaning in SKIP or says_no_first(text):
        choosing.refused_contact(turn, "phone")
        return await answered(turn, Step.phone, world)
    try:
        turn.draft.phone = clean_phone(name_and_phone(text)[1] or text)
    except SubmissionError as error:
        return refused(turn, "bad.phone", error)
    return await answered(turn, Step.phone, world)


async def on_settle(turn: Turn, text: str, meaning: str | None, event: Event, world: World) -> Turn:
    """The answer to the offer that the merchant settle first: taken, or the question again."""
    if not settling.take(turn, text):
        return reask(turn, world)
    return await answered(turn, Step.settle, world)


def refused(turn: Turn, key: str, error: SubmissionError) -> Turn:
    """An answer that cannot be taken: why, with the 「跳过」 button the words offer."""
    t = _t(turn)
    skip = Button(t("button.skip"), data="skip")
    turn.replies.append(Reply(t(key, error=error.english if turn.language == "en" else error.chinese), ((skip,),)))
    return turn


async def answered(turn: Turn, step: Step, world: World) -> Turn:
    if step.value not in turn.draft.asked:
        turn.draft.asked.append(step.value)
    if turn.draft.fixing:
        turn.draft.fixing = False
        return await show_summary(turn, world)
    return await next_question(turn, world)
