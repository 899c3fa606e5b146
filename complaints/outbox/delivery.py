"""Delivering the outbox: claim due rows, hand each to its channel's sender, record what happened.

Several workers may run at once (on PostgreSQL, several machines). A worker claims a batch for a lease: until
the lease ends no other worker takes those rows, and only the claimant may record their outcome. While a batch is
in flight the worker renews the lease of its unrecorded rows every third of it (a heartbeat), so a live worker
never loses a row however slow the other side answers; only a worker that stopped (killed, crashed, cut off from
the database for longer than the lease) lets its rows go to another. After a send's answer the first thing done
is recording it, in its own short transaction.

A second send of one row therefore happens only when the worker stopped after the request left and before "sent"
was committed: the other side may have taken the first (it answered, or was about to) and gets it again from the
next worker once the lease ends. Receivers deduplicate by the idempotency key, which makes delivery
at-least-once on the wire and exactly-once at the receiver; chat platforms have no such key, so a shopper may
then read one notice twice.

Claiming due rows, and the :class:`~complaints.outbox.claims.Delivery` a sender is handed, are in
:mod:`complaints.outbox.claims`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from complaints.models import OutboxStatus
from complaints.outbox.claims import Delivery, claim_due
from complaints.outbox.enqueue import outbox_t
from complaints.outbox.senders import DeliveryError, PermanentDeliveryError, RetryableDeliveryError, Sender

log = logging.getLogger(__name__)

# Short, because a heartbeat renews it while the batch is in flight: a stopped worker's rows are taken over within
# this long, and a live worker keeps them however slow the other side is.
LEASE = timedelta(seconds=30)
HEARTBEATS_PER_LEASE = 3
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# 30 attempts at the delays of backoff() span about a day (20.7 to 23 hours): an upstream outage of a night
# delays messages, a channel gone for good ends in `failed` for a person to look at.
MAX_ATTEMPTS = 30
# A channel whose sender is not configured (no Telegram token, say) is looked at again after this long; its
# rows keep their attempts, so turning the feature on delivers them rather than finding them failed.
NO_SENDER_RETRY = timedelta(hours=1)
LAST_ERROR_LENGTH = 500  # the column's size
RECEIPT_LENGTH = 200  # the column's size


def backoff(attempts: int, *, spread: int = 0) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min, … at most 1 hour.

    ``spread`` (the message id) takes up to a tenth off, always the same for one message: rows that failed
    together in an outage come back spread out rather than all at once.
    """
    exponent = min(max(attempts - 1, 0), 16)  # 2**16 × 30 s is far past the cap; keeps the arithmetic small
    seconds = min(BACKOFF_BASE.total_seconds() * 2**exponent, BACKOFF_CAP.total_seconds())
    # 761 is coprime with 1000: any thousand consecutive ids get a thousand different fractions (0 to 0.0999).
    fraction = (spread * 761 % 1000) / 10_000
    return timedelta(seconds=round(seconds * (1 - fraction)))


class _Recorder:
    """One connection held for a whole batch, on which outcomes are written as they arrive: never behind a wait for a
    pooled connection (the sends are using those). Outcomes that arrive while a write is under way are written
    together in the next transaction (group commit), so a burst of answers costs one commit, not one each."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._waiting: list[tuple[sa.Update, asyncio.Future[int]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, statement: sa.Update) -> int:
        """Run ``statement`` in the next group; returns its row count."""
        written: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((statement, written))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_groups())
        return await written

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                async with self._connection.begin():
                    counts = [(await self._connection.execute(statement)).rowcount for statement, _ in group]
            except Exception as exc:
                for _, written in group:
                    if not written.done():
                        written.set_exception(exc)
                continue
            for (_, written), count in zip(group, counts, strict=True):
                if not written.done():
                    written.set_result(count)

    async def close(self) -> None:
        if self._writing is not None:
            await self._writing


async def _release(engine: AsyncEngine | _Recorder, delivery: Delivery, values: Mapping[str, Any]) -> bool:
    """Write ``values`` and end the claim, if the claim is still this worker's; False when it was lost."""
    statement = (
        sa.update(outbox_t)
        .where(
            outbox_t.c.id == delivery.message_id,
            outbox_t.c.status == OutboxStatus.pending,
            outbox_t.c.claimed_by == delivery.claimed_by,
            # A worker that lost its lease and then claimed the row again has a later attempt in hand.
            outbox_t.c.attempts == delivery.attempt - 1,
        )
        .values(claimed_by="", claimed_until=None, **values)
    )
    if isinstance(engine, _Recorder):
        count = await engine.write(statement)
    else:
        async with engine.begin() as connection:
            count = (await connection.execute(statement)).rowcount
    if not count:
        log.warning(
            "outbox %d (%s %s for %s): lease lost before the outcome was recorded; another worker has the row",
            delivery.message_id,
            delivery.channel,
            delivery.kind,
            delivery.ref,
        )
    return bool(count)


