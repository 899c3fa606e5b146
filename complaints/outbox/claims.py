"""Claiming due outbox rows for a worker: which rows are due (in order per case and channel), the lease on them,
and the :class:`Delivery` each claimed row becomes, with the case's reference and contact.

Sending them and recording what happened is :mod:`complaints.outbox.delivery`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint, ComplaintContact, OutboxStatus
from complaints.outbox.enqueue import outbox_t
from lookup.models import table_of

complaint_t, contact_t = table_of(Complaint), table_of(ComplaintContact)


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a message goes to, read from the case's contact when it is sent (the outbox holds no personal data)."""

    channel_user: str  # WeChat openid or Telegram chat id
    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: int
    complaint_id: int | None
    ref: str  # the case's public reference, "" for a message without a case
    channel: str
    kind: str
    idempotency_key: str
    payload: Mapping[str, Any]
    attempt: int  # 1 for the first try
    recipient: Recipient | None
    claimed_by: str  # the worker holding the lease; only it may record the outcome


# Kinds that are work rather than news (fetching a chat photo): they neither wait for, nor hold up, a notice.
UNORDERED_KINDS = frozenset({"photo"})


def _waits_for_earlier() -> sa.ColumnElement[bool]:
    """An earlier message about the same case on the same channel is still pending: the shopper must read
    "accepted" before "closed", even when "accepted" met an outage and is waiting for its next try."""
    earlier = outbox_t.alias("earlier")
    return sa.and_(
        outbox_t.c.complaint_id.is_not(None),
        outbox_t.c.kind.not_in(sorted(UNORDERED_KINDS)),
        sa.exists().where(
            earlier.c.complaint_id == outbox_t.c.complaint_id,
            earlier.c.channel == outbox_t.c.channel,
            earlier.c.status == OutboxStatus.pending,
            earlier.c.id < outbox_t.c.id,
            earlier.c.kind.not_in(sorted(UNORDERED_KINDS)),
        ),
    )


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        outbox_t.c.status == OutboxStatus.pending,
        outbox_t.c.next_attempt_at <= now,
        sa.or_(outbox_t.c.claimed_until.is_(None), outbox_t.c.claimed_until < now),
        sa.not_(_waits_for_earlier()),
    )


async def claim_due(
    engine: AsyncEngine, *, now: datetime, worker_id: str, limit: int, lease: timedelta
) -> list[Delivery]:
    """Claim up to ``limit`` due rows for ``lease`` and return them, oldest first, with case reference and contact.

    On SQLite pass ``for_writing(engine)``: the claim reads and then writes, and its IMMEDIATE transaction makes
    concurrent claimers take turns. PostgreSQL claimers run side by side and skip each other's locked rows.
    """
    due = _due(now)
    async with engine.begin() as connection:
        candidates = (
            await connection.execute(
                sa.select(outbox_t.c.id)
                .where(due)
                .order_by(outbox_t.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        ids = list(candidates)
        if not ids:
            return []
        # Checked again while writing: a caller that forgot the IMMEDIATE transaction on SQLite gets an error
        # from the database, never a row that another worker claimed in the meantime.
        claimed = (
            await connection.execute(
                sa.update(outbox_t)
                .where(outbox_t.c.id.in_(ids), due)
                .values(claimed_by=worker_id, claimed_until=now + lease)
                .returning(outbox_t.c.id)
            )
        ).scalars()
        claimed_ids = list(claimed)
        if not claimed_ids:
            return []
        rows = await connection.execute(
            sa.select(
                outbox_t.c.id,
                outbox_t.c.complaint_id,
                outbox_t.c.channel,
                outbox_t.c.kind,
                outbox_t.c.idempotency_key,
                outbox_t.c.payload,
                outbox_t.c.attempts,
                complaint_t.c.ref,
                contact_t.c.complaint_id.label("contact_of"),
                contact_t.c.channel_user,
                contact_t.c.name,
                contact_t.c.phone,
            )
            .select_from(
                outbox_t.outerjoin(complaint_t, complaint_t.c.id == outbox_t.c.complaint_id).outerjoin(
                    contact_t, contact_t.c.complaint_id == outbox_t.c.complaint_id
                )
            )
            .where(outbox_t.c.id.in_(claimed_ids))
            .order_by(outbox_t.c.id)
        )
        return [
            Delivery(
                message_id=row.id,
                complaint_id=row.complaint_id,
                ref=row.ref or "",
                channel=row.channel,
                kind=row.kind,
                idempotency_key=row.idempotency_key,
                payload=dict(row.payload or {}),
                attempt=row.attempts + 1,
                recipient=None
                if row.contact_of is None
                else Recipient(channel_user=row.channel_user, name=row.name, phone=row.phone),
                claimed_by=worker_id,
            )
            for row in rows
        ]
