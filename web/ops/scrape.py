"""Serving /metrics: on the application's port for a scraper that sends FAIRWEIGH_METRICS_TOKEN, or on a listener of
its own (FAIRWEIGH_METRICS_LISTEN, for `serve` and `worker`); with the gauges read from the database when scraped
(outbox rows due and how long the oldest has waited, rows given up on, chat users over the message limit,
readiness), and the counting of what passes through the chat dialogue and the outbox senders.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import sqlalchemy as sa
from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation import Event
from bot.models import DialogueState
from bot.ports import Intake, StateReader
from bot.service import FLOOD_LIMIT, FLOOD_WINDOW, DialogueService, Handled
from bot.turn import World
from complaints.models import OutboxStatus
from complaints.outbox.claims import Delivery
from complaints.outbox.enqueue import outbox_t
from complaints.outbox.senders import PermanentDeliveryError, Sender
from lookup.models import table_of
from web.auth.access import public
from web.db import current_revision, head_revision, schema_is_newer
from web.ops.metrics import Metrics

Clock = Callable[[], datetime]
METRICS = web.AppKey("metrics", Metrics)
READ_TIMEOUT_SECONDS = 5.0  # a scrape must answer even when the database does not
dialogue_t = table_of(DialogueState)


async def _read_gauges(metrics: Metrics, engine: AsyncEngine, now: datetime) -> None:
    async with engine.connect() as connection:
        due = await connection.execute(
            sa.select(outbox_t.c.channel, sa.func.count(), sa.func.min(outbox_t.c.next_attempt_at))
            .where(outbox_t.c.status == OutboxStatus.pending, outbox_t.c.next_attempt_at <= now)
            .group_by(outbox_t.c.channel)
        )
        metrics.outbox_due.clear()
        metrics.outbox_oldest_due.clear()
        for channel, count, oldest in due:
            metrics.outbox_due.labels(channel).set(count)
            metrics.outbox_oldest_due.labels(channel).set(max((now - oldest).total_seconds(), 0.0))
        failed = await connection.execute(
            sa.select(outbox_t.c.channel, sa.func.count())
            .where(outbox_t.c.status == OutboxStatus.failed)
            .group_by(outbox_t.c.channel)
        )
        metrics.outbox_failed.clear()
        for channel, count in failed:
            metrics.outbox_failed.labels(channel).set(count)
        flooding = await connection.execute(
            sa.select(sa.func.count()).where(
                dialogue_t.c.window_start > now - FLOOD_WINDOW, dialogue_t.c.window_count > FLOOD_LIMIT
            )
        )
        metrics.dialogue_flooding.set(flooding.scalar_one())
    revision = await current_revision(engine)
    metrics.ready.set(1 if revision == head_revision() or schema_is_newer(revision) else 0)


async def refresh(metrics: Metrics, engine: AsyncEngine, now: datetime) -> None:
    """Read the database's gauges; a database that does not answer in time leaves them and says not ready."""
    try:
        await asyncio.wait_for(_read_gauges(metrics, engine, now), READ_TIMEOUT_SECONDS)
    except Exception:  # whatever stops the reads means "not ready", never a failed scrape
        metrics.ready.set(0)


async def exposition(metrics: Metrics, engine: AsyncEngine, clock: Clock) -> web.Response:
    await refresh(metrics, engine, clock())
    response = web.Response(body=metrics.exposition(), headers={"Cache-Control": "no-store"})
    response.content_type, _, _ = CONTENT_TYPE_LATEST.partition(";")
    response.charset = "utf-8"
    return response


def add_routes(app: web.Application, token: str, engine_of: Callable[[], AsyncEngine], clock: Clock) -> None:
    """GET /metrics on the application, for a scraper sending ``Authorization: Bearer <token>``."""

    @public  # no staff account: the scraper's own token, checked here
    async def metrics_route(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return web.json_response({"error": "unauthorized", "status": 401}, status=401)
        return await exposition(request.app[METRICS], engine_of(), clock)

    app.router.add_get("/metrics", metrics_route)


@asynccontextmanager
async def listener(
    address: tuple[str, int] | None, metrics: Metrics | None, engine: AsyncEngine, clock: Clock
) -> AsyncIterator[None]:
    """/metrics on an address of its own (no token: it is meant for a private interface), while the block runs."""
    if address is None or metrics is None:
        yield
        return

    async def metrics_route(request: web.Request) -> web.Response:
        return await exposition(metrics, engine, clock)

    app = web.Application()
    app.router.add_get("/metrics", metrics_route)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, *address).start()
        yield
    finally:
        await runner.cleanup()


class CountedDialogue(DialogueService):
    """The dialogue service, counting each message handled: a first delivery, or a platform's repeat."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        intake: Intake,
        states: StateReader,
        world: World,
        clock: Clock,
        engine: AsyncEngine | None = None,
    ) -> None:
        super().__init__(intake=intake, states=states, world=world, clock=clock, engine=engine)
        self._metrics = metrics

    async def receive(self, event: Event) -> Handled:
        handled = await super().receive(event)
        self._metrics.dialogue.labels(event.channel, "first" if handled.first else "repeat").inc()
        return handled


class CountedSender:
    """An outbox sender whose every send is counted by its outcome."""

    def __init__(self, channel: str, sender: Sender, metrics: Metrics) -> None:
        self._sender = sender
        self._outcomes = {
            outcome: metrics.deliveries.labels(channel, outcome) for outcome in ("sent", "error", "refused", "timeout")
        }

    async def send(self, delivery: Delivery) -> str | None:
        try:
            receipt = await self._sender.send(delivery)
        except PermanentDeliveryError:
            self._outcomes["refused"].inc()
            raise
        except asyncio.CancelledError:  # the worker's send timeout
            self._outcomes["timeout"].inc()
            raise
        except Exception:  # tried again later, unless it was the row's last attempt
            self._outcomes["error"].inc()
            raise
        self._outcomes["sent"].inc()
        return receipt


def counted_senders(senders: dict[str, Sender], metrics: Metrics | None) -> dict[str, Sender]:
    if metrics is None:
        return senders
    return {channel: CountedSender(channel, sender, metrics) for channel, sender in senders.items()}
