"""The morning digest to a station's WeCom group robot: its figures, queued once per station and day however many
workers look, posted to the robot's webhook (a fake speaking its protocol), each refusal retried or given up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import OutboxStatus
from complaints.outbox.wecom import WeComSender
from complaints.reporting.digest import WECOM, queue_digests, station_digest
from tests.fake_wecom import PATH, FakeWeCom
from tests.outbox_support import FakeClock, deliver, outbox
from tests.staff_support import NORTH, SOUTH, two_stations
from tests.support import NOW, ZONE, code_of
from tests.test_odr import _complain, _odr_merchant, _propose
from web.db import for_writing
from web.settings import Settings
from web.worker import digest_due, hand_over_late_odr

DAY = date(2026, 11, 24)  # the morning after NOW
BASE = "http://fairweigh.test"
ODR_STORIES = (
    "秤不准，买的排骨少了二两，要求退钱",
    "秤不准，买的鲈鱼少了一两，要求退钱",
    "秤不准，买的大虾少了三两，要求退钱",
)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def cases_in_the_south(client: TestClient[Any, Any], engine: AsyncEngine) -> list[str]:
    """Three complaints about 张记水产 at NOW (which raises a hotspot); one due on DAY, one overdue."""
    await two_stations(engine)
    code = await code_of(engine, "N-1")
    refs = []
    for words in ("称的鱼少了二两", "称的虾少了三两", "称的蟹少了一两"):
        text = f"张记水产的秤不准，{words}，要求退钱"
        answer = await client.post(
            "/api/v1/complaints", json={"text": text, "code": code, "contact": {"phone": "13800138000"}}
        )
        assert answer.status == 201
        refs.append((await answer.json())["ref"])
    async with engine.begin() as connection:
        for ref, due in ((refs[0], DAY), (refs[1], date(2026, 11, 20))):
            await connection.execute(
                sa.text("UPDATE complaint SET due_on = :due WHERE ref = :ref"), {"due": due, "ref": ref}
            )
    return refs


async def test_the_digest_is_queued_once_and_reaches_the_station_robot(
    client: TestClient[Any, Any], engine: AsyncEngine, aiohttp_server: Any, session: aiohttp.ClientSession
) -> None:
    refs = await cases_in_the_south(client, engine)
    async with engine.begin() as connection:  # the night's early warning found 张记水产's complaints rising
        await connection.execute(
            sa.text(
                "INSERT INTO early_warning (merchant_id, station_id, signal, category, raised_on, checked_on, observed,"
                " expected, p_value, evidence, state) SELECT m.id, m.station_id, 'complaints', 'short_weight',"
                " :day, :day, 3, 0.2, 0.001, '{}', 'open' FROM merchant m WHERE m.name = '张记水产'"
            ),
            {"day": NOW.date()},
        )
    now = datetime(2026, 11, 24, 8, 0, tzinfo=ZONE)
    # Two workers look after the hour: one digest for 南门 (the one station with a robot), none for 北门.
    for _ in range(2):
        await queue_digests(for_writing(engine), DAY, zone=ZONE, now=now, base_url=BASE, robots=[SOUTH])
    rows = await outbox(engine)
    assert [(row.channel, row.kind, row.payload["station"]) for row in rows] == [(WECOM, "digest", SOUTH)]

    fake = FakeWeCom()
    server = await aiohttp_server(fake.app())
    url = f"{server.make_url(PATH)}?key=south-robot-key"
    assert await deliver(engine, {WECOM: WeComSender({SOUTH: url}, session=session)}, FakeClock(now)) == 1

    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent]
    [posted] = fake.posted["south-robot-key"]
    assert posted.splitlines() == [
        f"**{SOUTH} 每日汇总 2026-11-24**",
        "> 昨日新收案件：3 件",
        f"> 今日到期：1 件（{refs[0]}）",
        f"> 已逾期：1 件（{refs[1]}）",
        "> 昨日新发热点商户：1 个（张记水产）",
        "> 商家协商未成转入：0 件",
        f"> 新预警：1 条（张记水产 投诉上升）（[查看]({BASE}/warnings)）",
        f"[打开待办队列]({BASE}/queue)",
    ]
    assert "13800138000" not in posted


async def test_the_digest_can_go_by_e_mail_instead(client: TestClient[Any, Any], engine: AsyncEngine) -> None:
    await cases_in_the_south(client, engine)
    now = datetime(2026, 11, 24, 8, 0, tzinfo=ZONE)
    mailboxes = {NORTH: "north@jl.example.gov.cn"}
    assert await queue_digests(for_writing(engine), DAY, zone=ZONE, now=now, base_url=BASE, mailboxes=mailboxes) == 1
    [row] = await outbox(engine)
    assert (row.channel, row.payload["to"], row.payload["subject"]) == (
        "email",
        "north@jl.example.gov.cn",
        f"{NORTH} 每日汇总 2026-11-24",
    )
    assert "> 昨日新收案件：0 件" in row.payload["text"]


async def test_the_digest_counts_the_odr_cases_merchants_did_not_settle(
    client: TestClient[Any, Any], engine: AsyncEngine, settings: Settings
) -> None:
    """Three shoppers let 张记水产 settle first: one refuses its proposal on NOW's day, one waits, one is left alone
    until the merchant's ten working days have passed; each digest counts those come to the station the day before."""
    link, code = await _odr_merchant(client, engine)
    status_urls = [(await _complain(client, code, words=words))[1] for words in ODR_STORIES]
    await _propose(client, link, "退还差价 20 元", "20")
    refused = await client.post(status_urls[0].replace("?", "/odr?", 1), data={"decision": "refuse"})
    assert refused.status == 200
    mailboxes = {SOUTH: "south@jl.example.gov.cn"}

    async def digest(day: date) -> str:
        now = datetime.combine(day, time(8), ZONE)
        await queue_digests(for_writing(engine), day, zone=ZONE, now=now, base_url=BASE, mailboxes=mailboxes)
        return str([row for row in await outbox(engine) if row.kind == "digest"][-1].payload["text"])

    assert "> 商家协商未成转入：1 件" in await digest(DAY)
    assert await hand_over_late_odr(engine, settings, datetime(2026, 12, 8, 2, 0, tzinfo=ZONE)) == 2
    assert "> 商家协商未成转入：0 件" in await digest(date(2026, 12, 8))
    assert "> 商家协商未成转入：2 件" in await digest(date(2026, 12, 9))
    async with engine.connect() as connection:
        south = (await connection.execute(sa.text("SELECT id FROM station WHERE name = :n"), {"n": SOUTH})).scalar()
        english = (await station_digest(connection, south, DAY, zone=ZONE)).text(BASE, "en")
    assert "> Not settled by the merchant (ODR), handed over: 1" in english.splitlines()


