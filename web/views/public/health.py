"""`GET /healthz` (liveness) and `GET /readyz` (readiness) for load balancers and orchestrators.

- ``/healthz`` answers 200 while the process serves requests; it touches no database, so a database outage does
  not get healthy processes restarted.
- ``/readyz`` answers 200 only when this process can do its work: it reads the database, writes to it (a row
  inserted in a transaction that is rolled back, so a full disk or a read-only database shows), finds the schema
  at the revision this code needs, and reports how long the oldest due outbox message has been waiting (a worker
  that is down or stuck shows as a growing age). 503 with ``Retry-After`` otherwise, naming what failed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import OutboxMessage, OutboxStatus, ReferenceCounter
from lookup.models import table_of
from web.auth.access import public
from web.db import current_revision, for_writing, head_revision, schema_is_newer
from web.errors import RETRY_AFTER_SECONDS
from web.keys import CLOCK, ENGINE, SCAN_READER

log = logging.getLogger(__name__)

outbox_t, counter_t = table_of(OutboxMessage), table_of(ReferenceCounter)
NO_STORE = {"Cache-Control": "no-store"}
# A day no reference is ever given out for: the probe row cannot meet a real counter.
PROBE_DAY = datetime(1970, 1, 1).date()


class _RolledBack(Exception):
    """Ends the probe's transaction without committing it."""


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


@public
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, headers=NO_STORE)


async def _can_write(engine: AsyncEngine) -> None:
    """Insert a row and roll it back: the database accepted a write without keeping it."""
    try:
        async with for_writing(engine).begin() as connection:
            await connection.execute(sa.insert(counter_t).values(day=PROBE_DAY, last=0))
            raise _RolledBack
    except _RolledBack:
        return


async def _oldest_due_seconds(engine: AsyncEngine, now: datetime) -> float | None:
    async with engine.connect() as connection:
        oldest = (
            await connection.execute(
                sa.select(sa.func.min(outbox_t.c.next_attempt_at)).where(
                    outbox_t.c.status == OutboxStatus.pending, outbox_t.c.next_attempt_at <= now
                )
            )
        ).scalar()
    return None if oldest is None else round((now - oldest).total_seconds(), 1)


def _down(body: dict[str, Any]) -> web.Response:
    return web.json_response(
        {"status": "down", **body}, status=503, headers={**NO_STORE, "Retry-After": RETRY_AFTER_SECONDS}
    )


@public
async def readyz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    try:
        await request.app[SCAN_READER].ping()
        revision = await current_revision(engine)
    except Exception as exc:  # whatever stops us reading the database means "not ready", not a 500
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return _down({"database": "unreachable"})
    expected = head_revision()
    # A newer schema is a newer release's rollout, which this release keeps working on (expand, then contract).
    if revision != expected and not schema_is_newer(revision):
        return _down({"database": "outdated", "schema": revision, "expected": expected})
    try:
        await _can_write(engine)
        oldest = await _oldest_due_seconds(engine, request.app[CLOCK]())
    except Exception as exc:
        log.warning("readiness: the database does not take writes: %s", type(exc).__name__)
        return _down({"database": "read_only_or_full", "schema": revision})
    body = {"status": "ok", "database": "ok", "schema": revision, "outbox_oldest_due_seconds": oldest}
    return web.json_response(body, headers=NO_STORE)
