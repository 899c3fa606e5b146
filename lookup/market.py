"""A market's public listing: every instrument in it with its status, and where the fair scale stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Instrument, Market, Merchant, Station, Verification, table_of
from lookup.status import instrument_status, latest
from lookup.vocab import InstrumentKind, InstrumentState, Status

market_t, station_t, merchant_t = table_of(Market), table_of(Station), table_of(Merchant)
instrument_t, verification_t = table_of(Instrument), table_of(Verification)


@dataclass(frozen=True, slots=True)
class _Record:
    performed_on: date
    valid_until: date
    passed: bool


@dataclass(frozen=True, slots=True)
class MarketInstrument:
    code: str
    kind: InstrumentKind
    serial_no: str
    merchant_name: str
    stall: str
    status: Status


@dataclass(frozen=True, slots=True)
class MarketListing:
    market_id: int
    name: str
    address: str
    fair_scale_location: str
    station_name: str
    station_phone: str
    instruments: tuple[MarketInstrument, ...]

    def count(self, status: Status) -> int:
        return sum(1 for instrument in self.instruments if instrument.status is status)


async def market_listing(connection: AsyncConnection, market_id: int, *, on: date) -> MarketListing | None:
    market = (
        await connection.execute(
            sa.select(
                market_t.c.name,
                market_t.c.address,
                market_t.c.fair_scale_location,
                station_t.c.name.label("station_name"),
                station_t.c.phone.label("station_phone"),
            )
            .join_from(market_t, station_t, station_t.c.id == market_t.c.station_id)
            .where(market_t.c.id == market_id)
        )
    ).first()
    if market is None:
        return None
    i, m = instrument_t.c, merchant_t.c
    rows = (
        await connection.execute(
            sa.select(i.id, i.code, i.kind, i.serial_no, i.state, i.mandatory, m.name.label("merchant_name"), m.stall)
            .join_from(instrument_t, merchant_t, m.id == i.merchant_id)
            .where(m.market_id == market_id, i.state != InstrumentState.retired)
            .order_by(m.stall, m.name, i.serial_no)
        )
    ).all()
    records: dict[int, list[_Record]] = {}
    if rows:
        v = verification_t.c
        found = await connection.execute(
            sa.select(v.instrument_id, v.performed_on, v.valid_until, v.passed).where(
                v.instrument_id.in_([row.id for row in rows])
            )
        )
        for record in found:
            records.setdefault(record.instrument_id, []).append(
                _Record(record.performed_on, record.valid_until, record.passed)
            )
    return MarketListing(
        market_id=market_id,
        name=market.name,
        address=market.address,
        fair_scale_location=market.fair_scale_location,
        station_name=market.station_name,
        station_phone=market.station_phone,
        instruments=tuple(
            MarketInstrument(
                code=row.code,
                kind=row.kind,
                serial_no=row.serial_no,
                merchant_name=row.merchant_name,
                stall=row.stall,
                status=instrument_status(
                    state=row.state, mandatory=row.mandatory, latest_record=latest(records.get(row.id, [])), on=on
                ),
            )
            for row in rows
        ),
    )


@dataclass(frozen=True, slots=True)
class MarketChoice:
    market_id: int
    name: str
    district: str


async def market_choices(connection: AsyncConnection) -> list[MarketChoice]:
    """Every market, by district and name: the home page's list and the complaint form's choice."""
    rows = await connection.execute(
        sa.select(market_t.c.id, market_t.c.name, market_t.c.district).order_by(
            market_t.c.district, market_t.c.name, market_t.c.id
        )
    )
    return [MarketChoice(row.id, row.name, row.district) for row in rows]
