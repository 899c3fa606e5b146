"""The outbox reaches its receivers exactly once through outages, slow answers, refusals and crashed workers."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints import delivery
from complaints.delivery import (
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    NO_SENDER_RETRY,
    Delivery,
    LoggingSender,
    PermanentDeliveryError,
    RetryableDeliveryError,
    Sender,
    backoff,
    claim_due,
    deliver_due,
    record_outcome,
    run_worker,
)
from complaints.models import Complaint, ComplaintContact, ComplaintPhoto, OutboxStatus
from complaints.outbox import UPSTREAM, enqueue, outbox_t
from complaints.upstream import UpstreamSender
from lookup.models import Instrument, Merchant, table_of
from tests.fake_upstream import PATH, FakeUpstream
from tests.support import BASE_ROW, NOW, ZONE, seed
from web.db import for_writing

SECRET = "shared-upstream-secret"
PHONE, NAME, WORDS = "13800138000", "王小明", "一斤肉少了二两"
complaint_t, contact_t = table_of(Complaint), table_of(ComplaintContact)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Case:
    id: int
    ref: str


async def queue_cases(
    engine: AsyncEngine,
    count: int,
    *,
    channel: str = UPSTREAM,
    kind: str = "forward",
    payload: Mapping[str, Any] | None = None,
    links: Mapping[str, int] | None = None,
) -> list[Case]:
    """Cases with a contact, each with one outbox message, written as intake does: in one transaction."""
    cases = []
    async with for_writing(engine).begin() as connection:
        for n in range(1, count + 1):
            ref = f"JL20261123-{n:04d}"
            case_id = (
                await connection.execute(
                    sa.insert(complaint_t)
                    .values(
                        ref=ref,
                        token_hash="0" * 64,
                        channel="web",
                        text=WORDS,
                        queue="station",
                        intent="complaint",
                        category="short_weight",
                        confidence=0.9,
                        classifier_version="t",
                        needs_triage=False,
                        priority="normal",
                        status="received",
                        received_at=NOW,
                        deadline_approximate=False,
                        satisfaction_comment="",
                        **(links or {}),
                    )
                    .returning(complaint_t.c.id)
                )
            ).scalar_one()
            await connection.execute(
                sa.insert(contact_t).values(
                    complaint_id=case_id, name=NAME, phone=PHONE, channel_user="", consent_to_contact=True
                )
            )
            await enqueue(
                connection,
                complaint_id=case_id,
                channel=channel,
                kind=kind,
                key=f"{kind}:{channel}:{ref}",
                payload=payload or {},
                now=NOW,
            )
            cases.append(Case(case_id, ref))
    return cases


async def outbox(engine: AsyncEngine) -> list[sa.Row[Any]]:
    async with engine.connect() as connection:
        return list(await connection.execute(sa.select(outbox_t).order_by(outbox_t.c.id)))


def aware(moment: datetime) -> datetime:
    # SQLite gives back the wall-clock time written (the tests' zone); PostgreSQL an aware instant.
    return moment.replace(tzinfo=ZONE) if moment.tzinfo is None else moment


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    async def send(self, delivery: Delivery) -> None:
        self.sent.append(delivery)


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


async def deliver(engine: AsyncEngine, senders: Mapping[str, Sender], clock: FakeClock, **options: Any) -> int:
    return await deliver_due(for_writing(engine), senders, now=clock(), worker_id="w1", **options)


async def test_forwards_survive_failures_and_a_timeout_and_arrive_once(
    engine: AsyncEngine, fake: FakeUpstream, upstream: dict[str, Sender], clock: FakeClock
) -> None:
    cases = await queue_cases(engine, 3)
    fake.fail_next(3)
    fake.hang_next(1, store_first=True)  # stored, but the answer never comes: the retry must not store again

    for _ in range(10):
        await deliver(engine, upstream, clock, send_timeout=0.3)
        pending = [row for row in await outbox(engine) if row.status == OutboxStatus.pending]
        if not pending:
            break
        assert await deliver(engine, upstream, clock) == 0, "nothing is due before its backoff has passed"
        clock.now = min(aware(row.next_attempt_at) for row in pending)

    rows = await outbox(engine)
    assert [row.status for row in rows] == [OutboxStatus.sent] * 3
    assert sorted(fake.documents) == [case.ref for case in cases]
    assert sorted(fake.deliveries.values()) == [1, 1, 2]  # the hung forward arrived twice, was stored once
    assert fake.requests == 3 + 3 + 1
    # Every try is counted: all three failed once, then the hung one once more.
    assert sorted(row.attempts for row in rows) == [2, 2, 3]
    hung = next(key for key, count in fake.deliveries.items() if count == 2)
    hung_row = next(row for row, case in zip(rows, cases, strict=True) if case.ref == hung)
    assert (hung_row.attempts, hung_row.last_error) == (3, "no answer within 0.3 s")
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
            assert aware(row.next_attempt_at) - clock.now == backoff(attempt, spread=row.id)
        waits.append(aware(rows[0].next_attempt_at) - clock.now)
        clock.now = max(aware(row.next_attempt_at) for row in rows)

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


class OverlappingSender:
    """Holds every send until both workers are sending at once, so the test proves that they overlapped."""

    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()
        self.by_worker: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.both_sending = asyncio.Event()

    async def send(self, delivery: Delivery) -> None:
        self.in_flight[delivery.claimed_by] += 1
        try:
            if sum(1 for n in self.in_flight.values() if n) == 2:
                self.both_sending.set()
            await asyncio.wait_for(self.both_sending.wait(), 5)
            await asyncio.sleep(0)  # let the other worker's sends and claims interleave with this one
            self.sent[delivery.message_id] += 1
            self.by_worker[delivery.claimed_by] += 1
        finally:
            self.in_flight[delivery.claimed_by] -= 1


async def test_two_workers_never_deliver_a_row_twice(engine: AsyncEngine) -> None:
    cases = await queue_cases(engine, 100, channel="sms", kind="received")
    sender = OverlappingSender()

    async def worker(name: str) -> None:
        while await deliver_due(for_writing(engine), {"sms": sender}, now=NOW, worker_id=name, limit=10):
            pass

    await asyncio.gather(worker("a"), worker("b"))

    assert sender.both_sending.is_set(), "the workers never sent at the same time: the test proved nothing"
    assert len(sender.sent) == len(cases)
    assert set(sender.sent.values()) == {1}
    assert sender.by_worker["a"] > 0
    assert sender.by_worker["b"] > 0
    rows = await outbox(engine)
    assert {row.status for row in rows} == {OutboxStatus.sent}
    assert {row.attempts for row in rows} == {1}


async def test_a_dead_workers_rows_are_taken_over_when_its_lease_ends(engine: AsyncEngine) -> None:
    await queue_cases(engine, 1, channel="sms", kind="received")
    lease = timedelta(minutes=2)
    [orphan] = await claim_due(for_writing(engine), now=NOW, worker_id="dead", limit=10, lease=lease)
    stale_outcomes: list[bool] = []

    class SenderWhileTheDeadWakeUp(RecordingSender):
        async def send(self, delivery: Delivery) -> None:
            # The dead worker comes back while the row is in another's hands: its outcome must not land.
            late = PermanentDeliveryError("late")
            stale_outcomes.append(await record_outcome(for_writing(engine), orphan, now=NOW + lease, error=late))
            await super().send(delivery)

    sender = SenderWhileTheDeadWakeUp()

    async def take_over(at: datetime) -> int:
        return await deliver_due(for_writing(engine), {"sms": sender}, now=at, worker_id="alive", lease=lease)

    assert await take_over(NOW + timedelta(minutes=1)) == 0
    assert await take_over(NOW + lease) == 0
    assert await take_over(NOW + lease + timedelta(seconds=1)) == 1
    assert [d.message_id for d in sender.sent] == [orphan.message_id]
    assert stale_outcomes == [False]

    # …nor after the row was delivered.
    late = RetryableDeliveryError("late")
    assert not await record_outcome(for_writing(engine), orphan, now=NOW + lease * 2, error=late)
    [row] = await outbox(engine)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.sent, 1, "")


class HangingSender:
    def __init__(self) -> None:
        self.in_flight = self.most_in_flight = 0

    async def send(self, delivery: Delivery) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.Event().wait()  # never answers
        finally:
            self.in_flight -= 1


async def test_a_batch_is_sent_at_once_so_it_ends_within_one_send_timeout(
    engine: AsyncEngine, clock: FakeClock
) -> None:
    # Sent one after another, a batch could outlast its lease and be claimed again while still being sent.
    await queue_cases(engine, 5, channel="sms", kind="received")
    sender = HangingSender()

    assert await deliver(engine, {"sms": sender}, clock, send_timeout=0.1) == 5

    assert sender.most_in_flight == 5
    with pytest.raises(ValueError, match="well under the lease"):
        await deliver(engine, {"sms": sender}, clock, send_timeout=61)  # the default lease is 2 minutes
    rows = await outbox(engine)
    assert {(row.status, row.attempts, row.last_error) for row in rows} == {
        (OutboxStatus.pending, 1, "no answer within 0.1 s")
    }


async def test_a_channel_without_a_sender_waits_and_says_why(engine: AsyncEngine, clock: FakeClock) -> None:
    await queue_cases(engine, 1, channel="telegram", kind="received")

    assert await deliver(engine, {}, clock) == 1

    [row] = await outbox(engine)
    assert (row.status, row.attempts) == (OutboxStatus.pending, 0)
    assert row.last_error == "no sender registered for channel telegram"
    assert aware(row.next_attempt_at) == NOW + NO_SENDER_RETRY
    clock.now = NOW + NO_SENDER_RETRY - timedelta(seconds=1)
    assert await deliver(engine, {}, clock) == 0

    clock.now = NOW + NO_SENDER_RETRY  # the token was configured meanwhile
    sender = RecordingSender()
    assert await deliver(engine, {"telegram": sender}, clock) == 1
    [row] = await outbox(engine)
    assert (row.status, row.attempts, len(sender.sent)) == (OutboxStatus.sent, 1, 1)


class CarelessSender:
    async def send(self, delivery: Delivery) -> None:
        assert delivery.recipient is not None
        raise ValueError(f"cannot reach {delivery.recipient.name} at {delivery.recipient.phone}")


async def test_the_sms_stub_and_a_failing_sender_log_the_case_but_no_personal_data(
    engine: AsyncEngine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    [case] = await queue_cases(engine, 1, channel="sms", kind="accepted", payload={"text": "您的投诉已受理"})
    async with engine.begin() as connection:
        await enqueue(connection, complaint_id=case.id, channel="email", kind="accepted", key="e", payload={}, now=NOW)
    caplog.set_level(logging.DEBUG, logger="complaints")

    assert await deliver(engine, {"sms": LoggingSender("sms"), "email": CarelessSender()}, clock) == 2

    sms, email = await outbox(engine)
    assert sms.status == OutboxStatus.sent
    assert f"would send 'accepted' for {case.ref}" in caplog.text
    # Any exception but ours may quote a person: only its class and place are kept, and it is retried.
    assert (email.status, email.attempts) == (OutboxStatus.pending, 1)
    assert email.last_error.startswith("unexpected ValueError at test_delivery.py:")
    for personal in (PHONE, NAME, WORDS, "您的投诉已受理"):
        assert personal not in caplog.text
        assert personal not in email.last_error


async def test_the_worker_outlives_database_errors(
    engine: AsyncEngine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await queue_cases(engine, 3, channel="sms", kind="received")
    stop, sender, real, calls = asyncio.Event(), RecordingSender(), delivery.deliver_due, Counter[str]()

    async def flaky(*args: Any, **kwargs: Any) -> int:
        calls["rounds"] += 1
        if calls["rounds"] <= 2:  # PostgreSQL restarting
            raise sa.exc.OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))
        handled = await real(*args, **kwargs)
        if len(sender.sent) == 3:
            stop.set()
        return handled

    monkeypatch.setattr(delivery, "deliver_due", flaky)
    caplog.set_level(logging.INFO, logger="complaints.delivery")
    worker = run_worker(
        for_writing(engine), {"sms": sender}, clock=clock, stop=stop, worker_id="w1", poll_interval=0.01
    )
    await asyncio.wait_for(worker, 10)

    assert {row.status for row in await outbox(engine)} == {OutboxStatus.sent}
    assert caplog.text.count("OperationalError") == 2
    assert "working again after 2 failed round(s)" in caplog.text


def test_backoff_doubles_up_to_an_hour_and_the_retries_span_about_a_day() -> None:
    assert [backoff(n).total_seconds() for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    for message_id in range(1, 200):
        waits = [backoff(n, spread=message_id) for n in range(1, MAX_ATTEMPTS)]
        assert waits == [backoff(n, spread=message_id) for n in range(1, MAX_ATTEMPTS)], "deterministic"
        assert all(0.9 * backoff(n) <= w <= backoff(n) <= BACKOFF_CAP for n, w in enumerate(waits, start=1))
        assert timedelta(hours=20) < sum(waits, timedelta()) < timedelta(hours=24)
    assert len({backoff(5, spread=m) for m in range(1, 50)}) > 10, "messages failing together spread out"
