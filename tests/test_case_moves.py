"""What a handler's action does beyond the status: deadlines that move with the case, and the consumer told."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.cases import take_action
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.deadlines.policy import DeadlinePolicy
from complaints.deadlines.working_days import WorkingCalendar
from complaints.workflow import Role
from tests.queue_support import add_stations
from tests.staff_support import add_staff, token_for
from tests.support import ZONE
from web.auth.models import StaffRole
from web.db import for_writing

RULES = DeadlineRules(WorkingCalendar(), DeadlinePolicy(), ZONE)
COMPLAINT = "菜市场卖菜的秤短斤少两，少了一斤多，要求退款"


async def submit(client: TestClient[Any, Any], text: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/complaints", json={"text": text, **extra})
    assert response.status == 201
    body: dict[str, Any] = await response.json()
    return body


async def case_id(engine: AsyncEngine, ref: str) -> int:
    async with engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT id FROM complaint WHERE ref = :ref"), {"ref": ref})
        return int(found.scalar_one())


async def act(engine: AsyncEngine, case: int, action: str, on: date, **facts: Any) -> None:
    async with for_writing(engine).begin() as connection:
        now = datetime(on.year, on.month, on.day, 15, 0, tzinfo=ZONE)
        await take_action(connection, case, action, role=Role.handler, actor_id=1, facts=facts, now=now, rules=RULES)


async def handle_due(engine: AsyncEngine, case: int) -> str:
    async with engine.connect() as connection:
        due = await connection.execute(sa.text("SELECT handle_due FROM complaint WHERE id = :id"), {"id": case})
        return str(due.scalar_one())


async def test_mediation_counts_from_acceptance_and_testing_time_does_not_count(
    client: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    case = await case_id(engine, (await submit(client, COMPLAINT, contact={"phone": "13800138000"}))["ref"])
    await act(engine, case, "accept", date(2026, 11, 24))
    accepted_due = date.fromisoformat(await handle_due(engine, case))
    calendar = WorkingCalendar()
    assert calendar.working_days_between(date(2026, 11, 24), accepted_due) == 45
    await act(engine, case, "start_mediation", date(2026, 11, 25))
    await act(engine, case, "pause_for_testing", date(2026, 11, 30), note="送计量所检定")
    await act(engine, case, "resume", date(2026, 12, 4))
    # Monday 30 November to Friday 4 December: five working days stood still.
    paused_due = date.fromisoformat(await handle_due(engine, case))
    assert calendar.working_days_between(accepted_due, paused_due) == 5


async def test_an_extended_verification_has_fifteen_more_working_days(
    client: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    report = await submit(client, "加油站加了200块油，油表指针还在老地方，举报加油机有问题")
    assert report["intent"] == "report"
    case = await case_id(engine, report["ref"])
    assert await handle_due(engine, case) == "2026-12-14"
    await act(engine, case, "start_verification", date(2026, 11, 24))
    await act(engine, case, "extend_verification", date(2026, 12, 10), note="需调取加油机数据")
    assert await handle_due(engine, case) == str(WorkingCalendar().add_working_days(date(2026, 11, 23), 30).due)


async def outbox(engine: AsyncEngine) -> list[tuple[str, str, dict[str, Any]]]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT channel, kind, payload FROM outbox ORDER BY id"))
        # JSON comes back parsed from PostgreSQL and as text from a plain SQL query on SQLite.
        return [
            (channel, kind, payload if isinstance(payload, dict) else json.loads(payload))
            for channel, kind, payload in rows
        ]


async def test_the_consumer_hears_of_public_events_only(client: TestClient[Any, Any], engine: AsyncEngine) -> None:
    reachable = await submit(client, COMPLAINT, contact={"name": "王芳", "phone": "13800138000"}, consent=True)
    unreachable = await submit(client, f"{COMPLAINT}。", contact={"phone": "13900000000"})
    for ref in (reachable["ref"], unreachable["ref"]):
        case = await case_id(engine, ref)
        await act(engine, case, "note", date(2026, 11, 24), note="商户电话 0591-1234567")
        await act(engine, case, "accept", date(2026, 11, 24))
        await act(engine, case, "reply", date(2026, 11, 25), message="已约商户明天到所里调解。")
    sent = await outbox(engine)
    assert [(channel, kind) for channel, kind, _ in sent] == [("sms", "received"), ("sms", "accept"), ("sms", "reply")]
    assert all(payload["ref"] == reachable["ref"] for _, _, payload in sent)
    assert sent[2][2]["message"] == "已约商户明天到所里调解。"
    assert "0591-1234567" not in str(sent)  # an internal note never reaches the consumer


async def test_resume_without_a_pause_is_refused_with_409_and_tells_the_consumer_nothing(
    client: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    [station] = await add_stations(engine, "南门市场监管所")
    await add_staff(engine, "south", StaffRole.handler, "南门市场监管所")
    ref = (await submit(client, COMPLAINT, contact={"phone": "13800138000"}))["ref"]
    await act(engine, await case_id(engine, ref), "reroute", date(2026, 11, 23), station_id=station)
    headers = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    url = f"/api/v1/queue/{ref}/actions"
    for action in ("accept", "start_mediation"):
        assert (await client.post(url, json={"action": action}, headers=headers)).status == 200
    mediating = await (await client.get(f"/api/v1/queue/{ref}", headers=headers)).json()
    assert "resume" not in mediating["allowed_actions"]
    told = len(await outbox(engine))
    refused = await client.post(url, json={"action": "resume"}, headers=headers)
    assert refused.status == 409
    assert (await refused.json())["error"] == "not_now"
    assert len(await outbox(engine)) == told  # no "检测完成，继续调解" about a test that never happened
    paused = await client.post(url, json={"action": "pause_for_testing", "note": "送检"}, headers=headers)
    assert "resume" in (await paused.json())["allowed_actions"]
    assert "pause_for_testing" not in (await paused.json())["allowed_actions"]
    resumed = await client.post(url, json={"action": "resume"}, headers=headers)
    assert resumed.status == 200
    assert "resume" not in (await resumed.json())["allowed_actions"]
