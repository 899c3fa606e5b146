"""What the public may read about a merchant (经营者计量诚信公示): identity, commitment, standing with its
date and reason, instruments with their statuses; and the red and black lists of each district.

Only registry facts a merchant has made public by trading are here; the merchant's private contact never is.
Complaint figures come from :mod:`complaints.reporting.reports` and are joined in by the web layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.listing import InstrumentEntry, instrument_entries
from lookup.models import Commitment, Market, Merchant, Station, table_of
from lookup.vocab import Sector, Standing

merchant_t, market_t, station_t, commitment_t = (
    table_of(Merchant),
    table_of(Market),
    table_of(Station),
    table_of(Commitment),
)
LISTED = (Standing.red_list, Standing.black_list)


@dataclass(frozen=True, slots=True)
class MerchantRecord:
    id: int
    name: str
    sector: Sector
    market_id: int | None
    market_name: str | None
    stall: str
    address: str
    station_name: str
    district: str
    standing: Standing
    standing_since: date | None
    standing_reason: str
    commitment_text: str | None
    commitment_signed_on: date | None
    instruments: tuple[InstrumentEntry, ...]
    commitment_online: bool = False  # signed on the merchant's page (电子承诺书), not on paper


@dataclass(frozen=True, slots=True)
class ListedMerchant:
    id: int
    name: str
    market_name: str | None
    stall: str
    standing: Standing
    since: date | None
    reason: str


async def merchant_record(connection: AsyncConnection, merchant_id: int, *, today: date) -> MerchantRecord | None:
    row = (
        await connection.execute(
            sa.select(
                merchant_t.c.id,
                merchant_t.c.name,
                merchant_t.c.sector,
                merchant_t.c.market_id,
                merchant_t.c.stall,
                merchant_t.c.address,
                merchant_t.c.standing,
                merchant_t.c.standing_since,
                merchant_t.c.standing_reason,
                market_t.c.name.label("market_name"),
                station_t.c.name.label("station_name"),
                station_t.c.district,
            )
            .join(station_t, station_t.c.id == merchant_t.c.station_id)
            .outerjoin(market_t, market_t.c.id == merchant_t.c.market_id)
            .where(merchant_t.c.id == merchant_id)
        )
    ).first()
    if row is None:
        return None
    commitment = (
        await connection.execute(
            sa.select(commitment_t.c.text, commitment_t.c.signed_on, commitment_t.c.signed_at)
            .where(
                commitment_t.c.merchant_id == merchant_id,
                commitment_t.c.signed_on <= today,
                sa.or_(commitment_t.c.revoked_on.is_(None), commitment_t.c.revoked_on > today),
            )
            .order_by(commitment_t.c.signed_on.desc(), commitment_t.c.id.desc())
            .limit(1)
        )
    ).first()
    listed = instrument_entries(connection, on=today, merchant_id=merchant_id, include_retired=False)
    instruments = [entry async for entry in listed]
    return MerchantRecord(
        id=row.id,
        name=row.name,
        sector=Sector(row.sector),
        market_id=row.market_id,
        market_name=row.market_name,
        stall=row.stall,
        address=row.address,
        station_name=row.station_name,
        district=row.district,
        standing=Standing(row.standing),
        standing_since=row.standing_since,
        standing_reason=row.standing_reason,
        commitment_text=commitment.text if commitment else None,
        commitment_signed_on=commitment.signed_on if commitment else None,
        instruments=tuple(instruments),
        commitment_online=commitment is not None and commitment.signed_at is not None,
    )


async def standing_lists(connection: AsyncConnection) -> dict[str, dict[Standing, list[ListedMerchant]]]:
    """District → red list and black list, each newest first (a district with neither is left out)."""
    rows = await connection.execute(
        sa.select(
            station_t.c.district,
            merchant_t.c.id,
            merchant_t.c.name,
            merchant_t.c.stall,
            merchant_t.c.standing,
            merchant_t.c.standing_since,
            merchant_t.c.standing_reason,
            market_t.c.name.label("market_name"),
        )
        .join(station_t, station_t.c.id == merchant_t.c.station_id)
        .outerjoin(market_t, market_t.c.id == merchant_t.c.market_id)
        .where(merchant_t.c.standing.in_(LISTED))
        .order_by(station_t.c.district, merchant_t.c.standing_since.desc(), merchant_t.c.name)
    )
    lists: dict[str, dict[Standing, list[ListedMerchant]]] = {}
    for row in rows:
        district = lists.setdefault(row.district or "", {standing: [] for standing in LISTED})
        district[Standing(row.standing)].append(
            ListedMerchant(
                id=row.id,
                name=row.name,
                market_name=row.market_name,
                stall=row.stall,
                standing=Standing(row.standing),
                since=row.standing_since,
                reason=row.standing_reason,
            )
        )
    return lists
