"""The facts a shopper's own words already carry, so that the dialogue does not ask for them again: when it
happened and the amounts (money and quantities). The place is found first by the registry's names (intake's name
index, through :class:`bot.turn.World`); a place the registry does not know ("中石化人民路加油站") is found here by
its kind (加油站, 超市, 菜市场 …), so that it is not asked for again, and routes to no station.

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
# Days and parts of days, in the order people say them: "上周五下午", "11月20号", "前天晚上" ("12号摊" is a stall,
# and so is the number after a market, a shop or "卖猪肉的": "东街市场 15号", "卖猪肉的15号"; "92号", "95号汽油" are
# petrol grades).
_DAYS = (
    # a receipt's or a screenshot's date, 「2026-12-06 09:12」 (with its year: 「1.00」 kg is no date)
    r"20\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s*\d{1,2}:\d{2})?|"
    r"今天|今日|今早|今晚|昨天|昨日|昨晚|前天|大前天|刚才|刚刚|上午|下午|中午|早上|早晨|晚上|傍晚|凌晨|"
    # 「半小时前」「两个钟头以前」「10分钟前」; 「昨儿个」「今儿」 as the north says 昨天, 今天
    r"(?:半|\d{1,3}|[一二两三四五六七八九十几]+)个?多?(?:小时|钟头|分钟)(?:以前|之前|前)|[昨今前]儿个?|"
    r"前几天|这几天|前两天|前些天|前阵子|前段时间|\d{1,2}天前|[一二两三四五六七八九十几]天前|"
    r"(?:上|这|本)?(?:周|星期|礼拜)[一二三四五六日天末]|上周末?|这周末?|上个?月|这个?月|月初|月底|"
    r"\d{1,2}月\d{1,2}[日号]?|(?<![\d的场店摊档铺第])(?<![的场店摊档铺第]\s)(?:3[01]|[12]\d|0?[1-9])[日号](?![摊档铺柜门楼店窗位台床间汽柴油])|"
    r"\d{1,2}点(?:多|半)?|"
    r"(?:十[一二]?|[一二两三四五六七八九])点(?:多|半|钟)?"
)
_WHEN = re.compile(rf"(?:{_DAYS})+")
_WHEN_EN = re.compile(
    r"\b(?:just now|(?:half an|an|a few|\d{1,3}) (?:minutes?|hours?) ago|"
    r"this (?:morning|afternoon|evening)|(?:today|yesterday)(?: (?:morning|afternoon|evening|night))?|"
    r"last (?:night|week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|tonight|this (?:week|month)|"
    r"(?:a few|\d{1,2}|two|three) days ago|"
    r"(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?: (?:morning|afternoon|evening|night))?"
    r"|\d{1,2}(?::\d{2})?\s?(?:am|pm))\b",
    re.IGNORECASE,
)
# 「少给了二两」, 「多收了5块」: the short or over word is kept with the amount, which says nothing without it
_MONEY = rf"{_NUMBER}\s*(?:块钱|块|元|毛)|(?:少|多)?(?:付了|给了|收了|花了|收我|花)\s*{_NUMBER}(?:多)?(?:块钱|块|元)?"
# kg, g and l only as whole words: "stall 5 looks rigged" holds no 5 litres
# 「八两秤」 is a rigged scale's nickname, not eight liang; 「2俩」 is 两 typed by its sound
_UNITS = r"公斤|千克|斤|两(?!秤)|俩|克|升|吨|度|方|公里|(?:kg|g|l)(?![a-z])"
_WEIGHT = rf"(?:少了|差了)?{_NUMBER}\s*(?:{_UNITS})(?:{_NUMBER}(?:两|钱)?)?"
_AMOUNTS = re.compile(rf"(?:{_MONEY}|{_WEIGHT})", re.IGNORECASE)
_AMOUNTS_EN = re.compile(
    r"(?<![\d.])(?:\d+(?:\.\d+)?\s?(?:yuan|rmb|kg|g|grams?|jin|litres?|liters?|tons?|tonnes?|kwh|m3|m³"
    r"|cubic met(?:er|re)s?)|¥\s?\d+)\b"
    r"|\b(?:paid|charged|cost)\s+(?:me\s+)?(?:¥\s?)?\d+(?:\.\d+)?\b(?!\s?(?:yuan|rmb))",  # "paid 60" (60 yuan: above)
    re.IGNORECASE,
)


# A place the registry does not know is still a place told: 「中石化人民路加油站」, 「城西菜市场」, 「永辉超市」; a fuel
# brand is how a station is named (「鼓楼中石化」), though the brand alone is not which one.
# The name is what comes before a kind of place, after the last word that leads into it (在, 去 …), in one clause.
_PLACE_KINDS = (
    r"加油站|加气站|充电站|中国石化|中国石油|中石化|中石油|中海油|壳牌|农贸市场|批发市场|菜市场|集贸市场|市场|菜场|集市|超市|商场|购物中心|便利店|商店|专卖店|"
    r"大药房|药房|药店|眼镜店|眼镜行|眼镜城|水果店|肉店|店|摊位|摊|档口|铺子|铺"
)
_PLACE = re.compile(rf"([\u4e00-\u9fffA-Za-z0-9]{{2,12}}?)(?:{_PLACE_KINDS})")
# 「中石化城西站」「中国石油人民路站」: a fuel brand's station, named by where it is and 站
_BRAND_STATION = re.compile(r"(?:中国石化|中国石油|中石化|中石油|中海油|壳牌)[^\W的那这哪个家_]{1,8}?站")
# 「超市是永辉」, 「那个店叫老王水果」: the kind first, then its name
_PLACE_NAMED_AFTER = re.compile(
    rf"({_PLACE_KINDS})(?:的名字|名字)?(?:是|叫做?|名叫)([\u4e00-\u9fffA-Za-z0-9]{{2,10}})$"
)
_NOT_NAMED_AFTER = re.compile(r"[在不我你他她没对错新]|\d+[号个斤块元]")  # 「店是在人民路」, 「摊是新开的」: no name
# the words that lead into a place's name: 「我在…」, 「超市是…」, and the verb of a headline, 「投诉南门菜场」
_INTO_PLACE = re.compile(r".*(?:在|去|到|从|是|叫|跟|那边|这边)|^(?:我要|我想)?(?:投诉|举报|反映)(?:一下)?")
# 「那家店」, 「卖猪肉的摊」, 「一个摊」: which kind of place, not which one; 「不知道哪个市场」: none
_NOT_A_PLACE_NAME = re.compile(
    r"^(?:[这那哪某一每他她它][家个间处]?|卖|买|开|有|小|同|附近|门口|路边)|的$|[了过着哪啥]|什么|不知道|不记得|不清楚|忘"
)
# 「农贸市场」, 「海鲜市场」, 「水果店」: a kind of place, or the goods it sells, named by no one
_GOODS = (
    r"海鲜|水产|蔬菜|果蔬|水果|农贸|农产品|批发|集贸|菜|肉|肉类|猪肉|牛肉|羊肉|鱼|生鲜|粮油|干货|花鸟|服装|建材|"
    r"小商品|百货|杂货|副食|零售|综合|早市|夜市|早|夜|药|眼镜|黄金|珠宝"
)
_KIND_ALONE = re.compile(rf"(?:{_GOODS})*(?:{_PLACE_KINDS})")
_WHEN_FIRST = re.compile(rf"^(?:{_DAYS})+")
_CLAUSES = re.compile(r"[，,。.!！?？;；\s]+")


# In English, a place with a name: "Yonghui Supermarket", "the gas station on Renmin Road"; "the market" is none
_PLACE_EN = re.compile(
    r"\b((?:[A-Z][\w'-]*\s+){1,4}(?:[Mm]arket|[Ss]upermarket|[Mm]all|[Ss]tore|[Ss]hop)"
    r"|(?:gas|petrol|filling|charging)\s+station\s+(?:on|in)\s+(?:[A-Z][\w-]*\s*){1,3}"
    # a fuel brand with where it is, as 「人民路中石化」: "Sinopec on Renmin Road", "the PetroChina in Gulou"
    r"|(?:Sinopec|PetroChina|CNPC|CNOOC|Shell)(?:\s+(?:gas|petrol|filling)\s+station)?\s+(?:on|in|at)\s+"
    r"(?:[A-Z][\w-]*\s*){1,3}"
    r"|(?:market|supermarket|shop|store)\s+(?:on|in)\s+(?:[A-Z][\w-]*\s*){1,3})"
)


# A vehicle's plate (闽A12345, 粤B·D12345 for a new-energy taxi): the "which one" of a taxi meter
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][·•.\s]?[A-Z0-9]{5,6}(?![A-Z0-9])"
)


def place_in(text: str) -> str:
    """A named place that is not in the registry, or a taxi's plate, as written ("" when none is named)."""
    plate = _PLATE.search(text.upper())
    if plate:
        return plate.group(0)
    english = _PLACE_EN.search(text)
    if english and not re.match(r"(?:The|A|An|I|My|This|That)\s", english.group(1)):
        return english.group(1).strip()
    for clause in _CLAUSES.split(simplified(text)):
        if station := _BRAND_STATION.search(clause):
            return station.group(0)
        for match in _PLACE.finditer(clause):
            name = _INTO_PLACE.sub("", _WHEN_FIRST.sub("", match.group(1)))
            place = name + match.group(0)[len(match.group(1)) :]
            if len(name) >= 2 and not _NOT_A_PLACE_NAME.search(name) and not _KIND_ALONE.fullmatch(place):
                return place
    for clause in _CLAUSES.split(simplified(text)):
        named = _PLACE_NAMED_AFTER.search(clause)
        if named and not _NOT_A_PLACE_NAME.search(named.group(2)) and not _NOT_NAMED_AFTER.match(named.group(2)):
            kind, name = named.group(1), named.group(2)
            return name if _PLACE.fullmatch(name) else name + kind
    return ""


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


