"""The facts a shopper's own words already carry, so that the dialogue does not ask for them again: when it
happened and the amounts (money and quantities). The place is found by the registry's names (intake's name
index, through :class:`bot.turn.World`), not here.

Each fact is kept as the shopper wrote it (the handler reads "今天上午", not a normalised timestamp), in simplified
characters ("二兩" is read and kept as "二两"): these patterns only find the words. To teach the dialogue a new
form, add it to the word lists below; each list is one kind of expression, and tests/test_dialogue_facts.py holds
an example of each.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.conversation import Draft
from complaints.classify.tokenize import simplified

_NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千半几]+)"
# Days and parts of days, in the order people say them: "上周五下午", "11月20号", "前天晚上" ("12号摊" is a stall).
_DAYS = (
    r"今天|今日|今早|今晚|昨天|昨日|昨晚|前天|大前天|刚才|刚刚|上午|下午|中午|早上|早晨|晚上|傍晚|凌晨|"
    r"(?:上|这|本)?(?:周|星期|礼拜)[一二三四五六日天末]|上周末?|这周末?|上个?月|这个?月|月初|月底|"
    r"\d{1,2}月\d{1,2}[日号]?|\d{1,2}[日号](?![摊档铺柜门楼店窗位台床间])|\d{1,2}点(?:多|半)?"
)
_WHEN = re.compile(rf"(?:{_DAYS})+")
_WHEN_EN = re.compile(
    r"\b(?:this (?:morning|afternoon|evening)|today|yesterday|last (?:night|week|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)|tonight|(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|\d{1,2}(?::\d{2})?\s?(?:am|pm))\b",
    re.IGNORECASE,
)
_MONEY = rf"{_NUMBER}\s*(?:块钱|块|元|毛)|(?:付了|给了|收了|花了|收我|花)\s*{_NUMBER}(?:多)?(?:块钱|块|元)?"
# kg, g and l only as whole words: "stall 5 looks rigged" holds no 5 litres
_WEIGHT = rf"{_NUMBER}\s*(?:公斤|千克|斤|两|克|升|吨|度|方|公里|(?:kg|g|l)(?![a-z]))(?:{_NUMBER}(?:两|钱)?)?"
_AMOUNTS = re.compile(rf"(?:{_MONEY}|{_WEIGHT})", re.IGNORECASE)
_AMOUNTS_EN = re.compile(
    r"(?<![\d.])(?:\d+(?:\.\d+)?\s?(?:yuan|rmb|kg|g|grams?|jin|litres?|liters?)|¥\s?\d+)\b"
    r"|\b(?:paid|charged|cost)\s+(?:me\s+)?(?:¥\s?)?\d+(?:\.\d+)?\b(?!\s?(?:yuan|rmb))",  # "paid 60" (60 yuan: above)
    re.IGNORECASE,
)


def when_in(text: str) -> str:
    """The time words of a text, as written ("" when there are none)."""
    text = simplified(text)
    found = [match.group(0) for match in _WHEN.finditer(text)] + [m.group(0) for m in _WHEN_EN.finditer(text)]
    return " ".join(dict.fromkeys(part.strip() for part in found if part.strip()))


def amounts_in(text: str) -> str:
    """The money and quantities of a text, as written ("" when there are none)."""
    text = simplified(text)
    found = [match.group(0) for match in _AMOUNTS.finditer(text)] + [m.group(0) for m in _AMOUNTS_EN.finditer(text)]
    return " ".join(dict.fromkeys(part.strip() for part in found if part.strip()))


# The questions these facts answer, and the draft's field of each (bot.conversation.Step values).
FACT_FIELDS = {"where": "place", "when": "when", "amounts": "amounts"}


async def facts_told(
    draft: Draft, place_named: Callable[[str], Awaitable[str | None]], *, limit: int
) -> tuple[str, ...]:
    """Place, time and amounts the shopper's words already carry, taken into the draft as answered (so they are not
    asked); returns the fields taken. ``place_named`` finds a registry name in a text (the dialogue's World)."""
    account = draft.account
    found = {
        # a market the words name wins over the one a location shared before the story was near
        "where": "" if draft.code else (await place_named(account) or draft.located),
        "when": when_in(account),
        "amounts": amounts_in(account),
    }
    taken = []
    for question, value in found.items():
        field_name = FACT_FIELDS[question]
        if value and question not in draft.asked and not getattr(draft, field_name):
            setattr(draft, field_name, value[:limit])
            draft.asked.append(question)
            taken.append(field_name)
    return tuple(taken)
