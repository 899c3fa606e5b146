"""The handlers' queue: every filter, what a filter refuses, and the facet counts beside the list."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Priority, Queue
from complaints.queue.conditions import FACETS, QueueFilter
from complaints.scope import Scope
from complaints.workflow import CaseStatus, Intent
from tests.queue_support import EVERYONE, NO_FILTER, Cases, count, facets, refs
from tests.support import TODAY, ZONE

FACET_TYPES: dict[str, Callable[[str], Any]] = {
    "status": CaseStatus,
    "intent": Intent,
    "category": str,
    "priority": Priority,
    "channel": str,
}


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