def _where(exc: BaseException) -> str:
    traceback = exc.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    if traceback is None:
        return "?"
    return f"{Path(traceback.tb_frame.f_code.co_filename).name}:{traceback.tb_lineno}"


def describe(error: Exception) -> str:
    """What to store and log about a failure. Our errors' messages are written for that; any other exception's
    message may quote a request or a person, so only its class and where it was raised are kept."""
    if isinstance(error, DeliveryError):
        return str(error)[:LAST_ERROR_LENGTH]
    return f"unexpected {type(error).__name__} at {_where(error)}"[:LAST_ERROR_LENGTH]


async def record_outcome(
    engine: AsyncEngine | _Recorder,
    delivery: Delivery,
    *,
    now: datetime,
    error: Exception | None,
    receipt: str | None = None,
) -> bool:
    """Record a send: sent (with the other side's ``receipt``), to be retried after backoff(), or failed (permanent
    error or last attempt).

    Only the worker still holding the claim writes; returns False (nothing written) when the lease was lost.
    A sent row keeps the last_error of earlier attempts, as history.
    """
    if error is None:
        sent = {"status": OutboxStatus.sent, "sent_at": now, "attempts": delivery.attempt}
        recorded = await _release(engine, delivery, sent | {"receipt": (receipt or "")[:RECEIPT_LENGTH]})
        log.debug("outbox %d: sent %s %s for %s", delivery.message_id, delivery.channel, delivery.kind, delivery.ref)
        return recorded
    reason = describe(error)
    values: dict[str, Any] = {"attempts": delivery.attempt, "last_error": reason}
    if isinstance(error, PermanentDeliveryError) or delivery.attempt >= MAX_ATTEMPTS:
        values["status"] = OutboxStatus.failed
        log.warning(
            "outbox %d: gave up on %s %s for %s after %d attempt(s): %s",
            delivery.message_id,
            delivery.channel,
            delivery.kind,
            delivery.ref,
            delivery.attempt,
            reason,
        )
    else:
        values["next_attempt_at"] = now + backoff(delivery.attempt, spread=delivery.message_id)
        log.info(
            "outbox %d: %s %s for %s failed (attempt %d), will retry: %s",
            delivery.message_id,
            delivery.channel,
            delivery.kind,
            delivery.ref,
            delivery.attempt,
            reason,
        )
    return await _release(engine, delivery, values)


_channels_without_sender: set[str] = set()  # warned about once per process, not once per row


def announced_off(channels: Iterable[str]) -> None:
    """Channels the process has already said are off (the settings' start-up line): their rows wait in silence."""
    _channels_without_sender.update(channels)


async def _postpone_unsendable(engine: AsyncEngine | _Recorder, delivery: Delivery, *, now: datetime) -> None:
    if delivery.channel not in _channels_without_sender:
        _channels_without_sender.add(delivery.channel)
        log.warning(
            "outbox: no sender registered for channel %r (the feature is off); its messages wait and are "
            "retried every %s",
            delivery.channel,
            NO_SENDER_RETRY,
        )
    await _release(
        engine,
        delivery,
        {
            "next_attempt_at": now + NO_SENDER_RETRY,
            "last_error": f"no sender registered for channel {delivery.channel}"[:LAST_ERROR_LENGTH],
        },
    )


async def _deliver_one(
    recorder: _Recorder,
    sender: Sender,
    delivery: Delivery,
    *,
    now: datetime,
    send_timeout: float,
    in_flight: dict[int, Delivery],
) -> None:
    error: Exception | None = None
    receipt = None
    try:
        receipt = await asyncio.wait_for(sender.send(delivery), send_timeout)
    except TimeoutError:
        error = RetryableDeliveryError(f"no answer within {send_timeout:g} s")
    except Exception as exc:
        error = exc
    try:
        await record_outcome(recorder, delivery, now=now, error=error, receipt=receipt)
    finally:
        in_flight.pop(delivery.message_id, None)


