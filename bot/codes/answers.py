"""A code typed, pasted or read from a photo, answered at any step: the instrument's card, a choice when a nameplate
serial is shared, or what the code is and what to do (a product's barcode, a GS1 code that cannot be read, one
symbol of our code mistyped, a code nobody registered).

Only code-shaped text goes to the resolver (lookup/codes/resolve.py, one indexed read): our code or link, ``查 …``,
a GS1 code, a mistyped code of ours, or one token of letters and digits that may be a 识别编码 (GB/T 36377), an
asset number or a serial. Such a token that names nothing is left to the step (it may be a stall number or a
date); a phone number is never read as a code, nor anything at the name and phone questions.
"""

from __future__ import annotations

import enum
import re

from bot.catalogue import BotCatalogue
from bot.conversation import Button, Reply, Step
from bot.questions import answered
from bot.texts import card_reply
from bot.turn import Turn, World, say, texts_of
from bot.understanding.chatter import is_chatter, is_thanks
from bot.understanding.words import CHECK, code_in, english_sentence
from lookup.codes.gs1 import looks_gs1
from lookup.codes.resolve import Outcome, Resolution
from lookup.scan import InstrumentCard
from lookup.typed_code import Reading
from qr.codes import format_code, looks_mistyped, normalise_code

SHOWN_CHARS = 40  # of a code quoted back
_PLAIN_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-./_ ]{4,70}[0-9A-Za-z]")
_MOBILE = re.compile(r"\+?(?:86)?1[3-9]\d{9}")
_OUR_LINK = re.compile(r"/i/\S")
_CODE_IN_WORDS = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{5}[- ]?[0-9A-Za-z]{5}(?![0-9A-Za-z])")
_NOT_CODES = frozenset({Step.name, Step.phone})  # their answers are names and numbers, never codes


class Answered(enum.Enum):
    no = "no"  # not a code: the step makes of the words what it does
    given = "given"  # answered; the step and its question stand
    where = "where"  # an instrument named at the "where" question: that answers it


async def answer_typed(turn: Turn, text: str, world: World) -> Answered:
    """Text that is a code (or ``查`` something), answered; ``Answered.no`` for anything else."""
    check = CHECK.match(text.strip())
    asked = check.group(1).strip() if check else text.strip()
    code = code_in(text)
    if code is None and check:  # 「查 7K3MQ-9XR4P · 李记干货」: the label of a choice, typed (WeChat)
        first, _, rest = asked.partition(" ")
        if _tells_more(rest):  # 「查 CODE 这秤过期了还在用」: the words are the story (card_in_words shows the card)
            return Answered.no
        code = normalise_code(first)
    if code is not None:
        card = await world.card(code)
        if card is not None:
            return show_card(turn, card, world)
    if check is None and not _code_shaped(turn.step, asked):
        return Answered.no
    found = await world.resolve(asked)
    return await answer(turn, found, world, asked=check is not None)


async def answer(turn: Turn, found: Resolution, world: World, *, asked: bool) -> Answered:
    """The resolver's finding in words. ``asked``: the shopper asked for a lookup (「查 …」, a photo of a code), so
    even "nothing found" is said; otherwise a token that names nothing is left to the step."""
    shown = found.text[:SHOWN_CHARS]
    if found.code is not None:
        card = await world.card(found.code)
        if card is not None:
            return show_card(turn, card, world)
        say(turn, "card.unknown", code=shown)
    elif found.outcome is Outcome.several:
        turn.replies.append(_choice(turn, found))
    elif found.outcome is Outcome.ours:
        await _ours(turn, found.text, world)
    elif found.outcome is Outcome.product and found.gs1 is not None:
        _product(turn, found)
    elif found.outcome is Outcome.gs1_broken and (asked or looks_gs1(found.text)):
        _said(turn, "codes.gs1_broken", code=shown)
    elif asked:
        _said(turn, "codes.unknown", code=shown)
    else:
        return Answered.no
    return Answered.given


async def card_in_words(turn: Turn, text: str, world: World) -> Answered:
    """A code of ours inside longer words ("SMH66M7H73 这台秤过期了还在用", "就是 EH9DW-J1TP1 这台"): its card, and in
    a story (or before one, or at the "where" question) it is the story's instrument. The words themselves go on to
    the step, so nothing said beside the code is lost. Only a token whose check symbol holds is looked up."""
    if turn.step in _NOT_CODES:
        return Answered.no
    for token in _CODE_IN_WORDS.finditer(text):
        code = normalise_code(token.group())
        card = await world.card(code) if code is not None else None
        if card is not None:
            return show_card(turn, card, world)
    return Answered.no


