"""Putting messages in the outbox: called inside the transaction that makes the change they report.

Claiming due rows lives in :mod:`complaints.outbox.claims`; senders and backoff in :mod:`complaints.outbox.delivery`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import OutboxMessage, OutboxStatus
from lookup.models import table_of

outbox_t = table_of(OutboxMessage)

UPSTREAM = "upstream"  # the channel name of forwards to the upstream 12315 system


async def enqueue(
    connection: AsyncConnection,
    *,
    complaint_id: int | None,
    channel: str,
    kind: str,
    key: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> bool:
    """Add one message unless one with the same idempotency ``key`` exists; True when it was added.

    The key makes enqueueing itself idempotent: a retried intake or a redelivered webhook cannot queue a second
    notification for the same event.
    """
    return await connection.run_sync(
        queue_message, complaint_id=complaint_id, channel=channel, kind=kind, key=key, payload=payload, now=now
    )


def queue_message(
    connection: sa.Connection,
    *,
    complaint_id: int | None,
    channel: str,
    kind: str,
    key: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> bool:
    """:func:`enqueue` for code already running on the synchronous side (inside ``run_sync``)."""
    values = {
        "complaint_id": complaint_id,
        "channel": channel,
        "kind": kind,
        "idempotency_key": key,
        "payload": dict(payload),
        "status": OutboxStatus.pending,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_by": "",
        "last_error": "",
        "created_at": now,
    }
    result = connection.execute(_insert_unless_queued(connection.dialect.name), values)
    return bool(result.rowcount)


@functools.cache
def _insert_unless_queued(dialect_name: str) -> sa.Executable:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement: sa.Executable = dialect.insert(outbox_t).on_conflict_do_nothing(
        index_elements=[outbox_t.c.idempotency_key]
    )
    return statement
