"""The outbox reaches its receivers exactly once through outages, slow answers, refusals and crashed workers."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import OutboxStatus
from complaints.outbox import delivery
from complaints.outbox.claims import Delivery, claim_due
from complaints.outbox.delivery import (
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    NO_SENDER_RETRY,
    backoff,
    deliver_due,
    record_outcome,
    run_worker,
)
from complaints.outbox.enqueue import enqueue
from complaints.outbox.senders import LoggingSender, PermanentDeliveryError, RetryableDeliveryError
from tests.outbox_support import (
    NAME,
    PHONE,
    WORDS,
    FakeClock,
    RecordingSender,
    deliver,
    outbox,
    queue_cases,
)
from tests.support import NOW
from web.db import for_writing


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


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


class SlowSender(RecordingSender):
    async def send(self, delivery: Delivery) -> None:
        await asyncio.sleep(3)
        await super().send(delivery)


async def test_a_send_slower_than_the_lease_keeps_its_rows_from_a_second_worker(engine: AsyncEngine) -> None:
    # The heartbeat renews the lease while the answer is awaited: a live worker's rows are never sent twice.
    await queue_cases(engine, 3, channel="sms", kind="received")
    lease, later = timedelta(seconds=1.2), timedelta(seconds=2)
    sender = SlowSender()

    async def worker(name: str, *, after: timedelta) -> int:
        await asyncio.sleep(after.total_seconds())
        return await deliver_due(
            for_writing(engine), {"sms": sender}, now=NOW + after, worker_id=name, lease=lease, send_timeout=10
        )

    claimed = await asyncio.gather(worker("a", after=timedelta(0)), worker("b", after=later))

    assert claimed == [3, 0]
    assert sorted(Counter(d.message_id for d in sender.sent).values()) == [1, 1, 1]
    rows = await outbox(engine)
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.sent, 1)}


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
    assert row.next_attempt_at == NOW + NO_SENDER_RETRY
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
    caplog.set_level(logging.INFO, logger="complaints.outbox.delivery")
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


class FlakySender(RecordingSender):
    """Refuses while ``down``; records what it delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def send(self, delivery: Delivery) -> None:
        if self.down:
            raise RetryableDeliveryError("the chat platform is down")
        await super().send(delivery)


async def test_a_cases_notices_arrive_in_order_after_an_outage(engine: AsyncEngine, clock: FakeClock) -> None:
    [case] = await queue_cases(engine, 1, channel="telegram", kind="accept")
    sender = FlakySender()
    assert await deliver(engine, {"telegram": sender}, clock) == 1  # "accept" tried, failed
    async with engine.begin() as connection:
        for kind in ("close", "photo"):
            await enqueue(
                connection, complaint_id=case.id, channel="telegram", kind=kind, key=f"{kind}:x", payload={}, now=NOW
            )
    sender.down = False
    # "close" is due, but "accept" before it waits for its retry: only the photo (work, not news) goes now.
    await deliver(engine, {"telegram": sender}, clock)
    assert [d.kind for d in sender.sent] == ["photo"]
    clock.now = NOW + timedelta(hours=1)
    await deliver(engine, {"telegram": sender}, clock)
    await deliver(engine, {"telegram": sender}, clock)
    assert [d.kind for d in sender.sent] == ["photo", "accept", "close"]
    assert [row.status for row in await outbox(engine)] == ["sent", "sent", "sent"]
