"""The registered market nearest a shopper, if one is near enough to be the place they mean."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.geo.coordinates import EARTH_RADIUS_M, Point, distance_m
from lookup.models import Market, Station, table_of

market_t, station_t = table_of(Market), table_of(Station)

# A market is a few hundred metres across, and a shopper shares where they stand now, perhaps outside it: farther
# than this, the nearest market is a guess, and the shopper is asked instead.
NEAR_M = 500.0


@dataclass(frozen=True, slots=True)
class NearMarket:
    id: int
    name: str
    station: str
    fair_scale_location: str
    distance_m: float


async def nearest_market(connection: AsyncConnection, point: Point, *, within_m: float = NEAR_M) -> NearMarket | None:
    """The market nearest ``point`` (GCJ-02) within ``within_m`` metres, or None when none is that near.

    Only the markets in a box around the point are read, so a province's registry costs what a district's does."""
    d_lat = math.degrees(within_m / EARTH_RADIUS_M)
    d_lon = d_lat / max(math.cos(math.radians(point.latitude)), 0.01)
    m = market_t.c
    found = await connection.execute(
        sa.select(m.id, m.name, m.latitude, m.longitude, m.fair_scale_location, station_t.c.name.label("station"))
        .join(station_t, station_t.c.id == m.station_id)
        .where(
            m.latitude.between(point.latitude - d_lat, point.latitude + d_lat),
            m.longitude.between(point.longitude - d_lon, point.longitude + d_lon),
        )
    )
    best: NearMarket | None = None
    for row in found:
        metres = distance_m(point, Point(row.latitude, row.longitude))
        if metres <= within_m and (best is None or metres < best.distance_m):
            best = NearMarket(row.id, row.name, row.station, row.fair_scale_location, metres)
    return best