def show_card(turn: Turn, card: InstrumentCard, world: World) -> Answered:
    """The instrument's card; while a story is told, or before one (as a scan does), it becomes the story's
    instrument, so that 「这台秤什么时候检定的」 after 「查 CODE」 is asked about it."""
    turn.replies.append(card_reply(card, texts_of(turn), world.today))
    if turn.step in {Step.where, Step.account} or (turn.step is Step.idle and not turn.draft.texts):
        turn.draft.code = card.code
        if turn.step is Step.where:
            return Answered.where
    return Answered.given


def _tells_more(rest: str) -> bool:
    """Words after 「查 CODE」 that say something of their own: not a choice's label (「· 李记干货」), not 谢谢."""
    rest = rest.strip()
    return bool(rest) and not rest.startswith(("·", "-")) and not (is_chatter(rest) or is_thanks(rest))


def _code_shaped(step: Step, text: str) -> bool:
    if step in _NOT_CODES or _MOBILE.fullmatch(text.replace(" ", "").replace("-", "")):
        return False
    if _OUR_LINK.search(text) or looks_gs1(text):
        return True
    if not any(ch.isdigit() for ch in text):
        return False  # a word ("yesterday", "finished"): our codes, and the others, carry digits
    groups = text.split()
    compact = "".join(groups)
    halves = len(groups) == 2 and all(4 <= len(group) <= 6 for group in groups)  # "EH9DW J1TP1", as printed
    if len(groups) > 1 and not halves and sum(ch.isdigit() for ch in compact) * 2 < len(compact):
        return False  # words with a number in them ("ok thanks 1", "Stall 12 B3"), not a code typed in groups
    if looks_mistyped(text) and not compact.replace("-", "").isdigit():
        return True  # one slip from our code: never part of the story, whatever the step asks
    return bool(_PLAIN_TOKEN.fullmatch(text)) and any(ch.isdigit() for ch in text)


async def _ours(turn: Turn, text: str, world: World) -> None:
    """Our code's shape, no instrument: mistyped (the nearest codes offered), or well-formed and unknown."""
    typed = await world.mistyped(text)
    shown = text[:SHOWN_CHARS]
    if typed.reading is not Reading.mistyped:
        say(turn, "bad.code" if turn.step is Step.where else "card.unknown", code=shown)
        return
    t = texts_of(turn)
    if not typed.suggestions:
        turn.replies.append(Reply(t("codes.mistyped", code=shown)))
        return
    rows = tuple((_pick(t, s.code, s.merchant_name, s.stall),) for s in typed.suggestions)
    turn.replies.append(Reply(t("codes.mistyped", code=shown) + "\n" + t("codes.mistyped.near"), rows))


def _choice(turn: Turn, found: Resolution) -> Reply:
    """A serial several instruments carry: one button per merchant and market (the label also works typed)."""
    t = texts_of(turn)
    rows = tuple((_pick(t, m.code, m.merchant, m.market, m.stall),) for m in found.matches)
    lines = [t("codes.several", code=found.text[:SHOWN_CHARS])]
    if found.more:
        lines.append(t("codes.several.more"))
    return Reply("\n".join(lines), rows)


def _pick(t: BotCatalogue, code: str, merchant: str, *places: str) -> Button:
    """「查 7K3MQ-9XR4P · 李记干货 · 南门农贸市场 · 3号摊位」: tapped or typed, it shows that instrument."""
    place = "".join(f" · {part}" for part in places if part)
    return Button(t("codes.pick", code=format_code(code), merchant=merchant, place=place), data=f"查 {code}")


def _product(turn: Turn, found: Resolution) -> None:
    assert found.gs1 is not None
    t = texts_of(turn)
    usage = found.gs1.usage or t("codes.usage_unknown")
    lines = [t("codes.product", code=found.text[:SHOWN_CHARS], gtin=found.gs1.gtin or "", usage=usage)]
    if found.gs1.serial:
        lines.append(t("codes.product.serial", serial=found.gs1.serial))
    lines.append(t("codes.kinds"))
    lines.append(t("codes.todo"))
    turn.replies.append(Reply("\n".join(lines)))


def _said(turn: Turn, key: str, **values: str) -> None:
    t = texts_of(turn)
    turn.replies.append(Reply("\n".join([t(key, **values), t("codes.kinds"), t("codes.todo")])))


async def code_turn(turn: Turn, text: str, world: World) -> Turn | None:
    """A code alone or after 查 (the functions above): answered, and the step's question stands unless the code
    answered "where". A code inside longer words: its card, and None, so the words go on to the step as ever."""
    if turn.step is Step.idle and english_sentence(text):  # 「is this scale ok? CODE」: the card in English too
        turn.language = "en"
    code_answer = await answer_typed(turn, text, world)
    if code_answer is Answered.no and await card_in_words(turn, text, world) is not Answered.where:
        return None
    return await answered(turn, Step.where, world) if code_answer is not Answered.given else turn
