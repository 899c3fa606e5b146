"""`serve --demo` seeds a believable district in which every status can be seen."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.classify.taxonomy import CATEGORIES
from complaints.demo.cases import CASES
from complaints.submission import CASE_CHANNELS
from complaints.workflow import CaseStatus, DeclineGround, Intent
from lookup.demo import seed_demo
from lookup.listing import instrument_entries
from lookup.vocab import Status
from tests.support import TODAY
from web.cli.demo import seed_demo_district
from web.db import for_writing
from web.settings import Settings


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


async def test_demo_cases_show_every_status_channel_and_category(engine: AsyncEngine, settings: Settings) -> None:
    await seed_demo_district(for_writing(engine), settings)
    await seed_demo_district(for_writing(engine), settings)  # a second start adds nothing

    async def values(sql: str) -> list[Any]:
        async with engine.connect() as connection:
            return list((await connection.execute(sa.text(sql))).all())

    cases = await values("SELECT status, channel, category, intent FROM complaint")
    assert len(cases) > len(CASES)  # with the reports split from complaints and the volunteers' findings
    assert await values("SELECT id FROM complaint WHERE channel = 'volunteer'")
    assert await values("SELECT id FROM complaint WHERE linked_id IS NOT NULL")
    assert {status for status, *_ in cases} == {status.value for status in CaseStatus}
    assert {channel for _, channel, *_ in cases} == set(CASE_CHANNELS)
    assert {category for *_, category, _ in cases} == set(CATEGORIES)
    assert {intent for *_, intent in cases} == {intent.value for intent in Intent}
    grounds = await values("SELECT facts FROM complaintevent WHERE action = 'decline'")
    assert {json.loads(f)["ground"] if isinstance(f, str) else f["ground"] for (f,) in grounds} == set(DeclineGround)
    outcomes = await values("SELECT facts FROM complaintevent WHERE action = 'resolve'")
    assert len(outcomes) >= 3
    assert [n for (n,) in await values("SELECT satisfaction FROM complaint WHERE satisfaction IS NOT NULL")]
    [(inspections,)] = await values("SELECT count(*) FROM inspection WHERE hotspot_id IS NOT NULL")
    assert inspections == 1
    hotspots = await values("SELECT cleared_at FROM hotspot")
    assert any(cleared is None for (cleared,) in hotspots)  # one still open for the hotspots page
    assert any(cleared is not None for (cleared,) in hotspots)  # and the inspected one
    assert len(await values("SELECT id FROM volunteer_visit")) == 3
    assert len(await values("SELECT id FROM self_check WHERE verified_at IS NOT NULL")) == 1
    received = await values("SELECT received_at FROM complaint")
    assert all(at.date() <= datetime.now(settings.zone).date() for (at,) in received if not isinstance(at, str))
