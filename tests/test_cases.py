"""Stored cases move only through the workflow, and every move is on the timeline."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.cases import CaseNotFound, next_reference, take_action
from complaints.models import Complaint
from complaints.workflow import Role, WorkflowError
from lookup.models import table_of
from tests.support import NOW
from web.db import for_writing


async def new_case(engine: AsyncEngine, intent: str = "complaint") -> int:
    async with for_writing(engine).begin() as connection:
        ref = await next_reference(connection, NOW.date())
        result = await connection.execute(
            sa.insert(table_of(Complaint))
            .values(
                ref=ref,
                token_hash="0" * 64,
                channel="web",
                text="一斤肉少了二两",
                queue="district_intake",
                intent=intent,
                category="short_weight",
                confidence=0.9,
                classifier_version="t",
                priority="normal",
                status="received",
                received_at=NOW,
            )
            .returning(table_of(Complaint).c.id)
        )
        return int(result.scalar_one())


async def timeline(engine: AsyncEngine, case: int) -> list[tuple[str, str, str, bool]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT action, from_status, to_status, public FROM complaintevent WHERE complaint_id = :c ORDER BY id"
            ),
            {"c": case},
        )
        return [(a, f, t, bool(p)) for a, f, t, p in rows]


async def status_of(engine: AsyncEngine, case: int) -> str:
    async with engine.connect() as connection:
        return str((await connection.execute(sa.text(f"SELECT status FROM complaint WHERE id = {case}"))).scalar_one())


async def test_references_count_per_day_and_never_repeat_under_concurrency(engine: AsyncEngine) -> None:
    async def one(day: date) -> str:
        async with for_writing(engine).begin() as connection:
            return await next_reference(connection, day)

    first = [await one(date(2026, 11, 23)) for _ in range(2)]
    assert first == ["JL20261123-0001", "JL20261123-0002"]
    assert await one(date(2026, 11, 24)) == "JL20261124-0001"
    together = await asyncio.gather(*(one(date(2026, 11, 23)) for _ in range(30)))
    assert sorted(together) == [f"JL20261123-{n:04d}" for n in range(3, 33)]


async def test_actions_move_the_case_and_write_the_timeline(engine: AsyncEngine) -> None:
    case = await new_case(engine)
    async with for_writing(engine).begin() as connection:
        await take_action(connection, case, "accept", role=Role.handler, actor_id=1, facts={}, now=NOW)
        await take_action(
            connection, case, "note", role=Role.handler, actor_id=1, facts={"note": "已联系商户"}, now=NOW
        )
        await take_action(connection, case, "start_mediation", role=Role.handler, actor_id=1, facts={}, now=NOW)
    assert await status_of(engine, case) == "mediating"
    assert await timeline(engine, case) == [
        ("accept", "received", "accepted", True),
        ("note", "accepted", "accepted", False),
        ("start_mediation", "accepted", "mediating", True),
    ]


async def test_a_refused_action_writes_nothing(engine: AsyncEngine) -> None:
    case = await new_case(engine)
    with pytest.raises(WorkflowError, match="ground"):
        async with for_writing(engine).begin() as connection:
            await take_action(connection, case, "decline", role=Role.handler, actor_id=1, facts={}, now=NOW)
    with pytest.raises(WorkflowError):
        async with for_writing(engine).begin() as connection:
            await take_action(
                connection, case, "resolve", role=Role.handler, actor_id=1, facts={"outcome": "x"}, now=NOW
            )
    assert await status_of(engine, case) == "received"
    assert await timeline(engine, case) == []
    with pytest.raises(CaseNotFound):
        async with for_writing(engine).begin() as connection:
            await take_action(connection, 999_999, "accept", role=Role.handler, actor_id=1, facts={}, now=NOW)


async def accept(engine: AsyncEngine, case: int, actor: int, *, then: asyncio.Event | None = None) -> str:
    """One handler accepting; with `then`, it signals and keeps its transaction open a moment longer."""
    try:
        async with for_writing(engine).begin() as connection:
            await take_action(connection, case, "accept", role=Role.handler, actor_id=actor, facts={}, now=NOW)
            if then is not None:
                then.set()
                await asyncio.sleep(0.3)  # still deciding: the transaction stays open
    except WorkflowError as exc:
        return exc.code
    return "ok"


async def test_a_second_handler_waits_for_the_first_and_sees_its_decision(engine: AsyncEngine) -> None:
    """The first handler's transaction is still open when the second acts: the second must wait for it and
    then be refused, not read the old status and accept a second time (SQLite did, before transactions
    began IMMEDIATE)."""
    case = await new_case(engine)
    first_acted = asyncio.Event()

    async def second() -> str:
        await first_acted.wait()
        return await accept(engine, case, 2)

    assert await asyncio.gather(accept(engine, case, 1, then=first_acted), second()) == ["ok", "not_now"]
    assert [event[0] for event in await timeline(engine, case)] == ["accept"]
