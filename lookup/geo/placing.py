"""Markets and where they are, as an administrator sees and corrects them (`/admin/markets`)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.geo.coordinates import Point
from lookup.models import Market, Station, table_of

market_t, station_t = table_of(Market), table_of(Station)


@dataclass(frozen=True, slots=True)
class PlacedMarket:
    id: int
    name: str
    station: str
    address: str
    point: Point | None  # GCJ-02; None while nobody has said where it is


async def markets_with_points(connection: AsyncConnection) -> list[PlacedMarket]:
    """Every market with its station, those still without a point first (they are the work to do), then by name."""
    m = market_t.c
    rows = await connection.execute(
        sa.select(m.id, m.name, m.address, m.latitude, m.longitude, station_t.c.name.label("station"))
        .join(station_t, station_t.c.id == m.station_id)
        .order_by(m.latitude.is_not(None), m.name)
    )
    return [
        PlacedMarket(
            row.id,
            row.name,
            row.station,
            row.address,
            Point(row.latitude, row.longitude) if row.latitude is not None and row.longitude is not None else None,
        )
        for row in rows
    ]


async def place_market(connection: AsyncConnection, market_id: int, point: Point | None) -> bool:
    """Set (or with None, clear) a market's point; False when there is no such market."""
    latitude, longitude = (point.latitude, point.longitude) if point else (None, None)
    changed = await connection.execute(
        sa.update(market_t).where(market_t.c.id == market_id).values(latitude=latitude, longitude=longitude)
    )
    return bool(changed.rowcount)