async def test_robot_refusals_are_retried_or_given_up(
    engine: AsyncEngine, aiohttp_server: Any, session: aiohttp.ClientSession
) -> None:
    await two_stations(engine)
    now = datetime(2026, 11, 24, 8, 0, tzinfo=ZONE)
    await queue_digests(for_writing(engine), DAY, zone=ZONE, now=now, base_url=BASE, robots=[SOUTH, NORTH])
    fake = FakeWeCom()
    server = await aiohttp_server(fake.app())
    robots = {SOUTH: f"{server.make_url(PATH)}?key=south-robot-key", NORTH: f"{server.make_url(PATH)}?key=unknown"}
    fake.answer_next(45009)
    clock = FakeClock(now)
    sender = {WECOM: WeComSender(robots, session=session)}
    assert await deliver(engine, sender, clock, limit=1) == 1
    assert await deliver(engine, sender, clock, limit=1) == 1
    rows = await outbox(engine)
    assert [(row.payload["station"], row.status, row.last_error) for row in rows] == [
        (SOUTH, OutboxStatus.pending, "WeCom refused (45009): rate limited"),
        (NORTH, OutboxStatus.pending, "WeCom refused (93000): unknown robot: check the webhook URL"),
    ]
    assert all("key=" not in row.last_error for row in rows)
    fake.answer_next(40008)
    clock.now = rows[0].next_attempt_at
    assert await deliver(engine, sender, clock, limit=1) == 1
    assert (await outbox(engine))[0].status == OutboxStatus.failed


def test_the_digest_is_due_from_the_configured_hour_each_day() -> None:
    assert digest_due(datetime(2026, 11, 24, 7, 59, tzinfo=ZONE), hour=8) is None
    assert digest_due(datetime(2026, 11, 24, 8, 0, tzinfo=ZONE), hour=8) == DAY
    assert digest_due(datetime(2026, 11, 24, 23, 0, tzinfo=ZONE), hour=8) == DAY
    assert NOW.date() == date(2026, 11, 23)
