"""Which station a case belongs to (DESIGN.md, "Jurisdiction").

In order: the scanned instrument's merchant; else a merchant or market the shopper named in the text (a market
also in pinyin: "Nanmen market"); else the district intake queue, where a person routes it. Messages that are not
about measurement (category `other`) go to the general intake queue whatever they name.

Names are matched on the text itself rather than through jieba: adding registry names to the segmenter's
dictionary would change the words the classifier sees from those it was trained on, and a plain substring
match is both exact and cheap. The index is built from the registry by the caller and reused across
submissions (a province has ~10⁵ merchants; rebuilding it per message would cost more than the message).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.classify.tokenize import simplified
from complaints.models import Queue
from lookup.models import Market, Merchant, table_of

merchant_t, market_t = table_of(Merchant), table_of(Market)

OTHER_CATEGORY = "other"
MIN_NAME_LENGTH = 2  # a one-character "name" would match nearly every message


class PlaceKind(StrEnum):
    merchant = "merchant"
    market = "market"


@dataclass(frozen=True, slots=True)
class Place:
    kind: PlaceKind
    id: int
    station_id: int
    market_id: int | None  # the market itself, or the merchant's market


@dataclass(frozen=True, slots=True)
class Route:
    queue: Queue
    station_id: int | None
    merchant_id: int | None
    market_id: int | None
    instrument_id: int | None
    matched_name: str = ""  # the name found in the text, for the handler to check


class NameIndex:
    """Registry names and aliases, found in a text by looking up each position's first two characters; markets also
    by their names in Latin letters (:func:`latin_market_names`)."""

    def __init__(self, names: list[tuple[str, Place]]) -> None:
        by_prefix: dict[str, list[tuple[str, Place]]] = defaultdict(list)
        for name, place in names:
            name = name.strip()
            if len(name) >= MIN_NAME_LENGTH:
                by_prefix[name[:MIN_NAME_LENGTH]].append((name, place))
        for candidates in by_prefix.values():
            candidates.sort(key=lambda item: len(item[0]), reverse=True)
        self._by_prefix = dict(by_prefix)
        self._latin = latin_market_names(names)
        self.size = sum(len(candidates) for candidates in self._by_prefix.values())

    def find(self, text: str) -> list[tuple[str, Place]]:
        """Every name found, longest first at each position; a name inside a longer match is not repeated.
        Traditional characters and full-width forms are read as the registry writes names (南門菜場 → 南门菜场)."""
        text = simplified(text)
        found: list[tuple[str, Place]] = []
        covered_until = 0
        for start in range(len(text) - MIN_NAME_LENGTH + 1):
            candidates = self._by_prefix.get(text[start : start + MIN_NAME_LENGTH])
            if not candidates:
                continue
            for name, place in candidates:
                if text.startswith(name, start):
                    end = start + len(name)
                    if end > covered_until:
                        found.append((name, place))
                        covered_until = end
        if self._latin and _LATIN_LETTER.search(text):
            seen = {place for _, place in found}
            found += [(name, place) for name, place in _latin_markets_in(text, self._latin) if place not in seen]
        return found

    def place_beginning(self, head: str) -> tuple[str, Place] | None:
        """The one market whose name or alias begins with ``head`` (东街 → 东街菜市场); when no market does, the one
        merchant (刘记 → 刘记猪肉); None when none or several do. Only for a short answer to "where": inside a story,
        two characters are too often just a street."""
        head = simplified(head)
        if len(head) < MIN_NAME_LENGTH:
            return None
        found: dict[PlaceKind, dict[Place, str]] = {PlaceKind.market: {}, PlaceKind.merchant: {}}
        for name, place in self._by_prefix.get(head[:MIN_NAME_LENGTH], []):  # longest first: the registered name
            if name.startswith(head):
                found[place.kind].setdefault(place, name)
        places = found[PlaceKind.market] or found[PlaceKind.merchant]
        if len(places) != 1:
            return None
        place, name = next(iter(places.items()))
        return name, place


async def load_name_index(connection: AsyncConnection) -> NameIndex:
    names: list[tuple[str, Place]] = []
    merchants = sa.select(merchant_t.c.id, merchant_t.c.name, merchant_t.c.station_id, merchant_t.c.market_id)
    for merchant_id, name, station_id, market_id in await connection.execute(merchants):
        names.append((name, Place(PlaceKind.merchant, merchant_id, station_id, market_id)))
    markets = sa.select(market_t.c.id, market_t.c.name, market_t.c.aliases, market_t.c.station_id)
    for market_id, name, aliases, station_id in await connection.execute(markets):
        place = Place(PlaceKind.market, market_id, station_id, market_id)
        names.extend((alias, place) for alias in [name, *(aliases or [])])
    said = names + short_names(names)
    return NameIndex(said + spoken_kinds(said))


# What a market's name says it sells, before 市场: the words people leave out when they say the name.
_MARKET_GOODS = "农贸|农副产品|集贸|综合|菜|水产|海鲜|果蔬|蔬菜|水果|肉类"
# Words of a registered name that people leave out when they say it: what a market sells (南门农贸市场 is "南门市场",
# 西湖水产市场 "西湖市场"), and what kind of shop a merchant is (鼓楼石化加油站 is "鼓楼石化").
_LEFT_OUT = {
    PlaceKind.market: re.compile(rf"(?:{_MARKET_GOODS})+(?=市场$)"),
    PlaceKind.merchant: re.compile(r"(?:加油站|超市|商行|商店|店)$"),
}


def short_names(names: list[tuple[str, Place]]) -> list[tuple[str, Place]]:
    """Each name as people say it, where that short name is no other place's name or alias."""
    taken = {name for name, _ in names}
    short: dict[str, list[Place]] = defaultdict(list)
    for name, place in names:
        if place.kind in _LEFT_OUT:
            shorter = _LEFT_OUT[place.kind].sub("", name)
            if shorter != name and len(shorter) >= MIN_NAME_LENGTH + 2 and shorter not in taken:
                short[shorter].append(place)
    # Two places that shorten alike ("东门农贸市场", "东门水产市场"): the short name tells neither.
    return [(name, places[0]) for name, places in short.items() if len({(p.kind, p.id) for p in places}) == 1]


