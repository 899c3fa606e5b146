"""The rows intake writes for one new case (the case, its contact, its photos, its first two events), with the
priority and deadlines the case starts with, and what they are written from: a :class:`Prepared` submission
under an :class:`IntakePolicy`.

What follows the case in the same transaction (a linked report, a hotspot, an automatic answer, the reference,
the outbox) and the order of it all is :mod:`complaints.intake`'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from complaints.classify import Classification
from complaints.deadlines.policy import DeadlinePolicy, acceptance_deadline, verification_deadline
from complaints.deadlines.working_days import Deadline, WorkingCalendar
from complaints.models import Complaint, ComplaintContact, ComplaintEvent, ComplaintPhoto, Priority
from complaints.photos import PreparedPhoto
from complaints.receipt import Receipt
from complaints.routing import NameIndex, Route
from complaints.submission import Contact, Submission, missing_facts
from complaints.workflow import CaseStatus, Intent, Role
from lookup.models import Station, table_of
from lookup.scan import InstrumentCard

complaint_t, contact_t, event_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintEvent)
photo_t, station_t = table_of(ComplaintPhoto), table_of(Station)

# Built once: constructing a statement costs more than SQLite takes to run it (about 300 µs for the case's
# insert against 30 µs), and intake runs these for every message.
_INSERT_CASE = sa.insert(complaint_t).returning(complaint_t.c.id)
_INSERT_CONTACT = sa.insert(contact_t)
_INSERT_EVENT = sa.insert(event_t)
_INSERT_PHOTO = sa.insert(photo_t)
_STATION_NAME = sa.select(station_t.c.name).where(station_t.c.id == sa.bindparam("station_id"))

HIGH_PRIORITY_CATEGORIES = frozenset({"tampered_instrument", "fuel_dispenser"})


@dataclass(frozen=True)
class IntakePolicy:
    """The figures intake works with; all configuration, with the rules' values as defaults."""

    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    hotspot_complaints: int = 3
    hotspot_days: int = 30
    duplicate_days: int = 7  # a resend within this many days joins the open case it repeats
    forward_upstream: bool = False
    hotline: str = "12315"


@dataclass(frozen=True)
class Prepared:
    """Everything the synchronous half (:func:`complaints.intake.store`) needs, computed before the transaction
    starts."""

    submission: Submission
    classification: Classification
    card: InstrumentCard | None
    names: NameIndex
    calendar: WorkingCalendar
    policy: IntakePolicy
    secret: str
    now: datetime  # UTC
    today: date  # the local date of receipt, from which deadlines count


def _priority(intent: Intent, category: str) -> Priority:
    if category in HIGH_PRIORITY_CATEGORIES:
        return Priority.high
    if intent is Intent.feedback:
        return Priority.low
    return Priority.normal


def _deadlines(context: Prepared, intent: Intent) -> tuple[date | None, date | None, Deadline | None]:
    """(accept_due, handle_due, the one the consumer is told)."""
    policy = context.policy.deadlines
    if intent is Intent.complaint:
        accept = acceptance_deadline(context.calendar, policy, context.today)
        return accept.due, None, accept
    if intent is Intent.report:
        verify = verification_deadline(context.calendar, policy, context.today, extended=False)
        return None, verify.due, verify
    return None, None, None


def insert_case(
    connection: sa.Connection,
    context: Prepared,
    intent: Intent,
    route: Route,
    *,
    dedupe_key: str | None,
    linked_id: int | None,
) -> Receipt:
    """Write the case, its contact, its photos and its first two events; the receipt the sender is shown."""
    submission, classification = context.submission, context.classification
    # Unique until the case gets its number at the end of the transaction (see complaints.intake.store).
    ref = f"~{uuid.uuid4().hex[:19]}"
    deadlines = _deadlines(context, intent)
    deadline = deadlines[2]  # the one the consumer is told
    priority = _priority(intent, classification.category)
    case = _case_row(
        context, intent, route, deadlines, ref=ref, priority=priority, dedupe_key=dedupe_key, linked_id=linked_id
    )
    complaint_id = connection.execute(_INSERT_CASE, case).scalar_one()
    _insert_contact(connection, complaint_id, submission.contact)
    insert_photos(connection, complaint_id, submission.photos)
    missing = missing_facts(intent, submission.contact)
    _insert_first_events(
        connection,
        complaint_id,
        context.now,
        received=_received_facts(submission, missing, linked_id),
        classified=_classified_facts(classification, intent, route, deadline)
        | {"classifier_intent": classification.intent, "consumer_intent": _chosen(submission, linked_id)},
    )
    station = None
    if route.station_id is not None:
        station = connection.execute(_STATION_NAME, {"station_id": route.station_id}).scalar()
    return Receipt(
        complaint_id=complaint_id,
        ref=ref,
        token="",
        intent=intent,
        category=classification.category,
        confidence=classification.confidence,
        needs_triage=classification.needs_triage,
        queue=route.queue,
        station=station,
        status=CaseStatus.received,
        priority=priority,
        deadline=deadline.due if deadline else None,
        deadline_approximate=bool(deadline and deadline.approximate),
        missing=missing,
    )


