"""What a shopper typed that names no instrument: a slip of the finger, or a sticker that is not ours.

A code that fails its check symbol was mistyped (the check catches every single-symbol typo), not forged: the
page says so and offers the registry's codes one slip away (`qr.codes.near_codes`). A well-formed code that
names no instrument keeps the forgery warning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Instrument, Merchant, table_of
from lookup.vocab import InstrumentKind, InstrumentState
from qr.codes import looks_mistyped, near_codes, normalise_code

instrument_t, merchant_t = table_of(Instrument), table_of(Merchant)
MAX_SUGGESTIONS = 3


class Reading(enum.Enum):
    mistyped = "mistyped"  # one slip from a code: the check symbol says so
    unknown = "unknown"  # a well-formed code that names no instrument: maybe forged, maybe moved
    not_a_code = "not_a_code"  # neither


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str
    kind: InstrumentKind
    merchant_name: str
    stall: str


@dataclass(frozen=True, slots=True)
class TypedCode:
    reading: Reading
    suggestions: tuple[Suggestion, ...] = ()


def read_typed(text: str) -> Reading:
    if normalise_code(text) is not None:
        return Reading.unknown
    return Reading.mistyped if looks_mistyped(text) else Reading.not_a_code


async def diagnose(connection: AsyncConnection, text: str) -> TypedCode:
    """How to answer a typed code that names no instrument, with the registry's nearest codes when mistyped."""
    reading = read_typed(text)
    if reading is not Reading.mistyped:
        return TypedCode(reading)
    candidates = near_codes(text)
    i, m = instrument_t.c, merchant_t.c
    rows = (
        await connection.execute(
            sa.select(i.code, i.kind, m.name, m.stall)
            .join_from(instrument_t, merchant_t, m.id == i.merchant_id)
            .where(i.code.in_(candidates), i.state != InstrumentState.retired)
        )
    ).all()
    found = {row.code: Suggestion(row.code, InstrumentKind(row.kind), row.name, row.stall) for row in rows}
    ordered = [found[code] for code in candidates if code in found]
    return TypedCode(reading, tuple(ordered[:MAX_SUGGESTIONS]))
