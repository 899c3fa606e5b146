"""A market's public listing: every instrument in it with its status, and where the fair scale stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lookup.models import Instrument, Market, Merchant, Station, Verification
from lookup.status import instrument_status, latest
from lookup.vocab import InstrumentKind, InstrumentState, Status


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


async def market_listing(session: AsyncSession, market_id: int, *, on: date) -> MarketListing | None:
    found = (
        await session.exec(
            select(Market, Station).join(Station, col(Station.id) == Market.station_id).where(Market.id == market_id)
        )
    ).first()
    if found is None:
        return None
    market, station = found
    rows = (
        await session.exec(
            select(Instrument, Merchant)
            .join(Merchant, col(Merchant.id) == Instrument.merchant_id)
            .where(Merchant.market_id == market_id, Instrument.state != InstrumentState.retired)
            .order_by(col(Merchant.stall), col(Merchant.name), col(Instrument.serial_no))
        )
    ).all()
    ids = [instrument.id for instrument, _ in rows]
    records: dict[int, list[Verification]] = {}
    if ids:
        for record in await session.exec(select(Verification).where(col(Verification.instrument_id).in_(ids))):
            records.setdefault(record.instrument_id, []).append(record)
    return MarketListing(
        market_id=market_id,
        name=market.name,
        address=market.address,
        fair_scale_location=market.fair_scale_location,
        station_name=station.name,
        station_phone=station.phone,
        instruments=tuple(
            MarketInstrument(
                code=instrument.code,
                kind=instrument.kind,
                serial_no=instrument.serial_no,
                merchant_name=merchant.name,
                stall=merchant.stall,
                status=instrument_status(
                    state=instrument.state,
                    mandatory=instrument.mandatory,
                    latest_record=latest(records.get(instrument.id or 0, [])),
                    on=on,
                ),
            )
            for instrument, merchant in rows
        ),
    )
