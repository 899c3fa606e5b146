"""The handlers' queue: scope, order by nearest deadline, filters, text search, keyset pages and counts."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint, Priority, Queue
from complaints.queue import (
    EXCERPT_CHARS,
    FACETS,
    BadCursor,
    QueueFilter,
    QueueRow,
    Scope,
    Urgency,
    count_cases,
    encode_cursor,
    escape_like,
    facet_counts,
    list_cases,
)
from complaints.workflow import CaseStatus, Intent
from lookup.models import Station, table_of
from tests.support import NOW, TODAY, ZONE

complaint_t, station_t = table_of(Complaint), table_of(Station)
FACET_TYPES: dict[str, Callable[[str], Any]] = {
    "status": CaseStatus,
    "intent": Intent,
    "category": str,
    "priority": Priority,
    "channel": str,
}


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


@pytest.fixture
async def stations(engine: AsyncEngine) -> list[int]:
    return await add_stations(engine, "南门市场监管所", "东街市场监管所", "西湖市场监管所")


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


async def test_every_filter(engine: AsyncEngine, stations: list[int]) -> None:
    south = stations[0]
    cases = Cases()
    received = cases.add(station_id=south, due_on=TODAY + timedelta(days=5))
    accepted = cases.add(station_id=south, due_on=TODAY + timedelta(days=40), status=CaseStatus.accepted)
    report = cases.add(
        station_id=south,
        due_on=TODAY - timedelta(days=1),
        intent=Intent.report,
        status=CaseStatus.verifying,
        category="tampered_instrument",
        priority=Priority.high,
        channel="wechat",
    )
    inquiry = cases.add(
        station_id=south,
        due_on=None,
        intent=Intent.inquiry,
        status=CaseStatus.answered,
        category="unverified_instrument",
        channel="telegram",
        needs_triage=True,
    )
    feedback = cases.add(
        station_id=south,
        due_on=None,
        intent=Intent.feedback,
        status=CaseStatus.acknowledged,
        priority=Priority.low,
        category="short_weight",
        channel="wechat",
    )
    intake = cases.add(station_id=None, due_on=TODAY - timedelta(days=2), needs_triage=True)
    # Received around the local midnights of 20 and 21 November (Beijing time, UTC+8).
    early = cases.add(station_id=south, due_on=None, received_at=datetime(2026, 11, 19, 23, 30, tzinfo=ZONE))
    first = cases.add(station_id=south, due_on=None, received_at=datetime(2026, 11, 20, 0, 10, tzinfo=ZONE))
    last = cases.add(station_id=south, due_on=None, received_at=datetime(2026, 11, 21, 23, 59, tzinfo=ZONE))
    late = cases.add(station_id=south, due_on=None, received_at=datetime(2026, 11, 22, 0, 0, tzinfo=ZONE))
    await cases.insert(engine)
    at_station = {received, accepted, report, inquiry, feedback, early, first, last, late}

    expectations: list[tuple[QueueFilter, set[str]]] = [
        (QueueFilter(status=CaseStatus.accepted), {accepted}),
        (QueueFilter(status=CaseStatus.received), {received, intake, early, first, last, late}),
        (QueueFilter(intent=Intent.report), {report}),
        (QueueFilter(intent=Intent.inquiry), {inquiry}),
        (QueueFilter(category="tampered_instrument"), {report}),
        (QueueFilter(category="short_weight"), at_station - {report, inquiry} | {intake}),
        (QueueFilter(category="no_such_category"), set()),
        (QueueFilter(priority=Priority.high), {report}),
        (QueueFilter(priority=Priority.low), {feedback}),
        (QueueFilter(channel="wechat"), {report, feedback}),
        (QueueFilter(channel="telegram"), {inquiry}),
        (QueueFilter(queue=Queue.district_intake), {intake}),
        (QueueFilter(queue=Queue.station), at_station),
        (QueueFilter(needs_triage=True), {inquiry, intake}),
        (QueueFilter(needs_triage=False), at_station - {inquiry}),
        (QueueFilter(received_from=date(2026, 11, 20), received_to=date(2026, 11, 21), zone=ZONE), {first, last}),
        (QueueFilter(received_from=date(2026, 11, 22), zone=ZONE), at_station - {early, first, last} | {intake}),
        (QueueFilter(received_to=date(2026, 11, 19), zone=ZONE), {early}),
        (QueueFilter(overdue_only=True, today=TODAY), {report, intake}),
        (QueueFilter(overdue_only=True, today=TODAY + timedelta(days=6)), {report, intake, received}),
        (QueueFilter(status=CaseStatus.received, needs_triage=True, overdue_only=True, today=TODAY), {intake}),
        (QueueFilter(intent=Intent.feedback, channel="telegram"), set()),
    ]
    for filters, expected in expectations:
        assert set(await refs(engine, EVERYONE, filters)) == expected, filters
        assert await count(engine, EVERYONE, filters) == len(expected), filters
        handler = expected - {intake}
        assert set(await refs(engine, Scope.station(south), filters)) == handler, filters
        assert await count(engine, Scope.station(south), filters) == len(handler), filters


def test_overdue_only_needs_today_and_a_search_has_a_length() -> None:
    with pytest.raises(ValueError, match="today"):
        QueueFilter(overdue_only=True)
    with pytest.raises(ValueError, match="at most"):
        QueueFilter(text="秤" * 201)


INJECTION = "'; DROP TABLE complaint; --"
SEARCH_TEXTS = {
    "percent": "秤上贴着“折扣100%”，结果两斤带鱼少了二两。",
    "underscore": "价签写着 5_kg 装，回家一称只有 4.6 千克。",
    "backslash": "收据上的编号是 A\\B-17，电子秤显示的重量和小票对不上。",
    "double_quote": '老板说"绝对足秤"，我拿去公平秤复称少了三两。',
    "single_quote": "The vendor's scale at stall 12 reads 50 g heavy.",
    "injection": f"有人在留言里写 {INJECTION} 想捣乱，我的诉求是：猪肉少称了一两。",
    "latin_upper": "ELECTRONIC SCALE at the fruit stall shows a different weight.",
    "chinese": "在东街口水果摊买了三斤荔枝，缺斤少两，足足少了四两。",
    "chinese_2": "加油机跳字太快，怀疑缺斤少两，加了二百元只有二十八升。",
    "mentions_ref": "上次投诉的 JL20261101-0007 还没有处理结果，老板又少称了。",
    "plain": "水表走得太快，一个月走了四十吨。",
}
SEARCHES: list[tuple[str, set[str]]] = [
    ("%", {"percent"}),
    ("100%", {"percent"}),
    ("_", {"underscore"}),
    ("5_kg", {"underscore"}),
    ("5%kg", set()),
    ("\\", {"backslash"}),
    ("A\\B", {"backslash"}),
    ('"绝对足秤"', {"double_quote"}),
    ("'", {"single_quote", "injection"}),
    ("vendor's", {"single_quote"}),
    (INJECTION, {"injection"}),
    ("complaint; --", {"injection"}),
    ("scale", {"single_quote", "latin_upper"}),
    ("SCALE", {"single_quote", "latin_upper"}),
    ("Electronic Scale", {"latin_upper"}),
    ("缺斤少两", {"chinese", "chinese_2"}),
    ("荔枝", {"chinese"}),
    ("  荔枝  ", {"chinese"}),
    ("四十吨", {"plain"}),
    ("秤", {"percent", "backslash", "double_quote"}),
    ("二两", {"percent"}),
    ("sC", {"single_quote", "latin_upper"}),
    ("JL20261101-0007", {"mentions_ref"}),
    ("没有这句话", set()),
]


@pytest.mark.parametrize(("words", "expected"), SEARCHES, ids=[words for words, _ in SEARCHES])
async def test_text_search_finds_the_words_as_typed(
    engine: AsyncEngine, stations: list[int], words: str, expected: set[str]
) -> None:
    cases = Cases()
    by_ref = {cases.add(station_id=stations[0], due_on=TODAY, text=text): name for name, text in SEARCH_TEXTS.items()}
    await cases.insert(engine)
    found = {by_ref[ref] for ref in await refs(engine, EVERYONE, QueueFilter(text=words))}
    assert found == expected
    assert await count(engine, EVERYONE, QueueFilter(text=words)) == len(expected)
    # Whatever was typed, the table is still there with every case in it.
    async with engine.connect() as connection:
        stored = await connection.execute(sa.select(sa.func.count()).select_from(complaint_t))
        assert stored.scalar_one() == len(SEARCH_TEXTS)


async def test_an_empty_search_filters_nothing(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    for text in SEARCH_TEXTS.values():
        cases.add(station_id=stations[0], due_on=TODAY, text=text)
    await cases.insert(engine)
    for words in ("", "   ", "\x00"):
        assert await count(engine, EVERYONE, QueueFilter(text=words)) == len(SEARCH_TEXTS)


async def test_a_reference_finds_its_case(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    wanted = cases.add(station_id=stations[0], due_on=TODAY, ref="JL20261120-0042")
    cases.add(station_id=stations[0], due_on=TODAY, ref="JL20261120-0043")
    other_station = cases.add(station_id=stations[1], due_on=TODAY, ref="JL20261120-0044")
    await cases.insert(engine)
    for typed in ("JL20261120-0042", "jl20261120-0042", " JL20261120-0042 "):
        assert await refs(engine, EVERYONE, QueueFilter(text=typed)) == [wanted]
    assert await refs(engine, EVERYONE, QueueFilter(text="JL20261120-004")) == []  # a reference is matched whole
    # A reference is no way round the scope.
    assert await refs(engine, Scope.station(stations[0]), QueueFilter(text=other_station)) == []
    assert await refs(engine, Scope.station(stations[1]), QueueFilter(text=other_station)) == [other_station]


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


async def test_facet_counts_agree_with_count_cases(engine: AsyncEngine, stations: list[int]) -> None:
    cases = Cases()
    intents = [Intent.complaint, Intent.report, Intent.inquiry, Intent.feedback]
    statuses = [CaseStatus.received, CaseStatus.accepted, CaseStatus.closed]
    categories = ["short_weight", "fuel_dispenser", "taxi_meter", "other"]
    for n in range(60):
        cases.add(
            station_id=stations[n % 3] if n % 8 else None,
            due_on=None if n % 5 == 0 else TODAY + timedelta(days=n % 6 - 2),
            intent=intents[n % 4],
            status=statuses[n % 3],
            category=categories[n % 4 if n % 7 else 0],
            priority=[Priority.high, Priority.normal, Priority.low][n % 3 if n % 2 else 1],
            channel=["web", "wechat", "telegram", "api"][n % 4 if n % 3 else 0],
            text="缺斤少两" if n % 2 else "计价器跳得快",
        )
    await cases.insert(engine)
    scopes = [EVERYONE, Scope.station(stations[0]), Scope(frozenset(stations[:2]), True)]
    filter_sets = [
        NO_FILTER,
        QueueFilter(status=CaseStatus.received),
        QueueFilter(intent=Intent.complaint, channel="web"),
        QueueFilter(text="缺斤", overdue_only=True, today=TODAY),
    ]
    for scope, filters in itertools.product(scopes, filter_sets):
        counted = await facets(engine, scope, filters)
        assert set(counted) == set(FACETS)
        total = await count(engine, scope, filters)
        for facet, values in counted.items():
            # The facet's own filter is left out: its counts add up to what the other filters find.
            no_choice: dict[str, Any] = {facet: None}
            without_own = dataclasses.replace(filters, **no_choice)
            assert sum(values.values()) == await count(engine, scope, without_own), (scope, filters, facet)
            assert list(values.values()) == sorted(values.values(), reverse=True)
            for value, n in values.items():
                chosen = dataclasses.replace(filters, **{facet: FACET_TYPES[facet](value)})
                assert await count(engine, scope, chosen) == n, (scope, filters, facet, value)
            if getattr(filters, facet) is None:
                assert sum(values.values()) == total


def test_like_wildcards_are_escaped() -> None:
    assert escape_like("100%_a\\b") == "100\\%\\_a\\\\b"
    assert escape_like("缺斤少两") == "缺斤少两"


async def test_postgresql_searches_through_the_trigram_index(engine: AsyncEngine, stations: list[int]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's")
    cases = Cases()
    for name, text in SEARCH_TEXTS.items():
        cases.add(station_id=stations[0], due_on=TODAY, text=f"{text} {name}")
    await cases.insert(engine)
    async with engine.begin() as connection:
        await connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
        await connection.execute(sa.text("SET LOCAL enable_indexscan = off"))
        plan = await connection.execute(
            sa.text("EXPLAIN SELECT id FROM complaint WHERE text ILIKE :pattern ESCAPE '\\'"),
            {"pattern": f"%{escape_like('缺斤少两')}%"},
        )
        assert "ix_complaint_text_trgm" in "\n".join(plan.scalars())


async def test_postgresql_searches_short_words_through_the_character_index(
    engine: AsyncEngine, stations: list[int]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the index of characters and pairs is PostgreSQL's (SQLite reads the rows)")
    cases = Cases()
    for text in SEARCH_TEXTS.values():
        cases.add(station_id=stations[0], due_on=TODAY, text=text)
    await cases.insert(engine)
    async with engine.begin() as connection:
        await connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
        await connection.execute(sa.text("SET LOCAL enable_indexscan = off"))
        plan = await connection.execute(
            sa.text("EXPLAIN SELECT id FROM complaint WHERE fairweigh_short_grams(text) @> ARRAY[:word]"),
            {"word": "二两"},
        )
        assert "ix_complaint_text_short_grams" in "\n".join(plan.scalars())
        grams = await connection.execute(sa.text("SELECT fairweigh_short_grams('Ab两')"))
        assert sorted(grams.scalar_one()) == sorted(["a", "b", "两", "ab", "b两"])