# Markets as a visitor writes them in Latin letters: 东街菜市场 is "Dongjie market", "dong jie wet market"; 西湖水产市场
# "Xihu seafood market". The key is the pinyin of the name without what kind of market it is.
_MARKET_KIND = re.compile(rf"(?:{_MARKET_GOODS})*(?:市场|菜场)$")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_LATIN_WORD = re.compile(r"[a-z]+")
_MARKET_WORDS = frozenset({"market", "shichang", "caichang"})
_KIND_WORDS = frozenset(  # what an English speaker puts between the name and "market"
    {"farmers", "farmer", "wet", "food", "fresh", "vegetable", "veg", "seafood", "fish", "aquatic", "produce", "cai",
     "nongmao", "shuichan", "s"}
)  # fmt: skip
MAX_LATIN_WORDS = 3  # "dong jie", "xi hu": a market's name is one to three syllables written apart


@functools.cache
def pinyin_reader() -> Callable[[str], list[str]]:
    """pypinyin's reader with its dictionaries loaded (about 0.3 s), once per process; imported here rather than at
    the top so that commands which build no index do not pay for it, and the web process loads it from start-up in
    a thread (web/intake_service.py), not on the event loop of the first message."""
    from pypinyin import lazy_pinyin

    lazy_pinyin("南门")
    return lazy_pinyin


