"""Intake racing itself, as several `fairweigh serve` processes on one database do: each app below has its own
engine and writer, and the requests arrive at the same instant."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.photos import MAX_PHOTOS
from tests.fake_wechat import ACCOUNT_TEXT, WeChatPush, push, say, wechat
from tests.staff_support import two_stations
from tests.support import NOW, code_of
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


LINES = tuple(f"第{n + 1}句：秤上的数字{n + 1}跳得厉害" for n in range(12))


async def burst(apps: list[Client], shopper: WeChatPush, messages: list[str]) -> list[tuple[int, str]]:
    """Every message at the same instant, spread over the processes as a load balancer would."""
    return await asyncio.gather(*(say(apps[n % len(apps)], shopper, xml) for n, xml in enumerate(messages)))


async def draft_of(engine: AsyncEngine, openid: str) -> dict[str, Any]:
    async with engine.connect() as connection:
        draft = (
            await connection.execute(sa.text("SELECT draft FROM dialogue_state WHERE chat_user = :u"), {"u": openid})
        ).scalar_one()
    return json.loads(draft) if isinstance(draft, str) else dict(draft)


async def test_a_burst_of_messages_from_one_shopper_is_taken_whole_without_an_error(
    aiohttp_client: Any, settings: Settings, engine: AsyncEngine
) -> None:
    configured = wechat(settings)
    apps = [await aiohttp_client(create_app(configured, clock=lambda: NOW)) for _ in range(3)]
    shopper = push()
    status, said = await say(apps[0], shopper, shopper.text(ACCOUNT_TEXT))
    assert (status, "记下了" in said) == (200, True)

    answers = await burst(apps, shopper, [shopper.text(line) for line in LINES])

    assert [status for status, _ in answers] == [200] * len(LINES)
    texts = (await draft_of(engine, shopper.openid))["texts"]
    assert texts[0] == ACCOUNT_TEXT
    assert sorted(texts[1:]) == sorted(LINES)  # every line, each once


async def test_nine_photos_picked_at_once_are_all_kept(
    aiohttp_client: Any, settings: Settings, engine: AsyncEngine
) -> None:
    configured = wechat(settings)
    apps = [await aiohttp_client(create_app(configured, clock=lambda: NOW)) for _ in range(3)]
    shopper = push("oFollower0000000000000000009")
    await say(apps[0], shopper, shopper.text(ACCOUNT_TEXT))
    photos = [f"MEDIA-{n}" for n in range(9)]

    answers = await burst(apps, shopper, [shopper.xml("image", PicUrl="http://mmbiz/x", MediaId=m) for m in photos])

    assert [status for status, _ in answers] == [200] * len(photos)
    kept = (await draft_of(engine, shopper.openid))["photos"]
    assert len(kept) == MAX_PHOTOS  # as many as a case takes; the others were told the limit
    assert set(kept) <= set(photos)
    assert sum("照片收到了" in said for _, said in answers) == MAX_PHOTOS


async def test_a_burst_to_one_process_is_decided_in_the_order_it_arrived(
    aiohttp_client: Any, settings: Settings, engine: AsyncEngine
) -> None:
    app = await aiohttp_client(create_app(wechat(settings), clock=lambda: NOW))
    shopper = push("oFollower0000000000000000012")
    await say(app, shopper, shopper.text(ACCOUNT_TEXT))
    arrived: list[str] = []

    async def said_in_turn(line: str) -> tuple[int, str]:
        arrived.append(line)
        return await say(app, shopper, shopper.text(line))

    answers = await asyncio.gather(*(said_in_turn(line) for line in LINES))

    assert [status for status, _ in answers] == [200] * len(LINES)
    assert (await draft_of(engine, shopper.openid))["texts"][1:] == arrived
