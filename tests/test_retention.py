"""Personal data kept only as long as allowed: the purge removes each kind when it is due after the case ends, leaves
open cases, held cases and what is not yet due alone, records on the timeline that data was removed (never what it
was), and leaves every count the public and the reports see unchanged."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.personal_data.holds import HoldError, release_hold, set_hold
from tests.privacy_support import CHAT_ID, NAME, PHONE, Client, close_case, held, purge, removals, submit
from tests.staff_support import add_staff, token_for, two_stations
from tests.support import NOW
from web.auth.models import StaffRole
from web.db import for_writing


@pytest.fixture
async def cases(client: Client, engine: AsyncEngine) -> dict[str, int]:
    """A closed chat case, a closed web case (name and phone, no chat id) and a chat case still being handled."""
    await two_stations(engine)
    chat = await submit(client, channel="telegram")
    web = await submit(client, channel="web", text="在南门市场买的虾少了三两，要求退钱", photos=2)
    still_open = await submit(client, channel="wechat", text="北门市场李记鲜肉买的肉少了一两，请帮忙退钱")
    await close_case(engine, chat.complaint_id)
    await close_case(engine, web.complaint_id)
    return {"chat": chat.complaint_id, "web": web.complaint_id, "open": still_open.complaint_id}


async def test_each_kind_goes_when_due_and_not_before(
    client: Client, engine: AsyncEngine, cases: dict[str, int]
) -> None:
    report = await purge(client, engine, days=29)
    assert report.cases == 0
    before = await held(engine, cases["chat"])
    assert (before["contact"], before["photos"]) == ((NAME, PHONE, CHAT_ID), 1)
    assert before["dedupe"] is not None

    # A month after the end: the chat id goes (and the hash that recognised resends from it); name, phone, photos stay.
    report = await purge(client, engine, days=31)
    assert report.kinds == {"chat": 1}
    assert await held(engine, cases["chat"]) == {"contact": (NAME, PHONE, ""), "photos": 1, "dedupe": None}
    assert await removals(engine, cases["chat"]) == [{"kinds": ["chat"], "reason": "retention"}]
    assert (await held(engine, cases["web"]))["contact"] == (NAME, PHONE, "")

    report = await purge(client, engine, days=199)
    assert report.cases == 0

    report = await purge(client, engine, days=201)
    assert report.kinds == {"contact": 2, "photos": 2}
    for case in ("chat", "web"):
        assert await held(engine, cases[case]) == {"contact": None, "photos": 0, "dedupe": None}
    assert await removals(engine, cases["web"]) == [{"kinds": ["contact", "photos"], "reason": "retention"}]

    # The case still being handled keeps everything, however long it takes.
    assert (await held(engine, cases["open"]))["contact"] == (NAME, PHONE, CHAT_ID)
    # Nothing twice: a second run finds nothing due and writes nothing.
    again = await purge(client, engine, days=400)
    assert again.cases == 0
    assert len(await removals(engine, cases["chat"])) == 2


async def test_a_legal_hold_stops_the_purge_until_released(
    client: Client, engine: AsyncEngine, cases: dict[str, int]
) -> None:
    async with for_writing(engine).begin() as connection:
        with pytest.raises(HoldError, match="reason"):
            await set_hold(connection, cases["web"], reason="  ", actor_id=None, now=NOW)
        await set_hold(connection, cases["web"], reason="行政诉讼进行中", actor_id=None, now=NOW)
    report = await purge(client, engine, days=400)
    assert report.kinds == {"chat": 1, "contact": 1, "photos": 1}  # the other closed case only
    assert (await held(engine, cases["web"]))["contact"] == (NAME, PHONE, "")
    assert await removals(engine, cases["web"]) == []

    async with for_writing(engine).begin() as connection:
        await release_hold(connection, cases["web"], actor_id=None, now=NOW + timedelta(days=400))
        with pytest.raises(HoldError):
            await release_hold(connection, cases["web"], actor_id=None, now=NOW + timedelta(days=400))
    report = await purge(client, engine, days=401)
    assert await held(engine, cases["web"]) == {"contact": None, "photos": 0, "dedupe": None}
    async with engine.connect() as connection:
        timeline = [
            (action, public)
            for action, public in await connection.execute(
                sa.text("SELECT action, public FROM complaintevent WHERE complaint_id = :id ORDER BY id"),
                {"id": cases["web"]},
            )
        ]
    assert timeline[-3:] == [("legal_hold_set", False), ("legal_hold_released", False), ("personal_data_removed", True)]


async def test_cases_ended_under_the_previous_release_are_dated_from_their_timeline(
    client: Client, engine: AsyncEngine, cases: dict[str, int]
) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE complaint SET ended_at = NULL"))
    report = await purge(client, engine, days=31)
    assert report.ended_filled == 2  # the two closed cases; the open one has no end
    assert report.kinds == {"chat": 1}


async def test_old_rows_not_tied_to_a_case_go_by_age(
    client: Client, engine: AsyncEngine, cases: dict[str, int]
) -> None:
    old, recent = NOW - timedelta(days=400), NOW - timedelta(days=1)
    async with engine.begin() as connection:
        for when, user in ((old, "old-chat"), (recent, "new-chat")):
            await connection.execute(
                sa.text(
                    "INSERT INTO dialogue_state (channel, chat_user, version, step, language, draft, updated_at, "
                    "window_count) VALUES ('telegram', :user, 0, 'idle', 'zh', '{}', :at, 0)"
                ),
                {"user": user, "at": when},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO login_attempt (at, username, remote, succeeded, reason) "
                    "VALUES (:at, :user, '192.0.2.1', false, 'bad_password')"
                ),
                {"at": when, "user": user},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO contact_access (at, user_id, complaint_id, route, reason) "
                    "VALUES (:at, 1, :case, 'case_page', '')"
                ),
                {"at": when - timedelta(days=800), "case": cases["web"]},
            )
    report = await purge(client, engine, days=0)
    assert report.aged == {"access_log": 1, "dialogue_drafts": 1, "login_attempts": 1}
    async with engine.connect() as connection:
        users = {u for (u,) in await connection.execute(sa.text("SELECT chat_user FROM dialogue_state"))}
        names = {u for (u,) in await connection.execute(sa.text("SELECT username FROM login_attempt"))}
    assert users == {"new-chat"}
    assert names == {"new-chat"}


async def test_two_purges_at_once_remove_everything_once(
    client: Client, engine: AsyncEngine, cases: dict[str, int]
) -> None:
    first, second = await asyncio.gather(purge(client, engine, days=300), purge(client, engine, days=300))
    assert first.cases + second.cases == 2
    for case in ("chat", "web"):
        assert len(await removals(engine, cases[case])) == 1


async def test_the_purge_records_and_logs_nothing_personal(
    client: Client, engine: AsyncEngine, cases: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = await purge(client, engine, days=300)
    async with engine.connect() as connection:
        events = [
            str(facts)
            for (facts,) in await connection.execute(
                sa.text("SELECT facts FROM complaintevent WHERE action = 'personal_data_removed'")
            )
        ]
    written = " ".join([*events, report.summary(), caplog.text])
    for personal in (NAME, PHONE, CHAT_ID, PHONE[-4:]):
        assert personal not in written


async def test_reports_open_data_and_merchant_records_are_the_same_after_the_purge(
    client: Client, engine: AsyncEngine, cases: dict[str, int]
) -> None:
    await add_staff(engine, "boss", StaffRole.supervisor)
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    async with engine.connect() as connection:
        merchant = (await connection.execute(sa.text("SELECT id FROM merchant WHERE name = '张记水产'"))).scalar_one()
    pages = (
        ("/reports", {"month": "2026-11"}, boss),
        ("/reports/cases.csv", {"from": "2026-11-01", "to": "2026-11-30"}, boss),
        ("/open311/v2/requests.json", {"start_date": "2026-11-01T00:00:00+08:00"}, {}),
        ("/open-data/cases-daily.csv", {"from": "2026-11-23", "to": "2026-11-23"}, {}),
        (f"/merchant/{merchant}", {}, {}),
        ("/lists", {}, {}),
    )

    async def everything() -> list[str]:
        seen = []
        for path, query, headers in pages:
            answer = await client.get(path, params=query, headers=headers)
            assert answer.status == 200, path
            seen.append(await answer.text())
        return seen

    before = await everything()
    assert (await purge(client, engine, days=400)).cases == 2
    assert await everything() == before
