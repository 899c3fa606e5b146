"""The handlers' queue: scope, order by nearest deadline, keyset pages and their cursors, the rows' excerpts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Priority, Queue
from complaints.queue.conditions import QueueFilter
from complaints.queue.listing import EXCERPT_CHARS, BadCursor, Urgency, encode_cursor, list_cases
from complaints.scope import Scope
from complaints.workflow import CaseStatus, Intent
from tests.queue_support import EVERYONE, NO_FILTER, Cases, count, facets, queue_order, refs, walk
from tests.support import NOW, TODAY


async def test_nearest_deadline_first_and_cases_with_nothing_pending_last(
    engine: AsyncEngine, stations: list[int]
) -> None:
    south = stations[0]
    cases = Cases()
    due = {
        cases.add(station_id=south, due_on=None, status=CaseStatus.closed): None,
        cases.add(station_id=south, due_on=TODAY + timedelta(days=9)): TODAY + timedelta(days=9),
        cases.add(station_id=south, due_on=TODAY - timedelta(days=3)): TODAY - timedelta(days=3),
        cases.add(station_id=south, due_on=TODAY): TODAY,
        cases.add(station_id=south, due_on=None, status=CaseStatus.resolved): None,
        cases.add(station_id=south, due_on=TODAY + timedelta(days=1)): TODAY + timedelta(days=1),
        cases.add(station_id=south, due_on=TODAY): TODAY,
    }
    ids = await cases.insert(engine)
    async with engine.connect() as connection:
        page = await list_cases(connection, Scope.station(south), NO_FILTER, after=None)
    assert [row.ref for row in page.rows] == queue_order(ids, due)
    assert page.next_cursor is None
    assert [row.due_on for row in page.rows][-2:] == [None, None]
    assert [row.urgency(TODAY) for row in page.rows] == [
        Urgency.overdue,
        Urgency.due_today,
        Urgency.due_today,
        Urgency.upcoming,
        Urgency.upcoming,
        Urgency.none,
        Urgency.none,
    ]


async def test_a_handler_sees_only_their_station_and_never_the_intake_queues(
    engine: AsyncEngine, stations: list[int]
) -> None:
    south, east, west = stations
    cases = Cases()
    mine = {cases.add(station_id=south, due_on=TODAY + timedelta(days=n)) for n in range(-2, 4)}
    mine.add(cases.add(station_id=south, due_on=None, status=CaseStatus.closed))
    theirs = {cases.add(station_id=east, due_on=TODAY + timedelta(days=n)) for n in range(-3, 3)}
    theirs.add(cases.add(station_id=west, due_on=TODAY))
    district = {cases.add(station_id=None, due_on=TODAY - timedelta(days=5), queue=Queue.district_intake)}
    general = {cases.add(station_id=None, due_on=None, queue=Queue.general_intake, category="other")}
    await cases.insert(engine)

    handler = Scope.station(south)
    assert set(await refs(engine, handler, NO_FILTER)) == mine
    assert await count(engine, handler, NO_FILTER) == len(mine)
    assert sum((await facets(engine, handler, NO_FILTER))["status"].values()) == len(mine)
    # Asking for another queue or searching for another station's words does not widen the scope.
    assert await refs(engine, handler, QueueFilter(queue=Queue.district_intake)) == []
    assert await count(engine, handler, QueueFilter(queue=Queue.general_intake)) == 0
    assert set(await refs(engine, handler, QueueFilter(text="带鱼"))) == mine

    assert set(await refs(engine, EVERYONE, NO_FILTER)) == mine | theirs | district | general
    assert set(await refs(engine, Scope(None, False), NO_FILTER)) == mine | theirs
    west_refs = set(await refs(engine, Scope.station(west), NO_FILTER))
    assert len(west_refs) == 1
    assert set(await refs(engine, Scope(frozenset({south, west}), True), NO_FILTER)) == (
        mine | west_refs | district | general
    )
    assert await refs(engine, Scope(frozenset(), False), NO_FILTER) == []
    assert await count(engine, Scope(frozenset(), False), NO_FILTER) == 0
    assert set(await refs(engine, Scope(frozenset(), True), NO_FILTER)) == district | general
    assert set(await refs(engine, EVERYONE, QueueFilter(queue=Queue.general_intake))) == general


async def test_the_supervisor_merges_every_queue_in_one_deadline_order(
    engine: AsyncEngine, stations: list[int]
) -> None:
    cases = Cases()
    due: dict[str, date | None] = {}
    for n in range(40):
        station = stations[n % 3] if n % 5 else None
        deadline = None if n % 7 == 0 else TODAY + timedelta(days=n % 4 - 1)
        queue = Queue.general_intake if n % 10 == 0 else None
        due[cases.add(station_id=station, due_on=deadline, queue=queue)] = deadline
    ids = await cases.insert(engine)
    for limit in (1, 3, 50):
        assert [row.ref for row in await walk(engine, EVERYONE, NO_FILTER, limit)] == queue_order(ids, due)
    assert await count(engine, EVERYONE, NO_FILTER) == 40


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 10, 25, 100])
async def test_pages_walk_every_case_exactly_once_even_through_equal_deadlines(
    engine: AsyncEngine, stations: list[int], limit: int
) -> None:
    south, east, _ = stations
    cases = Cases()
    due: dict[str, date | None] = {}
    # Runs of equal deadlines longer than a page, a page boundary inside a run, and a tail without deadlines.
    for n in range(37):
        deadline = None if n % 6 == 5 else TODAY + timedelta(days=n % 3)
        due[cases.add(station_id=south, due_on=deadline)] = deadline
    for _ in range(5):
        cases.add(station_id=east, due_on=TODAY)
    ids = await cases.insert(engine)
    expected = queue_order(ids, due)
    walked = await walk(engine, Scope.station(south), NO_FILTER, limit)
    assert [row.ref for row in walked] == expected
    assert len({row.id for row in walked}) == len(expected)
    # Two stations at once: the merged pages split ties the same way.
    both = await walk(engine, Scope(frozenset({south, east}), False), NO_FILTER, limit)
    assert len({row.id for row in both}) == len(both) == 42
    assert [(row.due_on is None, row.due_on or date.min, row.id) for row in both] == sorted(
        (row.due_on is None, row.due_on or date.min, row.id) for row in both
    )


async def test_a_filtered_walk_pages_through_the_filtered_cases(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    due: dict[str, date | None] = {}
    for n in range(30):
        status = CaseStatus.received if n % 2 else CaseStatus.accepted
        deadline = None if n % 9 == 0 else TODAY + timedelta(days=n % 4)
        ref = cases.add(station_id=stations[0], due_on=deadline, status=status)
        if status is CaseStatus.received:
            due[ref] = deadline
    ids = await cases.insert(engine)
    received = QueueFilter(status=CaseStatus.received)
    assert [row.ref for row in await walk(engine, Scope.station(stations[0]), received, 4)] == queue_order(ids, due)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        "%%%",
        "ZZZZ",  # base64 of bytes that are not UTF-8
        "MjAyNi0xMS0yMw",  # "2026-11-23": no id
        "MjAyNi0xMy0wMXwx",  # "2026-13-01|1": no such date
        "MjAyNi0xMS0yM3x4",  # "2026-11-23|x"
        "fC0x",  # "|-1"
        "fA",  # "|"
        "fDk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # an id beyond any database integer
        "５５",
    ],
)
async def test_a_malformed_cursor_is_refused(engine: AsyncEngine, cursor: str) -> None:
    async with engine.connect() as connection:
        with pytest.raises(BadCursor, match="malformed page cursor"):
            await list_cases(connection, EVERYONE, NO_FILTER, after=cursor)
    assert issubclass(BadCursor, ValueError)


async def test_page_size_is_bounded(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        for limit in (0, -1, 501):
            with pytest.raises(ValueError, match="a page holds"):
                await list_cases(connection, EVERYONE, NO_FILTER, after=None, limit=limit)


async def test_a_cursor_past_the_end_gives_an_empty_last_page(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    cases.add(station_id=stations[0], due_on=TODAY)
    await cases.insert(engine)
    async with engine.connect() as connection:
        page = await list_cases(connection, EVERYONE, NO_FILTER, after=encode_cursor(None, 10**9))
    assert page.rows == []
    assert page.next_cursor is None


async def test_rows_carry_an_excerpt_on_one_line(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    long_text = "第一行：称重有问题。\n第二行：" + "少了二两，" * 40
    long_ref = cases.add(station_id=stations[0], due_on=TODAY, text=long_text)
    short_ref = cases.add(station_id=stations[0], due_on=TODAY, text="  缺\n秤  ")
    await cases.insert(engine)
    rows = {row.ref: row for row in await walk(engine, EVERYONE, NO_FILTER)}
    assert len(rows[long_ref].excerpt) == EXCERPT_CHARS
    assert rows[long_ref].excerpt.startswith("第一行：称重有问题。 第二行：少了二两，")
    assert rows[long_ref].excerpt.endswith("…")
    assert rows[short_ref].excerpt == "缺 秤"
    row = rows[short_ref]
    assert (row.intent, row.status, row.priority, row.queue) == (
        Intent.complaint,
        CaseStatus.received,
        Priority.normal,
        Queue.station,
    )
    assert row.received_at == NOW
    assert row.station_id == stations[0]
