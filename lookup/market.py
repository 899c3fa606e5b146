"""A market's public listing: every instrument in it with its status, and where the fair scale stands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Instrument, Market, Merchant, Station, Verification, table_of
from lookup.status import instrument_status, latest
from lookup.vocab import KIND_NAMES_ZH, InstrumentKind, InstrumentState, Status

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
    merchant_id: int = 0


@dataclass(frozen=True, slots=True)
class StallGroup:
    """One merchant's instruments in a market, as the market page lists them: one entry a stall, not a row each."""

    merchant_id: int
    merchant_name: str
    stall: str
    instruments: tuple[MarketInstrument, ...]


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

    def counts(self) -> list[tuple[Status, int]]:
        """How many instruments are in each status, in the status table's order, leaving out those with none."""
        return [(status, n) for status in Status if (n := self.count(status))]

    def stalls(self, *, words: str = "", status: Status | None = None) -> list[StallGroup]:
        """The instruments grouped by merchant, stalls in natural order (2 before 10), kept when the merchant, stall,
        serial number or kind (in Chinese) holds ``words`` and, when given, the instrument is in ``status``."""
        wanted = words.strip().casefold()
        groups: dict[int, list[MarketInstrument]] = {}
        for item in self.instruments:
            if status is not None and item.status is not status:
                continue
            seen = (item.merchant_name, item.stall, item.serial_no, KIND_NAMES_ZH.get(item.kind, ""))
            if wanted and not any(wanted in text.casefold() for text in seen):
                continue
            groups.setdefault(item.merchant_id, []).append(item)
        found = [
            StallGroup(merchant_id, items[0].merchant_name, items[0].stall, tuple(items))
            for merchant_id, items in groups.items()
        ]
        return sorted(found, key=lambda group: (natural_key(group.stall), group.merchant_name, group.merchant_id))


_NUMBER = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sorts stalls as people count them: "2号" before "10号", text before numbers never mixed up; "" last."""
    if not text:
        return ((2, 0, ""),)
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _NUMBER.split(text) if part)


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
            sa.select(
                i.id,
                i.code,
                i.kind,
                i.serial_no,
                i.state,
                i.mandatory,
                m.id.label("merchant_id"),
                m.name.label("merchant_name"),
                m.stall,
            )
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
                merchant_id=row.merchant_id,
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