def latin_market_names(names: list[tuple[str, Place]]) -> dict[str, tuple[str, Place]]:
    """Each market's name and aliases in pinyin, without the kind ("dongjie" → 东街菜市场, the registered name);
    a key two markets share names neither."""
    lazy_pinyin = pinyin_reader()
    registered: dict[Place, str] = {}
    keys: dict[str, set[Place]] = defaultdict(set)
    for name, place in names:
        if place.kind is not PlaceKind.market:
            continue
        registered.setdefault(place, name)  # load_name_index lists a market's name before its aliases
        head = _MARKET_KIND.sub("", simplified(name.strip()))
        if len(head) >= MIN_NAME_LENGTH:
            keys["".join(lazy_pinyin(head)).lower()].add(place)
    return {
        key: (registered[next(iter(places))], next(iter(places))) for key, places in keys.items() if len(places) == 1
    }


def _latin_markets_in(text: str, latin: dict[str, tuple[str, Place]]) -> list[tuple[str, Place]]:
    """Markets named in Latin letters before "market" (or shichang): the longest run of words before it (and before
    any kind words) that is a market's key."""
    words = _LATIN_WORD.findall(text.lower())
    found = []
    for at, word in enumerate(words):
        if word not in _MARKET_WORDS:
            continue
        end = at
        while end > 0 and words[end - 1] in _KIND_WORDS:
            end -= 1
        for length in range(min(MAX_LATIN_WORDS, end), 0, -1):
            hit = latin.get("".join(words[end - length : end]))
            if hit is not None:
                found.append(hit)
                break
    return found


def route_by_text(text: str, category: str, names: NameIndex) -> Route:
    """The route for a message without a scanned instrument."""
    if category == OTHER_CATEGORY:
        return Route(Queue.general_intake, None, None, None, None)
    found = names.find(text)
    merchants = [(name, place) for name, place in found if place.kind is PlaceKind.merchant]
    markets = [(name, place) for name, place in found if place.kind is PlaceKind.market]
    market_ids = {place.id for _, place in markets}
    # Two shops of one name in different markets: the market named beside it tells which.
    in_named_market = [(name, place) for name, place in merchants if place.market_id in market_ids]
    merchants = in_named_market or merchants
    # A merchant is more specific than a market. The names must agree on one station, or a person decides:
    # guessing between two stations would send the case where nobody can handle it.
    for candidates in (merchants, markets):
        stations = {place.station_id for _, place in candidates}
        if len(stations) != 1:
            continue
        places = {place for _, place in candidates}
        merchant_id = next(iter(places)).id if len(places) == 1 and candidates is merchants else None
        named_markets = {place.market_id for place in places}
        market_id = named_markets.pop() if len(named_markets) == 1 else None
        return Route(Queue.station, stations.pop(), merchant_id, market_id, None, candidates[0][0])
    return Route(Queue.district_intake, None, None, None, None)


def route_by_instrument(
    category: str, *, instrument_id: int, merchant_id: int, market_id: int | None, station_id: int
) -> Route:
    """The route for a message sent from a scanned sticker: the instrument's merchant's station."""
    if category == OTHER_CATEGORY:
        # Not a measurement matter even though it came from a sticker: keep the links, let intake route it.
        return Route(Queue.general_intake, None, merchant_id, market_id, instrument_id)
    return Route(Queue.station, station_id, merchant_id, market_id, instrument_id)


# A market's kind as people also write it: 街市 (a market, in Cantonese: 「南门街市」), 菜厂 (菜场 typed by its sound).
# Only added names, never a rewrite of the shopper's words: 「东街市场」 holds 街市 too.
_KINDS_SAID = ((re.compile(r"(?:菜市场|市场|菜场)$"), "街市"), (re.compile(r"菜场$"), "菜厂"))


def spoken_kinds(names: list[tuple[str, Place]]) -> list[tuple[str, Place]]:
    """Each market name with its kind as people also write it, where that is no other place's name."""
    taken = {name for name, _ in names}
    said: dict[str, set[Place]] = defaultdict(set)
    for name, place in names:
        if place.kind is PlaceKind.market:
            for kind, spoken in _KINDS_SAID:
                variant = kind.sub(spoken, name)
                if variant != name and variant not in taken and len(variant) >= MIN_NAME_LENGTH + 2:
                    said[variant].add(place)
    return [(name, next(iter(places))) for name, places in said.items() if len(places) == 1]
