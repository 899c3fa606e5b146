"""Intake racing itself, as several `fairweigh serve` processes on one database do: each app below has its own
engine and writer, and the requests arrive at the same instant."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import two_stations
from tests.support import code_of
from web.app import create_app
from web.settings import Settings

Client = TestClient[Any, Any]
GOODS = ("鱼", "虾", "蟹", "肉", "排骨", "苹果", "香蕉", "带鱼", "牛肉")


async def processes(aiohttp_client: Any, settings: Settings, clock: Any, count: int) -> list[Client]:
    return [await aiohttp_client(create_app(settings, clock=clock)) for _ in range(count)]


async def test_complaints_about_one_merchant_at_the_same_instant_raise_one_hotspot_with_the_exact_count(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    await two_stations(engine)
    code = await code_of(engine, "N-1")
    apps = await processes(aiohttp_client, settings, clock, 3)

    async def complain(n: int) -> int:
        text = f"张记水产的秤不准，称的{GOODS[n]}少了{n + 1}两，要求退钱"
        contact = {"name": "王芳", "phone": f"138001380{n:02d}"}
        body = {"text": text, "code": code, "contact": contact}
        response = await apps[n % len(apps)].post("/api/v1/complaints", json=body)
        return response.status

    assert await asyncio.gather(*(complain(n) for n in range(len(GOODS)))) == [201] * len(GOODS)

    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT complaint_count FROM hotspot WHERE cleared_at IS NULL"))).all()
    assert [row.complaint_count for row in rows] == [len(GOODS)]


async def test_the_database_refuses_a_second_open_hotspot_for_a_merchant(engine: AsyncEngine) -> None:
    await two_stations(engine)
    async with engine.connect() as connection:
        merchant_id = (await connection.execute(sa.text("SELECT id FROM merchant ORDER BY id LIMIT 1"))).scalar()
    insert = sa.text(
        "INSERT INTO hotspot (merchant_id, raised_at, last_complaint_at, complaint_count)"
        " VALUES (:merchant, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 3)"
    )
    async with engine.begin() as connection:
        await connection.execute(insert, {"merchant": merchant_id})
    try:
        async with engine.begin() as connection:
            await connection.execute(insert, {"merchant": merchant_id})
    except sa.exc.IntegrityError:
        pass
    else:
        raise AssertionError("a second open hotspot for one merchant was stored")
    async with engine.begin() as connection:  # once the first is cleared, a new one may open
        await connection.execute(sa.text("UPDATE hotspot SET cleared_at = CURRENT_TIMESTAMP"))
        await connection.execute(insert, {"merchant": merchant_id})
