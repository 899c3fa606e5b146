"""Forwarding to the upstream 12315 receiver: signed, retried through failures and timeouts, stored once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import ComplaintPhoto, OutboxStatus
from complaints.outbox.delivery import MAX_ATTEMPTS, backoff
from complaints.outbox.enqueue import UPSTREAM
from complaints.outbox.senders import Sender
from complaints.outbox.upstream import UpstreamSender
from lookup.models import Instrument, Merchant, table_of
from tests.fake_upstream import PATH, FakeUpstream
from tests.outbox_support import (
    NAME,
    PHONE,
    SECRET,
    WORDS,
    FakeClock,
    deliver,
    outbox,
    queue_cases,
)
from tests.support import BASE_ROW, NOW, ZONE, seed


@pytest.fixture
def fake() -> FakeUpstream:
    return FakeUpstream(SECRET)


@pytest.fixture
async def upstream_url(aiohttp_server: Any, fake: FakeUpstream) -> str:
    server = await aiohttp_server(fake.app())
    return str(server.make_url(PATH))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def upstream(
    engine: AsyncEngine, session: aiohttp.ClientSession, upstream_url: str, clock: FakeClock
) -> dict[str, Sender]:
    return {
        UPSTREAM: UpstreamSender(
            url=upstream_url, secret=SECRET, engine=engine, session=session, zone=ZONE, clock=clock
        )
    }


async def test_forwards_survive_failures_and_a_timeout_and_arrive_once(
    engine: AsyncEngine, fake: FakeUpstream, upstream: dict[str, Sender], clock: FakeClock
) -> None:
    cases = await queue_cases(engine, 3)
    fake.fail_next(3)
    fake.hang_next(1, store_first=True)  # stored, but the answer never comes: the retry must not store again

    for _ in range(10):
        # Long enough that an answered forward never times out on a busy CI machine (0.3 s once did), short
        # enough that the hung one costs the suite little.
        await deliver(engine, upstream, clock, send_timeout=1.5)
        pending = [row for row in await outbox(engine) if row.status == OutboxStatus.pending]
        if not pending:
            break
        assert await deliver(engine, upstream, clock) == 0, "nothing is due before its backoff has passed"
        clock.now = min(row.next_attempt_at for row in pending)

    rows = await outbox(engine)
    assert [row.status for row in rows] == [OutboxStatus.sent] * 3
    assert sorted(fake.documents) == [case.ref for case in cases]
    assert sorted(fake.deliveries.values()) == [1, 1, 2]  # the hung forward arrived twice, was stored once
    assert fake.requests == 3 + 3 + 1
    # Every try is counted: all three failed once, then the hung one once more.
    assert sorted(row.attempts for row in rows) == [2, 2, 3]
    hung = next(key for key, count in fake.deliveries.items() if count == 2)
    hung_row = next(row for row, case in zip(rows, cases, strict=True) if case.ref == hung)
    assert (hung_row.attempts, hung_row.last_error) == (3, "no answer within 1.5 s")
    assert all(row.claimed_by == "" and row.claimed_until is None for row in rows)


async def test_the_forwarded_document_carries_the_case_and_is_signed(
    engine: AsyncEngine, fake: FakeUpstream, upstream: dict[str, Sender], clock: FakeClock
) -> None:
    await seed(engine, BASE_ROW)
    async with engine.connect() as connection:
        instrument = (await connection.execute(sa.select(table_of(Instrument)))).one()
        merchant = (await connection.execute(sa.select(table_of(Merchant)))).one()
    # No market on the case: the merchant's is forwarded.
    links = {"instrument_id": instrument.id, "merchant_id": merchant.id, "station_id": merchant.station_id}
    [case] = await queue_cases(engine, 1, links=links)
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(table_of(ComplaintPhoto)).values(
                complaint_id=case.id, content_type="image/jpeg", width=1, height=1, sha256="0" * 64, data=b"jpeg"
            )
        )

    assert await deliver(engine, upstream, clock) == 1

    assert fake.documents == {
        case.ref: {
            "ref": case.ref,
            "received_at": "2026-11-23T10:00:00+08:00",
            "channel": "web",
            "text": WORDS,
            "intent": "complaint",
            "category": "short_weight",
            "priority": "normal",
            "station": BASE_ROW.station,
            "instrument_code": instrument.code,
            "merchant": {"name": BASE_ROW.merchant, "uscc": BASE_ROW.uscc},
            "market": BASE_ROW.market,
            "contact": {"name": NAME, "phone": PHONE},
            "photo_count": 1,
        }
    }
    [row] = await outbox(engine)
    assert row.payload == {}, "the outbox itself holds no personal data"


async def test_an_upstream_down_for_good_backs_off_then_fails_and_keeps_the_rows(
    engine: AsyncEngine, fake: FakeUpstream, upstream: dict[str, Sender], clock: FakeClock
) -> None:
    await queue_cases(engine, 2)
    fake.fail_next(10_000, status=503)

    waits: list[timedelta] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await deliver(engine, upstream, clock) == 2
        rows = await outbox(engine)
        assert all(row.attempts == attempt for row in rows)
        if attempt == MAX_ATTEMPTS:
            break
        assert all(row.status == OutboxStatus.pending for row in rows)
        for row in rows:
            assert row.next_attempt_at - clock.now == backoff(attempt, spread=row.id)
        waits.append(rows[0].next_attempt_at - clock.now)
        clock.now = max(row.next_attempt_at for row in rows)

    capped = waits.index(max(waits))
    assert all(a < b for a, b in pairwise(waits[: capped + 1])), "grows until the cap"
    assert set(waits[capped:]) == {waits[capped]}
    assert timedelta(hours=20) < clock.now - NOW < timedelta(hours=24), "gives up after about a day"
    rows = await outbox(engine)
    assert [row.status for row in rows] == [OutboxStatus.failed] * 2
    assert {row.last_error for row in rows} == {"upstream answered HTTP 503 Service Unavailable"}
    assert fake.requests == 2 * MAX_ATTEMPTS
    assert not fake.documents

    fake.recover()
    clock.now += timedelta(days=7)
    assert await deliver(engine, upstream, clock) == 0, "failed rows wait for a person, not for the worker"


async def test_a_refusal_fails_at_once(
    engine: AsyncEngine, fake: FakeUpstream, upstream: dict[str, Sender], clock: FakeClock
) -> None:
    await queue_cases(engine, 1)
    fake.fail_next(1, status=400)

    assert await deliver(engine, upstream, clock) == 1

    [row] = await outbox(engine)
    assert (row.status, row.attempts) == (OutboxStatus.failed, 1)
    assert row.last_error == "upstream refused the forward: HTTP 400 Bad Request"


async def test_a_wrong_secret_is_refused_and_not_retried(
    engine: AsyncEngine, fake: FakeUpstream, session: aiohttp.ClientSession, upstream_url: str, clock: FakeClock
) -> None:
    await queue_cases(engine, 1)
    wrong = UpstreamSender(
        url=upstream_url, secret="not-the-secret", engine=engine, session=session, zone=ZONE, clock=clock
    )

    assert await deliver(engine, {UPSTREAM: wrong}, clock) == 1

    [row] = await outbox(engine)
    assert (row.status, row.attempts) == (OutboxStatus.failed, 1)
    assert row.last_error == "upstream refused the forward: HTTP 401 Unauthorized"
    assert fake.rejected_signatures == 1
    assert not fake.documents