def _case_row(
    context: Prepared,
    intent: Intent,
    route: Route,
    deadlines: tuple[date | None, date | None, Deadline | None],
    *,
    ref: str,
    priority: Priority,
    dedupe_key: str | None,
    linked_id: int | None,
) -> dict[str, object]:
    """The complaint's own row as received: the words, the route, the classifier's reading, the deadlines."""
    submission, classification = context.submission, context.classification
    accept_due, handle_due, deadline = deadlines
    return {
        "ref": ref,
        "token_hash": "",
        "channel": submission.channel,
        "text": submission.text,
        "instrument_id": route.instrument_id,
        "merchant_id": route.merchant_id,
        "market_id": route.market_id,
        "station_id": route.station_id,
        "queue": route.queue,
        "intent": intent,
        "classifier_intent": classification.intent,
        "consumer_intent": _chosen(submission, linked_id),
        "category": classification.category,
        "confidence": classification.confidence,
        "classifier_version": classification.version,
        "needs_triage": classification.needs_triage,
        "priority": priority,
        "status": CaseStatus.received,
        "received_at": context.now,
        "accept_due": accept_due,
        "handle_due": handle_due,
        "deadline_approximate": bool(deadline and deadline.approximate),
        "due_on": deadline.due if deadline else None,
        "linked_id": linked_id,
        "dedupe_key": dedupe_key,
        "satisfaction_comment": "",
    }


def _chosen(submission: Submission, linked_id: int | None) -> str | None:
    """The consumer's own choice of 投诉 or 举报; a report split from a complaint was not chosen as such."""
    return submission.intent if linked_id is None else None


def _insert_contact(connection: sa.Connection, complaint_id: int, contact: Contact) -> None:
    connection.execute(
        _INSERT_CONTACT,
        {
            "complaint_id": complaint_id,
            "name": contact.name,
            "phone": contact.phone,
            "channel_user": contact.channel_user,
            "consent_to_contact": contact.consent,
        },
    )


def insert_photos(connection: sa.Connection, complaint_id: int, photos: Sequence[PreparedPhoto]) -> None:
    if not photos:
        return
    connection.execute(
        _INSERT_PHOTO,
        [
            {
                "complaint_id": complaint_id,
                "content_type": photo.content_type,
                "width": photo.width,
                "height": photo.height,
                "sha256": photo.sha256,
                "data": photo.data,
            }
            for photo in photos
        ],
    )


def _received_facts(submission: Submission, missing: Sequence[str], linked_id: int | None) -> dict[str, object]:
    """What the public 'received' event records: the channel, the photos, what is missing, the case split from."""
    facts: dict[str, object] = {"channel": submission.channel, "photos": len(submission.photos)}
    if missing:
        facts["missing"] = list(missing)
    if submission.refused:
        facts["refused"] = list(submission.refused)  # asked, and declined: never stored as the answer
    if linked_id is not None:
        facts["split_from"] = linked_id
    return facts


def _classified_facts(
    classification: Classification, intent: Intent, route: Route, deadline: Deadline | None
) -> dict[str, object]:
    """What the internal 'classified' event records: the classifier's reading and where it routed the case."""
    facts: dict[str, object] = {
        "intent": intent.value,
        "category": classification.category,
        "confidence": classification.confidence,
        "needs_triage": classification.needs_triage,
        "classifier_version": classification.version,
        "queue": route.queue.value,
        "matched_name": route.matched_name,
    }
    if deadline is not None and deadline.fallback_years:
        # The warning the case page shows: which year's official schedule to import.
        facts["deadline_fallback_years"] = list(deadline.fallback_years)
    return facts


def _insert_first_events(
    connection: sa.Connection,
    complaint_id: int,
    now: datetime,
    *,
    received: dict[str, object],
    classified: dict[str, object],
) -> None:
    """The timeline's first two events, both by the system: 'received' (public) and 'classified' (internal)."""
    connection.execute(
        _INSERT_EVENT,
        [
            {
                "complaint_id": complaint_id,
                "at": now,
                "actor_role": Role.system,
                "actor_id": None,
                "action": action,
                "from_status": CaseStatus.received,
                "to_status": CaseStatus.received,
                "public": public,
                "facts": facts,
            }
            for action, public, facts in (("received", True, received), ("classified", False, classified))
        ],
    )
