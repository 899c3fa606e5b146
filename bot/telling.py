"""Messages in the middle of the shopper's account that are not more of the story.

A hurried shopper does not wait to be asked: after the story comes "王明 13800138000", or "投诉", or "提交".
Kept as story, the contact would be asked for again later (a question about a fact already given) and would sit
in the words that reach the merchant; "投诉" or "提交" would leave the shopper waiting for a 好了 they never
meant to type. So a name-and-phone line is taken as the contact (masked in the answer, kept out of the account),
and 投诉 or 举报 said outright, or 提交, ends the account: the first with that choice made. A correction
("地点错了 是东街市场") changes the field it names at once, as at the summary: the place told first would otherwise
route the case to the wrong station.

A story of a personal loss with no wish stated has 投诉 or 举报 offered with its acknowledgement: one tap (or, on
WeChat, 1 or 2) ends the story and makes the choice, where 好了 and then the question would take two messages.
"""

from __future__ import annotations

import re

from bot import choosing
from bot.conversation import ACCOUNT_CHARS, ANSWER_CHARS, Button, Reply, Step
from bot.correcting import change, corrected
from bot.texts import mask_phone
from bot.turn import Turn, World, say, texts_of
from bot.understanding.contact import is_surname, looks_like_name, name_and_phone, signed_off
from bot.understanding.corrections import story_correction
from bot.understanding.facts import FACT_FIELDS, amounts_in, place_in, when_in
from bot.understanding.words import WORD_OF, says_no, says_submit, words
from complaints.submission import SubmissionError, clean_name, clean_phone
from complaints.workflow import Intent

# Beside choosing's words for 投诉 and 举报: the English ones, and the buttons offer_choice adds.
_OUTRIGHT = {
    "complain": "complaint", "complaint": "complaint", "report": "report", "report it": "report",
    "offer:complaint": "complaint", "offer:report": "report",
}  # fmt: skip
_OFFERED = {"1": "complaint", "2": "report"}  # the numbered choice, once offered
_STALL = re.compile(r"\d+\s*号|摊|档口|\bstall\s*\d", re.IGNORECASE)  # 「3号摊」, "stall 3": a place corrected to
_GREETING = re.compile(r"^(?:你好|您好|在吗|在不在|喂|hi|hello)[\s,，.。!！~～]*", re.IGNORECASE)
# A name in Latin letters ("John Smith", "Li Wei"): one to four words, nothing else.
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z.'-]*(?: [A-Za-z][A-Za-z.'-]*){0,3}")
# A name alone in Latin letters, sent ahead ("Zhang Wei", "Tom Lee"): two to four capitalised words
_CAPITALISED_NAME = re.compile(r"[A-Z][a-z'-]+(?: [A-Z][a-z'-]+){1,3}")


def ends_account(turn: Turn, text: str, meaning: str | None) -> bool:
    """Whether ``text``, after some of the story, means the shopper has finished telling it; 投诉 or 举报 said
    outright is taken as their choice too."""
    if not turn.draft.texts:
        return False
    if meaning == "submit" or says_submit(text):
        return True
    chosen = _said_choice(text) or (_OFFERED.get(words(text)) if turn.draft.choice_offered else None)
    if chosen is None:
        return False
    choosing.choose(turn.draft, chosen)
    return True


def _said_choice(text: str) -> str | None:
    """投诉 or 举报 said in so many words, in Chinese or English, after a greeting or not ("你好 我要举报"); None for
    anything else."""
    text = _GREETING.sub("", text.strip()) or text
    return choosing.said_outright(text) or _OUTRIGHT.get(words(text))


def chosen_first(turn: Turn, text: str) -> bool:
    """「我要投诉」 or 「举报」 before any of the story: the shopper's choice, kept for the story that follows (and
    never its first words); the shopper is asked for the story."""
    if turn.draft.texts:
        return False
    chosen = _said_choice(text)
    if chosen is None:
        return False
    choosing.choose(turn.draft, chosen)
    t = texts_of(turn)
    turn.replies.append(
        Reply(t(f"chosen.{chosen}") + "\n" + t("chosen.tell"), ((Button(t("button.done"), data="done"),),))
    )
    return True


