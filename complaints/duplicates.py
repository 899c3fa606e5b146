"""Recognising a resend: the same consumer sending the same words again joins the open case, not a new one."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from complaints.models import Complaint, ComplaintEvent, Priority, Queue
from complaints.receipt import Receipt
from complaints.submission import Submission, dedupe_text, missing_facts
from complaints.tokens import case_token
from complaints.workflow import CaseStatus, Intent, Role
from lookup.models import Station, table_of

complaint_t, event_t, station_t = table_of(Complaint), table_of(ComplaintEvent), table_of(Station)

# Built once: every message with a known sender runs it.
_OPEN_CASE_WITH_KEY = (
    sa.select(complaint_t, station_t.c.name.label("station_name"))
    .outerjoin(station_t, station_t.c.id == complaint_t.c.station_id)
    .where(
        complaint_t.c.dedupe_key == sa.bindparam("key"),
        complaint_t.c.received_at >= sa.bindparam("since", type_=complaint_t.c.received_at.type),
        complaint_t.c.status != CaseStatus.closed,
    )
    .order_by(complaint_t.c.id.desc())
    .limit(1)
)


def dedupe_key(submission: Submission) -> str | None:
    identity = submission.contact.identity
    if not identity:
        return None
    material = f"{identity}\x1f{submission.code or ''}\x1f{dedupe_text(submission.text)}"
    return hashlib.sha256(material.encode()).hexdigest()


def join_open_duplicate(
    connection: sa.Connection, key: str, submission: Submission, *, now: datetime, days: int, secret: str
) -> Receipt | None:
    """The open case this submission repeats, with a `duplicate_received` event added; None if there is none."""
    row = connection.execute(_OPEN_CASE_WITH_KEY, {"key": key, "since": now - timedelta(days=days)}).first()
    if row is None:
        return None
    status = CaseStatus(row.status)
    connection.execute(
        sa.insert(event_t).values(
            complaint_id=row.id,
            at=now,
            actor_role=Role.system,
            action="duplicate_received",
            from_status=status,
            to_status=status,
            public=True,
            facts={"channel": submission.channel},
        )
    )
    intent = Intent(row.intent)
    deadline = row.accept_due if intent is Intent.complaint else row.handle_due
    linked_ref = None
    if row.linked_id is not None:
        linked_ref = connection.execute(sa.select(complaint_t.c.ref).where(complaint_t.c.id == row.linked_id)).scalar()
    return Receipt(
        complaint_id=row.id,
        ref=row.ref,
        token=case_token(secret, row.ref),
        intent=intent,
        category=row.category,
        confidence=row.confidence,
        needs_triage=row.needs_triage,
        queue=Queue(row.queue),
        station=row.station_name,
        status=status,
        priority=Priority(row.priority),
        deadline=deadline,
        deadline_approximate=row.deadline_approximate,
        missing=missing_facts(intent, submission.contact),
        duplicate=True,
        linked_ref=linked_ref,
    )
