"""The handlers' queue in tests: cases inserted with Core, stations, and walking, counting and faceting a queue."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint, Priority, Queue
from complaints.queue.conditions import QueueFilter
from complaints.queue.listing import QueueRow, count_cases, facet_counts, list_cases
from complaints.scope import Scope
from complaints.workflow import CaseStatus, Intent
from lookup.models import Station, table_of
from tests.support import NOW

complaint_t, station_t = table_of(Complaint), table_of(Station)


class Cases:
    """Rows for the `complaint` table, each with a reference of its own, inserted with Core."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        *,
        station_id: int | None,
        due_on: date | None,
        text: str = "在南门农贸市场买了两斤带鱼，回家一称只有一斤六两，要求退钱。",
        queue: Queue | None = None,
        status: CaseStatus = CaseStatus.received,
        intent: Intent = Intent.complaint,
        category: str = "short_weight",
        priority: Priority = Priority.normal,
        channel: str = "web",
        received_at: datetime = NOW,
        needs_triage: bool = False,
        ref: str | None = None,
    ) -> str:
        ref = ref or f"JL20261123-{next(self._numbers):04d}"
        self.rows.append(
            {
                "ref": ref,
                "token_hash": "0" * 64,
                "channel": channel,
                "text": text,
                "queue": queue or (Queue.station if station_id is not None else Queue.district_intake),
                "intent": intent,
                "category": category,
                "confidence": 0.9,
                "classifier_version": "test",
                "priority": priority,
                "status": status,
                "received_at": received_at,
                "satisfaction_comment": "",
                "deadline_approximate": False,
                "needs_triage": needs_triage,
                "due_on": due_on,
                "station_id": station_id,
            }
        )
        return ref

    async def insert(self, engine: AsyncEngine) -> dict[str, int]:
        """Stores the rows added so far (in a shuffled order, so ids do not follow deadlines); ref → id."""
        rows = sorted(self.rows, key=lambda row: hash(row["ref"]) % 7919)
        async with engine.begin() as connection:
            await connection.execute(sa.insert(complaint_t), rows)
            result = await connection.execute(sa.select(complaint_t.c.ref, complaint_t.c.id))
            ids = {str(ref): int(case_id) for ref, case_id in result}
        self.rows.clear()
        return ids


async def add_stations(engine: AsyncEngine, *names: str) -> list[int]:
    async with engine.begin() as connection:
        result = await connection.execute(
            sa.insert(station_t).returning(station_t.c.id, sort_by_parameter_order=True),
            [{"name": name, "district": "鼓楼区", "phone": "", "address": ""} for name in names],
        )
        return [int(station_id) for station_id in result.scalars()]


async def walk(engine: AsyncEngine, scope: Scope, filters: QueueFilter, limit: int = 50) -> list[QueueRow]:
    """Every page from the first, one connection per page as a browser would fetch them."""
    rows: list[QueueRow] = []
    cursor: str | None = None
    for _ in range(10_000):
        async with engine.connect() as connection:
            page = await list_cases(connection, scope, filters, after=cursor, limit=limit)
        assert len(page.rows) <= limit
        rows += page.rows
        if page.next_cursor is None:
            return rows
        assert page.rows, "a page that promises another must not be empty"
        cursor = page.next_cursor
    raise AssertionError("the pages never ended")


async def refs(engine: AsyncEngine, scope: Scope, filters: QueueFilter) -> list[str]:
    return [row.ref for row in await walk(engine, scope, filters)]


async def count(engine: AsyncEngine, scope: Scope, filters: QueueFilter) -> int:
    async with engine.connect() as connection:
        return await count_cases(connection, scope, filters)


async def facets(engine: AsyncEngine, scope: Scope, filters: QueueFilter) -> dict[str, dict[str, int]]:
    async with engine.connect() as connection:
        return await facet_counts(connection, scope, filters)


def queue_order(ids: dict[str, int], due: dict[str, date | None]) -> list[str]:
    """Nearest deadline first, cases with nothing pending last, ties by id."""
    return sorted(due, key=lambda ref: (due[ref] is None, due[ref] or date.min, ids[ref]))


EVERYONE = Scope.everything()
NO_FILTER = QueueFilter()