def took_contact(turn: Turn, text: str, *, telling: bool) -> bool:
    """A line that is a phone number, with or without a name, taken as the shopper's contact (True); any other
    words with a number in them ("老板电话 138…", a price) stay part of the story (False). ``telling``: the
    shopper is still telling the story, so the answer ends with how to finish it."""
    name, phone = name_and_phone(text)
    if not phone and not telling and turn.step in {Step.when, Step.amounts, Step.photos, Step.confirm}:
        return _took_name(turn, text)
    # 「周 137…」: a surname alone is name enough beside a phone number
    if not phone or (name and not (looks_like_name(name) or is_surname(name) or _LATIN_NAME.fullmatch(name))):
        return False
    try:
        phone = clean_phone(phone)
        name = clean_name(name) if name else ""
    except SubmissionError:
        return False
    draft = turn.draft
    draft.phone = phone
    draft.name = name or draft.name
    choosing.given_contact(draft, ("name", "phone") if name else ("phone",))
    t = texts_of(turn)
    shown = f"{name} {mask_phone(phone)}" if name else mask_phone(phone)
    if telling:
        done = Button(t("button.done"), data="done")
        turn.replies.append(Reply(t("ack.contact", contact=shown) + t("ack.finish"), ((done,),)))
    else:
        turn.replies.append(Reply(t("ack.contact", contact=shown)))
    return True


def kept(turn: Turn, text: str) -> bool:
    """Whether the words joined the account (or are in it already: sent twice, kept once); when they would make it
    too long, the shopper is told."""
    if text in turn.draft.texts:
        return True
    if len(turn.draft.account) + len(text) > ACCOUNT_CHARS:
        say(turn, "ack.too_long", limit=ACCOUNT_CHARS)
        return False
    turn.draft.texts.append(text)
    return True


def add_told(turn: Turn, text: str, *, first: bool, quiet: bool = False) -> Turn:
    """More of the story, acknowledged (unless ``quiet``) with how to finish it; a contact it ends with is taken
    apart from it (:func:`signed_contact`)."""
    text, contact = signed_contact(turn, text)
    if kept(turn, text) and not quiet:
        t = texts_of(turn)
        ack = t("ack.first" if first else "ack.more")
        if contact:
            ack += "\n" + t("ack.contact", contact=contact)
        turn.replies.append(Reply(ack, ((Button(t("button.done"), data="done"),),)))
    return turn


def signed_contact(turn: Turn, text: str) -> tuple[str, str]:
    """A story message that ends with its writer's contact (「…特此投诉。联系人：王明 电话：136…」): the contact is
    taken, and the words before it are what joins the story (so the merchant never sees the number). Returns those
    words and how the contact is shown ("" when none was taken)."""
    signed = signed_off(text)
    if signed is None:
        return text, ""
    words_before, name, phone = signed
    try:
        phone = clean_phone(phone)
        name = clean_name(name) if name else ""
    except SubmissionError:
        return text, ""  # a number that is no mobile number: the words stay as they were, nothing is lost
    draft = turn.draft
    draft.phone, draft.name = phone, name or draft.name
    choosing.given_contact(draft, ("name", "phone") if name else ("phone",))
    return words_before, f"{name} {mask_phone(phone)}" if name else mask_phone(phone)


