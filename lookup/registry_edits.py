"""Edits a supervisor makes to the registry by hand: a merchant's integrity standing (示范单位 / 一般 / 红榜 / 黑榜)
and whether an instrument may be used in trade (suspended, or back in use).

The public lookup reads the registry on every scan, so an edit shows on the next scan. There is no registry
audit table: each edit returns what it changed (before and after), and the caller records who did it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Instrument, Merchant, table_of
from lookup.vocab import InstrumentState, Standing

merchant_t, instrument_t = table_of(Merchant), table_of(Instrument)


class RegistryEditError(ValueError):
    """An edit the registry refuses; ``code`` is stable for callers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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


async def set_standing(connection: AsyncConnection, merchant_id: int, standing: Standing) -> RegistryChange | None:
    """Set the merchant's standing; None when there is no such merchant. Run it in a write transaction."""
    before = (
        await connection.execute(
            sa.select(merchant_t.c.standing).where(merchant_t.c.id == merchant_id).with_for_update()
        )
    ).scalar()
    if before is None:
        return None
    if before != standing:
        await connection.execute(sa.update(merchant_t).where(merchant_t.c.id == merchant_id).values(standing=standing))
    return RegistryChange(f"merchant:{merchant_id}", "standing", Standing(before).value, standing.value)


async def set_instrument_state(
    connection: AsyncConnection, instrument_code: str, state: InstrumentState
) -> RegistryChange | None:
    """Suspend an instrument or put it back in use (or retire it); None when no instrument has the code.

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
        raise RegistryEditError("retired", f"instrument {instrument_code} is retired and cannot be used again")
    if before != state:
        await connection.execute(
            sa.update(instrument_t).where(instrument_t.c.code == instrument_code).values(state=state)
        )
    return RegistryChange(f"instrument:{instrument_code}", "state", InstrumentState(before).value, state.value)
