"""Deadline reminders: what is overdue, due today and due within two working days, for the queue and a digest."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.deadlines.working_days import WorkingCalendar
from complaints.queue.reminders import deadline_reminders
from complaints.scope import Scope
from complaints.workflow import Role
from tests.staff_support import SOUTH, add_staff, sign_in, two_stations
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
TODAY = date(2026, 11, 23)  # a Monday (tests/support.py NOW)
DUE = {"overdue": date(2026, 11, 20), "today": TODAY, "soon": date(2026, 11, 25), "later": date(2026, 11, 26)}


async def _cases_due(client: Client, engine: AsyncEngine) -> dict[str, str]:
    """One 南门 case per entry of DUE, its deadline moved to that day; the `soon` one assigned to `south`."""
    refs = {}
    for name, due in DUE.items():
        text = f"张记水产的秤不准，称的鱼少了二两，要求退钱（{name}）"
        body = await (await client.post("/api/v1/complaints", json={"text": text})).json()
        refs[name] = body["ref"]
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE complaint SET due_on = :due, assignee = :who WHERE ref = :ref"),
                {"due": due, "ref": body["ref"], "who": "south" if name == "soon" else None},
            )
    return refs


async def test_reminders_list_overdue_today_and_the_next_two_working_days(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    refs = await _cases_due(client, engine)
    async with engine.connect() as connection:
        station = (await connection.execute(sa.text("SELECT station_id FROM complaint LIMIT 1"))).scalar_one()
        scope = Scope.station(station, role=Role.handler)
        reminders = await deadline_reminders(connection, scope, today=TODAY, calendar=WorkingCalendar())
        mine = await deadline_reminders(connection, scope, today=TODAY, calendar=WorkingCalendar(), assignee="south")
        elsewhere = await deadline_reminders(
            connection, Scope.station(station + 1, role=Role.handler), today=TODAY, calendar=WorkingCalendar()
        )
    assert [r.ref for r in reminders.overdue] == [refs["overdue"]]
    assert [r.ref for r in reminders.due_today] == [refs["today"]]
    assert [r.ref for r in reminders.due_soon] == [refs["soon"]]  # Wednesday; Thursday is three working days off
    assert reminders.soon_until == date(2026, 11, 25)
    assert reminders.counts == {"overdue": 1, "due_today": 1, "due_soon": 1}
    assert reminders.overdue[0].merchant == "张记水产"
    assert [r.ref for r in mine.due_soon] == [refs["soon"]]
    assert mine.counts == {"overdue": 0, "due_today": 0, "due_soon": 1}
    assert elsewhere.empty


async def test_a_handler_sees_the_reminders_on_signing_in(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    refs = await _cases_due(client, engine)
    signed_in = await sign_in(client, "south")
    landing = await client.get(signed_in.headers["Location"])
    page = await landing.text()
    reminders = page[page.index('id="h-reminders"') : page.index("</section>", page.index('id="h-reminders"'))]
    for words in ("已超期 1 件", "今日到期 1 件", "两个工作日内（至 2026-11-25）到期 1 件"):
        assert words in reminders
    for name in ("overdue", "today", "soon"):
        assert refs[name] in reminders
    assert refs["later"] not in reminders
