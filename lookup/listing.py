"""Registry listings for administrators: every instrument's code and status, for codes and label sheets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Instrument, Market, Merchant, Station, Verification, table_of
from lookup.status import instrument_status
from lookup.vocab import InstrumentKind, InstrumentState, Status


@dataclass(frozen=True, slots=True)
class _LatestRecord:
    performed_on: date
    valid_until: date
    passed: bool


@dataclass(frozen=True, slots=True)
class InstrumentEntry:
    code: str
    serial_no: str
    kind: InstrumentKind
    merchant: str
    stall: str
    market: str
    station: str
    status: Status
    gtin: str | None = None  # with gs1_serial, from the ledger: the instrument's GS1 Digital Link path
    gs1_serial: str | None = None


class UnknownName(LookupError):
    """A market or merchant named on the command line that the registry does not have."""


async def check_names(connection: AsyncConnection, *, market: str | None, merchant: str | None) -> None:
    """Raises UnknownName for a market or merchant filter that matches nothing in the registry."""
    for table, name, what in ((table_of(Market), market, "市场"), (table_of(Merchant), merchant, "经营者")):
        if name is None:
            continue
        if (await connection.execute(sa.select(table.c.id).where(table.c.name == name).limit(1))).first() is None:
            raise UnknownName(f"没有名为“{name}”的{what}（no {what} named {name!r}）")


async def instrument_entries(
    connection: AsyncConnection,
    *,
    on: date,
    market: str | None = None,
    merchant: str | None = None,
    merchant_id: int | None = None,
    include_retired: bool = True,
) -> AsyncIterator[InstrumentEntry]:
    """Instruments ordered by market, stall and merchant, with their status on `on`; streamed."""
    i, m, k, s = table_of(Instrument).c, table_of(Merchant).c, table_of(Market).c, table_of(Station).c
    v = table_of(Verification).alias("latest")
    newest = table_of(Verification).alias("newest")
    latest_id = (
        sa.select(newest.c.id)
        .where(newest.c.instrument_id == i.id)
        .order_by(newest.c.performed_on.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        sa.select(
            i.code,
            i.serial_no,
            i.kind,
            i.mandatory,
            i.state,
            m.name,
            m.stall,
            k.name,
            s.name,
            v.c.performed_on,
            v.c.valid_until,
            v.c.passed,
            i.gtin,
            i.gs1_serial,
        )
        .select_from(
            table_of(Instrument)
            .join(table_of(Merchant), m.id == i.merchant_id)
            .join(table_of(Station), s.id == m.station_id)
            .outerjoin(table_of(Market), k.id == m.market_id)
            .outerjoin(v, v.c.id == latest_id)
        )
        .order_by(k.name, m.stall, m.name, i.serial_no)
    )
    if market is not None:
        statement = statement.where(k.name == market)
    if merchant is not None:
        statement = statement.where(m.name == merchant)
    if merchant_id is not None:
        statement = statement.where(m.id == merchant_id)
    if not include_retired:
        statement = statement.where(i.state != InstrumentState.retired)
    result = await connection.stream(statement)
    async for row in result:
        (code, serial_no, kind, mandatory, state, merchant_name, stall, market_name, station_name,
         performed_on, valid_until, passed, gtin, gs1_serial) = row  # fmt: skip
        record = _LatestRecord(performed_on, valid_until, passed) if performed_on is not None else None
        yield InstrumentEntry(
            code=code,
            serial_no=serial_no,
            kind=InstrumentKind(kind),
            merchant=merchant_name,
            stall=stall,
            market=market_name or "",
            station=station_name,
            status=instrument_status(state=state, mandatory=mandatory, latest_record=record, on=on),
            gtin=gtin,
            gs1_serial=gs1_serial,
        )
