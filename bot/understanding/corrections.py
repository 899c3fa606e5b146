"""A correction typed at the summary: "时间错了 是上周五", "金额不对 应该是65块", "电话写错了 13800138000",
"改时间", "wrong place, it was stall 3", and "不是昨天 是前天" (the field whose answer holds 昨天).

Read only when the message is short, names exactly one field, and says it is a correction (a wrong-cue such as
错了/不对/写错/应该是/wrong/should be, or opens with 改/change). Anything else at the summary is more words for the
account, as before — a long message that happens to contain 时间 is a story, not a correction.

To teach a new way of saying it: add the field's word to ``FIELD_WORDS`` or the cue to ``_WRONG``/``_INTRO``; each has
an example in tests/test_dialogue_corrections.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation import Step
from bot.understanding.contact import name_and_phone
from bot.understanding.facts import amounts_in, when_in

MAX_CHARS = 40  # a correction is one short line; longer words at the summary join the account

FIELD_WORDS: dict[Step, tuple[str, ...]] = {
    Step.where: (
        *("地点", "地方", "地址", "摊位号", "摊位", "摊号", "店名", "市场"),
        *("place", "stall", "shop", "market", "where"),
    ),
    Step.when: ("时间", "日期", "几号", "哪天", "time", "date", "when", "day"),
    Step.amounts: ("金额", "价钱", "价格", "钱数", "钱", "分量", "重量", "斤数", "数量", "amount", "price", "weight"),
    Step.name: ("姓名", "名字", "name"),
    Step.phone: ("电话", "手机", "号码", "phone", "number", "mobile"),
}
_WRONG = re.compile(
    r"错了|错啦|不对|有误|写错|填错|打错|搞错|弄错|说错|记错|改一下|改下|改成|改为|应该是|应是|其实是|"
    r"\bwrong\b|\bshould be\b|\bactually\b|\bnot right\b|\bincorrect\b|\bchange\b|\bfix\b",
    re.IGNORECASE,
)
_INTRO = re.compile(r"^\s*(?:改|更正|修改|change|fix|correct)\s*", re.IGNORECASE)
# What comes between the cue and the new value: linking words ("是", "应该是", "it was") and punctuation.
_FILLER = re.compile(
    r"了|啦|是|为|叫|成|应该|应|其实|"
    r"\b(?:the|is|was|it|it's|it’s|should be|actually|to|be|my|name)\b|'s|’s|[,，.。:：;；!！~～\s]+",
    re.IGNORECASE,
)
# Field names that may begin the new value itself ("东街市场", "stall 3") are kept there.
_PART_OF_VALUE = re.compile(r"市场|market|(?:摊位|摊|stall|shop)\s*\d", re.IGNORECASE)


# 「不是昨天 是前天」「不是45，是54」「not 45 but 54」: the old words, then the new.
_NOT_BUT = re.compile(
    r"^\s*(?:不是|并不是|不)\s*(?P<old>[^,，。;；\s]{1,12}?)\s*[,，;；]?\s*(?:而是|是|应该是|应是)\s*(?P<new>\S.{0,20}?)\s*[。.!！]*$"
    r"|^\s*not\s+(?P<old_en>.{1,20}?)\s*,?\s*but\s+(?P<new_en>.{1,30}?)\s*[.!]*$"
    # 「是前天不是昨天」, 「少的是半斤 不是3两」: the new words first
    r"|^\s*(?:[^,，。;；\s是]{0,4}是)?\s*(?P<new_first>[^,，。;；\s]{1,12}?)\s*[,，;；]?\s*(?:而不是|不是)\s*"
    r"(?P<old_after>[^,，。;；\s]{1,12}?)\s*[。.!！]*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Correction:
    step: Step  # the question whose answer changes
    value: str  # the new answer as written; "" when the message names the field but not the new value


def correction_in(text: str) -> Correction | None:
    """The correction a short message at the summary makes, or None when it is not one."""
    if len(text) > (2 * MAX_CHARS if text.isascii() else MAX_CHARS):  # English words are longer
        return None
    lowered = text.casefold()
    named = [step for step, names in FIELD_WORDS.items() if any(_has(lowered, name) for name in names)]
    if len(named) != 1 or not (_WRONG.search(text) or _INTRO.match(text)):
        return None
    step = named[0]
    return Correction(step, _value(step, text))


def _names(english: bool) -> str:
    names = [name for names in FIELD_WORDS.values() for name in names if name.isascii() == english]
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


# While the story is still being told, a correction says so first (「地点错了 是…」, "the place is wrong, it was …"),
# and its new value is all that follows: story lines such as 「市场的秤不对 少了二两」 name a field and a cue too.
_SAYS_SO_FIRST = re.compile(
    rf"^\s*(?:{_names(english=False)})(?:我|你)?(?:写|说|填|打|记|搞|弄)?(?:错了|错啦|不对|有误)"
    rf"|^\s*(?:the\s+)?(?:{_names(english=True)})\s+(?:is|was)\s+(?:wrong|not right|incorrect)\b"
    rf"|^\s*wrong\s+(?:{_names(english=True)})\b",
    re.IGNORECASE,
)
_MOSTLY = 0.6  # of the words after the cue that the new time or amount must be


def story_correction(text: str) -> Correction | None:
    """A correction sent before the summary, while the story is told: said so first, with its new value as all the
    rest (a time or an amount that is most of it; a place, a name or a phone the caller checks)."""
    if not _SAYS_SO_FIRST.match(text):
        return None
    correction = correction_in(text)
    if correction is None or not correction.value:
        return None
    if correction.step in (Step.when, Step.amounts):
        rest = re.sub(r"\s", "", _after_cue(correction.step, text))
        if len(re.sub(r"\s", "", correction.value)) < _MOSTLY * len(rest):
            return None  # 「时间不对啊 他们说早上不营业」: more story than time
    return correction


def swap_in(text: str, answers: dict[Step, str]) -> Correction | None:
    """「不是昨天 是前天」 at the summary: the one answer that holds the old words gets the new ones in their place
    (昨天下午 → 前天下午). When no answer holds them, the new words are a time or an amount if they read as one."""
    said = _NOT_BUT.match(text)
    if said is None:
        return None
    old = said.group("old") or said.group("old_en") or said.group("old_after")
    new = said.group("new") or said.group("new_en") or said.group("new_first")
    holding = [step for step, answer in answers.items() if old.casefold() in answer.casefold()]
    if len(holding) == 1:
        step, answer = holding[0], answers[holding[0]]
        start = answer.casefold().index(old.casefold())
        end = start + len(old)
        if step is Step.where:  # 「不是东街 是南门农贸市场」: the whole name goes (东街菜市场), the stall stays
            space = answer.find(" ", end)
            end = len(answer) if space < 0 else space
        return Correction(step, answer[:start] + new + answer[end:])
    if holding:
        return None  # the old words are in two answers: which one is meant is not said
    for step, read in ((Step.when, when_in), (Step.amounts, amounts_in)):
        value = read(new)
        if value:
            return Correction(step, value)
    return None


def _has(lowered: str, name: str) -> bool:
    if name.isascii():
        return re.search(rf"\b{re.escape(name)}\b", lowered) is not None
    return name in lowered


def _value(step: Step, text: str) -> str:
    if step is Step.when:
        return when_in(text)
    if step is Step.amounts:
        return amounts_in(text)
    rest = _after_cue(step, text)
    if step is Step.phone:  # a number too short to read as a phone is still taken, to be refused with the reason
        return name_and_phone(text)[1] or rest
    if step is Step.name:
        return name_and_phone(rest)[0] if rest else ""
    return rest


def _after_cue(step: Step, text: str) -> str:
    """The words after the last cue ("地点错了 是西门市场" → "西门市场"), without the field's name or linking words."""
    cues = [*_INTRO.finditer(text), *_WRONG.finditer(text)]
    rest = text[max(match.end() for match in cues) :] if cues else text
    names = sorted(FIELD_WORDS[step], key=len, reverse=True)
    previous = None
    while previous != rest:  # strip from the front until nothing more comes off
        previous = rest
        match = _FILLER.match(rest)
        if match and match.end():
            rest = rest[match.end() :]
        if _PART_OF_VALUE.match(rest):
            break
        for name in names:
            if rest.casefold().startswith(name):
                rest = rest[len(name) :]
                break
    return rest.strip(" ,，.。:：;；!！")