Lookup = Callable[[str], Awaitable[str | None]]
# 「at 南门」, 「在东街那边」, 「在你们南门那个菜场」: the first words of a registry name, said where a place is said
_PLACE_HEAD = re.compile(
    r"\b(?:at|in|from)\s+([\u4e00-\u9fff]{2,6})"
    r"|在(?:你们|我们|咱们)?([\u4e00-\u9fff]{2,3}?)(?:那边|这边|那儿|那里|那块|那个|这个|那家|这家|[，,。.!！\s]|$)",
    re.IGNORECASE,
)


# 「我在这买的」「就这家」: a story told right after a question about an instrument, at it (not 「在这附近」, near it)
_HERE = re.compile(
    r"(?:在这|这里|这儿)(?!附近|边|一带|周围|条街|个市场)|这家|这个摊|这摊|这台|这个秤|这杆秤|这把秤|这秤|这个加油机|这个表|\bhere\b"
    r"|\bthis (?:scale|shop|stall|pump|meter)\b",
    re.IGNORECASE,
)


async def facts_told(draft: Draft, place_named: Lookup, *, limit: int, place_beginning: Lookup) -> tuple[str, ...]:
    """Place, time and amounts the shopper's words already carry, taken into the draft as answered (so they are not
    asked); returns the fields taken. ``place_named`` finds a registry name in a text, ``place_beginning`` the one
    name that begins with a head (the dialogue's World)."""
    account = draft.account
    # a market the words name wins over the one a location shared before the story was near, then the one market
    # (or merchant) whose name begins with a head said as a place (「at 南门」), then a place named that the
    # registry does not know (kept for the handler, routed by no one)
    named = "" if draft.code else await place_named(account) or await _place_begun(account, place_beginning)
    named = _with_stall(named, account) if named else named
    if draft.asked_about and not (draft.code or named or place_in(account)) and _HERE.search(simplified(account)):
        draft.code = draft.asked_about  # the place is the instrument just asked about: not asked again
        draft.asked.append("where")
        return ("code", *await facts_told(draft, place_named, limit=limit, place_beginning=place_beginning))
    found = {
        "where": "" if draft.code else (named or draft.located or place_in(account)),
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


async def _place_begun(account: str, place_beginning: Lookup) -> str | None:
    for found in _PLACE_HEAD.finditer(account):
        place = await place_beginning(found.group(1) or found.group(2))
        if place is not None:
            return place
    return None


# 「北门市场12号摊」: the stall said right after the place's name goes with it (the handler goes to the stall)
_STALL_AFTER = re.compile(r"\s*(\d{1,4}\s*号\s*(?:摊位?|档口?|铺位?|柜台?|门面)?)")


def _with_stall(named: str, account: str) -> str:
    text = simplified(account)
    at = text.find(named)
    stall = _STALL_AFTER.match(text, at + len(named)) if at >= 0 else None
    return f"{named} {stall.group(1)}" if stall else named
