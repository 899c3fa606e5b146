"""One resolver for anything scanned or typed: which instrument it names, or what it is when it names none.

In this order: our code or our lookup URL (`/i/{code}`; a mistyped one goes to lookup/typed_code.py, which forgives
slips); a GS1 code (lookup/codes/gs1.py: a Digital Link URI from any domain, an element string, raw or in brackets) by
its GTIN and serial; else the instrument's other codes as written — 识别编码 (GB/T 36377), 资产编号 and the
nameplate's serial number (出厂编号), which several merchants' instruments may share: then the shopper is asked
which merchant or market. A bare GTIN (a product's barcode) that names none of these is said to be one.

Each answer costs at most one indexed read beyond normalising the text.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.codes.gs1 import Gs1Reading, looks_gs1, read_gs1
from lookup.codes.rules import normalise_plain
from lookup.models import Instrument, Market, Merchant, table_of
from lookup.typed_code import Reading, read_typed
from lookup.vocab import InstrumentKind
from qr.codes import normalise_code

instrument_t, merchant_t, market_t = table_of(Instrument), table_of(Merchant), table_of(Market)

MAX_TEXT = 512
MAX_MATCHES = 20
# Our lookup URL on any host (a shopper may paste it from a chat, with or without the scheme).
_OUR_URL = re.compile(r"/i/([^/?#\s]{1,64})")


class Outcome(enum.Enum):
    instrument = "instrument"  # exactly one instrument: its page
    several = "several"  # a nameplate serial several instruments share: ask which merchant or market
    ours = "ours"  # our code's shape but no instrument: mistyped or unknown (lookup/typed_code.py answers it)
    product = "product"  # a GS1 code whose GTIN (with its serial, if any) names no instrument we know
    gs1_broken = "gs1_broken"  # GS1-shaped but unreadable: a wrong check digit, an unknown AI, no GTIN
    unknown = "unknown"  # nothing we know


class MatchedBy(enum.Enum):
    own_code = "own_code"
    gs1 = "gs1"
    id_code = "id_code"
    asset_no = "asset_no"
    serial_no = "serial_no"


@dataclass(frozen=True, slots=True)
class Match:
    code: str
    kind: InstrumentKind
    merchant: str
    stall: str
    market: str
    matched_by: MatchedBy


@dataclass(frozen=True, slots=True)
class Resolution:
    outcome: Outcome
    text: str  # what was read, cleaned (for the page: "you typed …"); for `ours`, the code part of a URL
    matches: tuple[Match, ...] = ()
    gs1: Gs1Reading | None = None
    more: bool = field(default=False)  # more matches than MAX_MATCHES

    @property
    def code(self) -> str | None:
        return self.matches[0].code if self.outcome is Outcome.instrument else None


def clean(text: str) -> str:
    """The text as scanned or typed, trimmed, without control characters other than GS1's FNC1 (0x1D)."""
    text = text[:MAX_TEXT]
    kept = "".join(ch for ch in text if ch == "\x1d" or unicodedata.category(ch)[0] != "C")
    return kept.strip()


async def resolve(connection: AsyncConnection, raw: str) -> Resolution:
    """What a scanned or typed text names."""
    text = clean(raw)
    if not text:
        return Resolution(Outcome.unknown, text)
    own = _our_code(text)
    if own is not None:
        return await _resolve_own(connection, own)
    if looks_gs1(text):
        return await _resolve_gs1(connection, text, read_gs1(text))
    matches, more = await _plain_matches(connection, text)
    if matches:
        outcome = Outcome.instrument if len(matches) == 1 else Outcome.several
        return Resolution(outcome, text, matches, more=more)
    if read_typed(text) is not Reading.not_a_code:
        return Resolution(Outcome.ours, text)
    gs1 = read_gs1(text)
    if gs1 is not None:
        return Resolution(Outcome.product if gs1.gtin else Outcome.gs1_broken, text, gs1=gs1)
    return Resolution(Outcome.unknown, text)


def _our_code(text: str) -> str | None:
    """Our code as typed, or the code part of our lookup URL; None when the text is neither."""
    if normalise_code(text) is not None:
        return text
    if match := _OUR_URL.search(text):
        return match[1]
    return None


def _select() -> sa.Select[Any]:
    i, m, k = instrument_t.c, merchant_t.c, market_t.c
    return (
        sa.select(i.code, i.kind, m.name, m.stall, k.name.label("market"))
        .join_from(instrument_t, merchant_t, m.id == i.merchant_id)
        .outerjoin(market_t, k.id == m.market_id)
    )


def _match(row: sa.Row[Any], matched_by: MatchedBy) -> Match:
    return Match(row.code, InstrumentKind(row.kind), row.name, row.stall, row.market or "", matched_by)


async def _resolve_own(connection: AsyncConnection, typed: str) -> Resolution:
    code = normalise_code(typed)
    if code is None:
        return Resolution(Outcome.ours, typed)
    row = (await connection.execute(_select().where(instrument_t.c.code == code))).first()
    if row is None:
        # One in 32 serial or asset numbers of ten letters and digits passes our check by chance.
        matches, more = await _plain_matches(connection, typed)
        if matches:
            return Resolution(Outcome.instrument if len(matches) == 1 else Outcome.several, typed, matches, more=more)
        return Resolution(Outcome.ours, typed)
    return Resolution(Outcome.instrument, typed, (_match(row, MatchedBy.own_code),))


async def _resolve_gs1(connection: AsyncConnection, text: str, gs1: Gs1Reading | None) -> Resolution:
    if gs1 is None or gs1.gtin is None:
        return Resolution(Outcome.gs1_broken, text, gs1=gs1)
    if gs1.serial is not None:
        i = instrument_t.c
        query = _select().where(i.gtin == gs1.gtin, i.gs1_serial == gs1.serial)
        row = (await connection.execute(query)).first()
        if row is not None:
            return Resolution(Outcome.instrument, text, (_match(row, MatchedBy.gs1),), gs1=gs1)
    return Resolution(Outcome.product, text, gs1=gs1)


async def _plain_matches(connection: AsyncConnection, text: str) -> tuple[tuple[Match, ...], bool]:
    """Instruments whose 识别编码, 资产编号 or nameplate serial is the text (one read over three indexes)."""
    i = instrument_t.c
    plain = normalise_plain(text)
    serials = list({text, plain})
    query = (
        _select()
        .add_columns(i.id_code, i.asset_no)
        .where(sa.or_(i.id_code == plain, i.asset_no == plain, i.serial_no.in_(serials)))
        .order_by(merchant_t.c.name, i.code)
        .limit(MAX_MATCHES + 1)
    )
    rows = (await connection.execute(query)).all()
    matches = []
    for row in rows[:MAX_MATCHES]:
        by = (
            MatchedBy.id_code
            if row.id_code == plain
            else MatchedBy.asset_no
            if row.asset_no == plain
            else MatchedBy.serial_no
        )
        matches.append(_match(row, by))
    # A code that names one instrument outright (识别编码, 资产编号) wins over serials that happen to be equal.
    exact = [match for match in matches if match.matched_by is not MatchedBy.serial_no]
    if len(exact) == 1:
        return (exact[0],), False
    return tuple(matches), len(rows) > MAX_MATCHES
