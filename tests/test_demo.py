"""`serve --demo` seeds a believable district in which every status can be seen."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.demo import seed_demo
from lookup.listing import instrument_entries
from lookup.vocab import Status
from tests.support import TODAY


async def statuses(engine: AsyncEngine) -> list[Status]:
    async with engine.connect() as connection:
        return [entry.status async for entry in instrument_entries(connection, on=TODAY)]


async def test_demo_district(engine: AsyncEngine) -> None:
    urls = await seed_demo(engine, today=TODAY, base_url="http://demo.test")
    seen = await statuses(engine)
    assert 250 <= len(seen) <= 350
    assert set(seen) == set(Status), "every status must be on show"
    assert any(url.startswith("http://demo.test/m/") for url in urls)
    assert len([url for url in urls if "/i/" in url]) == len(Status)
    async with engine.connect() as connection:
        sectors = set((await connection.execute(sa.text("SELECT DISTINCT sector FROM merchant"))).scalars())
        fair_scales = (
            await connection.execute(sa.text("SELECT count(*) FROM market WHERE fair_scale_location <> ''"))
        ).scalar_one()
        stations = (await connection.execute(sa.text("SELECT count(*) FROM station"))).scalar_one()
    assert sectors >= {"market", "supermarket", "fuel_station", "optician", "medical"}
    assert fair_scales >= 2
    assert stations == 3


async def test_demo_seeds_only_an_empty_registry(engine: AsyncEngine) -> None:
    await seed_demo(engine, today=TODAY, base_url="http://demo.test")
    before = await statuses(engine)
    await seed_demo(engine, today=TODAY, base_url="http://demo.test")
    assert await statuses(engine) == before