async def took_correction(turn: Turn, text: str, world: World) -> bool:
    """「地点错了 是东街市场」, 「名字写错了 是李思」 after some of the story: the field takes the new value (said
    back, or why a name or phone cannot be taken). A place, time or amount corrected stays in the account too, so
    that nothing told is lost; a name or phone never joins it."""
    correction = story_correction(text)
    if not turn.draft.texts or correction is None:
        return False
    if correction.step is Step.where and not await _names_a_place(correction.value, world):
        return False  # 「地点不对 少了二两」: no place in it, so more of the story
    corrected(turn, text, limit=ANSWER_CHARS)
    asked = correction.step.value
    if asked in FACT_FIELDS:
        if asked not in turn.draft.asked and getattr(turn.draft, FACT_FIELDS[asked]):
            turn.draft.asked.append(asked)  # answered: neither asked, nor taken again from the first words at the end
        if len(turn.draft.account) + len(text) <= ACCOUNT_CHARS:
            turn.draft.texts.append(text)
    done = Button(texts_of(turn)("button.done"), data="done")
    turn.replies.append(Reply(texts_of(turn)("ack.finish"), ((done,),)))
    return True


async def _names_a_place(value: str, world: World) -> bool:
    return bool(await world.place_named(value) or place_in(value) or _STALL.search(value))


def _took_name(turn: Turn, text: str) -> bool:
    """「张三」 alone at the time, amounts or photo question of a complaint: the name it will ask for, sent ahead
    (周日 and 周五 have a surname's shape: a time or amount read in the words keeps them one). Not at the place
    question or in the story, where a name may be the merchant's."""
    if turn.draft.name or turn.draft.intent != Intent.complaint.value:
        return False
    return _take_name(turn, text)


# A shop's name has a person's shape (张记水产, 王氏肉铺): these words say it is a shop
_SHOP = re.compile(r"[记店行铺坊摊档]|水产|超市|市场|菜场|肉业|果业|商贸")


async def answered_at_fix(turn: Turn, text: str, world: World) -> bool:
    """An answer sent to 「要改哪一项」 instead of a field's name: a place of the registry (「张记水产」) is the place,
    a phone (with a name or not) the contact, a name alone (「王芳」) the name — the list names 地点, 姓名 and 电话,
    and a shopper answers with theirs. False for other words (the list is asked again)."""
    if await world.place_named(text):
        change(turn, Step.where, text.strip(), limit=ANSWER_CHARS)
        return True
    return took_contact(turn, text, telling=False) or _take_name(turn, text)


def _take_name(turn: Turn, text: str) -> bool:
    said = text.strip()
    # 「张」 alone: a surname is name enough to be addressed by (张女士, 王先生 are names already)
    if not (looks_like_name(said) or is_surname(said) or _CAPITALISED_NAME.fullmatch(said)) or _SHOP.search(text):
        return False
    if when_in(text) or amounts_in(text) or says_no(text) or WORD_OF.get(words(text)):  # No Photos, Not Sure
        return False
    try:
        turn.draft.name = clean_name(name_and_phone(text)[0])
    except SubmissionError:
        return False
    choosing.given_contact(turn.draft, ("name",))
    turn.replies.append(Reply(texts_of(turn)("ack.contact", contact=turn.draft.name)))
    return True


async def offer_choice(turn: Turn, world: World) -> None:
    """Adds 投诉 and 举报 to the acknowledgement just made of a story message, when the story so far tells a
    personal loss whose remedy the words do not settle (the question :func:`bot.choosing.ask` would put after
    好了). Offered once per story."""
    draft = turn.draft
    if draft.choice_offered or draft.chosen is not None or not draft.texts or not turn.replies:
        return
    ack = turn.replies[-1]
    if not ack.buttons or ack.buttons[0][0].data != "done":  # the words were not kept (too long): nothing to add
        return
    reading = await world.reading(draft.account)
    if reading.intent not in choosing.CHOSEN or choosing.settled(reading, draft.account) is not None:
        return
    draft.choice_offered = True
    t = texts_of(turn)
    choices = (Button(t("button.intent.complaint"), data="offer:complaint"),
               Button(t("button.intent.report"), data="offer:report"))  # fmt: skip
    turn.replies[-1] = Reply(ack.text + "\n" + t("ack.choice"), (choices, *ack.buttons))
