"""Recognising a resend: the same consumer sending the same words again joins the open case, not a new one.

What the resend brings that the case lacks is kept: its photos (those not already on the case) and the contact
facts the case is missing (a name, a phone number, consent to be called back). Nothing already on the case is
changed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from complaints.models import Complaint, ComplaintContact, ComplaintEvent, ComplaintPhoto, Priority, Queue
from complaints.new_case import insert_photos
from complaints.receipt import Receipt
from complaints.submission import Contact, Submission, dedupe_text, missing_facts
from complaints.tokens import case_token
from complaints.workflow import CaseStatus, Intent, Role
from lookup.models import Station, table_of

complaint_t, event_t, station_t = table_of(Complaint), table_of(ComplaintEvent), table_of(Station)
contact_t, photo_t = table_of(ComplaintContact), table_of(ComplaintPhoto)

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
    facts: dict[str, object] = {"channel": submission.channel}
    added_photos = _add_new_photos(connection, row.id, submission)
    if added_photos:
        facts["photos"] = added_photos
    contact, added_facts = _complete_contact(connection, row.id, submission.contact)
    if added_facts:
        facts["contact_added"] = added_facts
    connection.execute(
        sa.insert(event_t).values(
            complaint_id=row.id,
            at=now,
            actor_role=Role.system,
            action="duplicate_received",
            from_status=status,
            to_status=status,
            public=True,
            facts=facts,
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
        missing=missing_facts(intent, contact),
        duplicate=True,
        linked_ref=linked_ref,
    )


def _add_new_photos(connection: sa.Connection, complaint_id: int, submission: Submission) -> int:
    """The resend's photos that the case does not hold yet, added to it; how many were added."""
    if not submission.photos:
        return 0
    held = set(connection.execute(sa.select(photo_t.c.sha256).where(photo_t.c.complaint_id == complaint_id)).scalars())
    new = []
    for photo in submission.photos:
        if photo.sha256 not in held:
            held.add(photo.sha256)
            new.append(photo)
    insert_photos(connection, complaint_id, new)
    return len(new)


def _complete_contact(connection: sa.Connection, complaint_id: int, given: Contact) -> tuple[Contact, list[str]]:
    """The case's contact with what it lacked filled in from the resend, and the names of the facts filled in."""
    row = connection.execute(sa.select(contact_t).where(contact_t.c.complaint_id == complaint_id)).first()
    if row is None:
        return given, []
    changes: dict[str, object] = {}
    if given.name and not row.name:
        changes["name"] = given.name
    if given.phone and not row.phone:
        changes["phone"] = given.phone
    if given.consent and not row.consent_to_contact:
        changes["consent_to_contact"] = True
    if changes:
        connection.execute(sa.update(contact_t).where(contact_t.c.complaint_id == complaint_id).values(**changes))
    merged = Contact(
        name=str(changes.get("name", row.name)),
        phone=str(changes.get("phone", row.phone)),
        channel_user=row.channel_user,
        consent=bool(changes.get("consent_to_contact", row.consent_to_contact)),
    )
    added = ["consent" if name == "consent_to_contact" else name for name in changes]
    return merged, added