async def _renew_leases(
    engine: AsyncEngine, in_flight: Mapping[int, Delivery], *, worker_id: str, now: datetime, lease: timedelta
) -> None:
    """Every third of the lease, extend it for the rows of the batch whose outcome is not recorded yet.

    Times follow the caller's clock (``now``) plus the time since the batch was claimed, so a worker driven by a
    test's clock renews consistently with the claim. Ends when cancelled (the batch is done).
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    interval = lease.total_seconds() / HEARTBEATS_PER_LEASE
    while True:
        await asyncio.sleep(interval)
        ids = list(in_flight)
        if not ids:
            continue
        until = now + timedelta(seconds=loop.time() - started) + lease
        try:
            async with engine.begin() as connection:
                # A row being recorded at this moment is skipped rather than waited for (it needs no renewal),
                # so a beat never holds the locks of the rows it did renew while waiting on another.
                mine = (
                    sa.select(outbox_t.c.id)
                    .where(
                        outbox_t.c.id.in_(ids),
                        outbox_t.c.claimed_by == worker_id,
                        outbox_t.c.status == OutboxStatus.pending,
                    )
                    .with_for_update(skip_locked=True)
                    .scalar_subquery()
                )
                await connection.execute(sa.update(outbox_t).where(outbox_t.c.id.in_(mine)).values(claimed_until=until))
        except Exception as exc:  # the next beat tries again; a lost lease is caught when recording
            log.warning("outbox worker %s: renewing leases failed: %s", worker_id, type(exc).__name__)


async def deliver_due(
    engine: AsyncEngine,
    senders: Mapping[str, Sender],
    *,
    now: datetime,
    worker_id: str,
    limit: int = 50,
    lease: timedelta = LEASE,
    send_timeout: float = 30.0,
) -> int:
    """Claim what is due, send it, record each outcome; returns how many rows were claimed (0: nothing due).

    The batch is sent concurrently and its leases are renewed until each outcome is recorded (see
    :func:`_renew_leases`). On SQLite pass ``for_writing(engine)`` (see claim_due).
    """
    deliveries = await claim_due(engine, now=now, worker_id=worker_id, limit=limit, lease=lease)
    if not deliveries:
        return 0
    in_flight = {delivery.message_id: delivery for delivery in deliveries}
    async with engine.connect() as connection:
        recorder = _Recorder(connection)
        jobs = []
        for delivery in deliveries:
            sender = senders.get(delivery.channel)
            if sender is None:
                jobs.append(_postpone_unsendable(recorder, delivery, now=now))
                in_flight.pop(delivery.message_id)
            else:
                jobs.append(
                    _deliver_one(recorder, sender, delivery, now=now, send_timeout=send_timeout, in_flight=in_flight)
                )
        heartbeat = asyncio.create_task(_renew_leases(engine, in_flight, worker_id=worker_id, now=now, lease=lease))
        try:
            # Every job runs to its end even when one fails (a database error while recording): cancelling the
            # others could drop outcomes of sends that already happened.
            results = await asyncio.gather(*jobs, return_exceptions=True)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            await recorder.close()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return len(deliveries)


def _first_line(exc: BaseException) -> str:
    # SQLAlchemy puts the statement and its parameters on later lines; the first says what went wrong.
    lines = str(exc).splitlines()
    return lines[0][:200] if lines else ""


async def run_worker(
    engine: AsyncEngine,
    senders: Mapping[str, Sender],
    *,
    clock: Callable[[], datetime],
    stop: asyncio.Event,
    worker_id: str,
    poll_interval: float = 1.0,
    max_error_delay: float = 30.0,
) -> None:
    """Deliver until ``stop`` is set. A full batch is followed at once by the next; otherwise it polls.

    Errors (the database restarting, a connection dropped) are logged and waited out with growing pauses, so
    the worker outlives them. ``worker_id`` must be unique among running workers (host and process id).
    """
    failures = 0
    while not stop.is_set():
        delay = poll_interval
        try:
            handled = await deliver_due(engine, senders, now=clock(), worker_id=worker_id)
        except Exception as exc:
            failures += 1
            delay = min(poll_interval * 2 ** min(failures, 16), max_error_delay)
            log.warning(
                "outbox worker %s: %s at %s (%s); trying again in %g s",
                worker_id,
                type(exc).__name__,
                _where(exc),
                _first_line(exc),
                delay,
            )
        else:
            if failures:
                log.info("outbox worker %s: working again after %d failed round(s)", worker_id, failures)
            failures = 0
            if handled:
                continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
