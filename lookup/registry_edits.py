"""Edits a supervisor makes to the registry by hand: a merchant's integrity standing (示范单位 / 一般 / 红榜 / 黑榜)
and whether an instrument may be used in trade (suspended, or back in use).

The public lookup reads the registry on every scan, so an edit shows on the next scan. There is no registry
audit table: each edit returns what it changed (before and after), and the caller records who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.free_text import clean_line
from lookup.models import Instrument, Merchant, table_of
from lookup.problems import Kind, Problem
from lookup.vocab import InstrumentState, Standing

merchant_t, instrument_t = table_of(Merchant), table_of(Instrument)


class RegistryEditError(Problem, ValueError):
    """An edit the registry refuses; ``code`` is stable for callers."""


@dataclass(frozen=True, slots=True)
class RegistryChange:
    """What one edit did: ``subject`` names the row (``merchant:7``, ``instrument:ABCD2345``)."""

    subject: str
    field: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


async def merchant_station(connection: AsyncConnection, merchant_id: int) -> int | None:
    """The station of the merchant, None when there is no such merchant."""
    query = sa.select(merchant_t.c.station_id).where(merchant_t.c.id == merchant_id)
    return (await connection.execute(query)).scalar()


async def instrument_station(connection: AsyncConnection, instrument_code: str) -> int | None:
    """The station of the merchant using the instrument, None when no instrument has the code."""
    query = (
        sa.select(merchant_t.c.station_id)
        .join(instrument_t, instrument_t.c.merchant_id == merchant_t.c.id)
        .where(instrument_t.c.code == instrument_code)
    )
    return (await connection.execute(query)).scalar()


# A standing other than ordinary is published with its reason (the merchant's record, the red and black lists).
REASON_NEEDED = frozenset({Standing.model, Standing.red_list, Standing.black_list})
MAX_REASON_CHARS = 500  # the column's size


async def set_standing(
    connection: AsyncConnection, merchant_id: int, standing: Standing, *, reason: str, on: date
) -> RegistryChange | None:
    """Set the merchant's standing, with the public reason and the date; None when there is no such merchant.

    Raises :class:`RegistryEditError` (``reason_needed``, ``reason_too_long``). Run it in a write transaction.
    """
    reason = clean_line(reason)
    if standing in REASON_NEEDED and not reason:
        raise RegistryEditError(
            "reason_needed",
            "示范单位、红榜、黑榜要公布理由。",
            "a model, red-list or black-list standing is published with a reason",
            field="reason",
        )
    if len(reason) > MAX_REASON_CHARS:
        raise RegistryEditError(
            "reason_too_long",
            f"理由最多 {MAX_REASON_CHARS} 个字。",
            f"a reason is at most {MAX_REASON_CHARS} characters",
            field="reason",
        )
    row = (
        await connection.execute(
            sa.select(merchant_t.c.standing, merchant_t.c.standing_reason)
            .where(merchant_t.c.id == merchant_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        return None
    if (row.standing, row.standing_reason) != (standing, reason):
        await connection.execute(
            sa.update(merchant_t)
            .where(merchant_t.c.id == merchant_id)
            .values(standing=standing, standing_reason=reason, standing_since=on)
        )
    return RegistryChange(f"merchant:{merchant_id}", "standing", Standing(row.standing).value, standing.value)


async def set_instrument_state(
    connection: AsyncConnection, instrument_code: str, state: InstrumentState, *, on: date | None = None
) -> RegistryChange | None:
    """Suspend an instrument or put it back in use (or retire it, on ``on``: the targets count it until then);
    None when no instrument has the code.

    Retirement is for good: a retired instrument cannot be put back (:class:`RegistryEditError`, nothing written).
    """
    before = (
        await connection.execute(
            sa.select(instrument_t.c.state).where(instrument_t.c.code == instrument_code).with_for_update()
        )
    ).scalar()
    if before is None:
        return None
    if before == InstrumentState.retired and state is not InstrumentState.retired:
        raise RegistryEditError(
            "retired",
            f"器具 {instrument_code} 已报废，不能再启用。",
            f"instrument {instrument_code} is retired and cannot be used again",
            kind=Kind.conflict,
        )
    if before != state:
        retired = {"retired_on": on} if state is InstrumentState.retired else {}
        await connection.execute(
            sa.update(instrument_t).where(instrument_t.c.code == instrument_code).values(state=state, **retired)
        )
    return RegistryChange(f"instrument:{instrument_code}", "state", InstrumentState(before).value, state.value)
