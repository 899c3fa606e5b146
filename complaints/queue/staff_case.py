"""A case as the station handling it sees it: the words, the classifier's reading, the contact, the whole timeline.

Who may see which case is decided by the caller (the composition root's access rules); this module reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint, ComplaintContact, ComplaintEvent, ComplaintPhoto
from complaints.outbox.enqueue import outbox_t
from complaints.workflow import CaseStatus, History, Intent
from lookup.models import Instrument, Market, Merchant, Station, table_of

complaint_t, contact_t, event_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintEvent)
photo_t, station_t, merchant_t = table_of(ComplaintPhoto), table_of(Station), table_of(Merchant)
market_t, instrument_t = table_of(Market), table_of(Instrument)
linked_t = complaint_t.alias("linked")

RECENT_CASES_SHOWN = 10


@dataclass(frozen=True)
class StaffEvent:
    id: int
    at: datetime
    actor_role: str
    actor_id: int | None
    action: str
    from_status: CaseStatus
    to_status: CaseStatus
    public: bool
    facts: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """A message about the case in the outbox: to the consumer, a chat photo to fetch, or a forward upstream."""

    kind: str
    channel: str
    status: str  # pending, sent, failed
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime
    receipt: str = ""  # the other side's id of the sent message (an SMS provider's), for asking it


@dataclass(frozen=True)
class OtherCase:
    ref: str
    received_at: datetime
    category: str
    status: CaseStatus


@dataclass(frozen=True)
class StaffCase:
    id: int
    ref: str
    text: str
    channel: str
    received_at: datetime
    intent: Intent
    classifier_intent: Intent | None  # the classifier's reading at intake (None on cases from before it was kept)
    consumer_intent: Intent | None  # the shopper's own choice of 投诉 or 举报; None: they did not choose
    category: str
    confidence: float
    needs_triage: bool
    classifier_version: str
    priority: str
    status: CaseStatus
    queue: str
    station_id: int | None
    station_name: str | None
    due_on: date | None
    accept_due: date | None
    handle_due: date | None
    deadline_approximate: bool
    linked_ref: str | None
    satisfaction: int | None
    assignee: str | None
    contact_name: str
    contact_phone: str
    contact_consent: bool
    instrument_code: str | None
    merchant_id: int | None
    merchant_name: str | None
    market_name: str | None
    photo_ids: tuple[int, ...]
    events: tuple[StaffEvent, ...]
    merchant_recent: tuple[OtherCase, ...]
    messages: tuple[Message, ...] = ()

    @property
    def timeline(self) -> tuple[StaffEvent | Message, ...]:
        """The events and, at the moment each went out, the messages sent about them (to the consumer, upstream):
        what a handler reads as the case's history. A message shows its channel and kind, never its recipient."""
        sent = [message for message in self.messages if message.sent_at is not None]
        entries: list[StaffEvent | Message] = [*self.events, *sent]
        return tuple(sorted(entries, key=_when))  # stable: an event comes before a message sent in the same instant

    @property
    def history(self) -> History:
        """What the timeline adds to the status when deciding which actions are open."""
        return History.of(event.action for event in self.events)

    @property
    def version(self) -> int:
        """What an action taken on this view names as the case's version (complaints.cases.case_version)."""
        return self.events[-1].id if self.events else 0


def _when(entry: StaffEvent | Message) -> datetime:
    return entry.at if isinstance(entry, StaffEvent) else entry.sent_at or entry.created_at


async def case_station(connection: AsyncConnection, ref: str) -> tuple[int, int | None, str] | None:
    """(id, station_id, queue) of a case, for the access check before anything else is read."""
    row = (
        await connection.execute(
            sa.select(complaint_t.c.id, complaint_t.c.station_id, complaint_t.c.queue).where(complaint_t.c.ref == ref)
        )
    ).first()
    return None if row is None else (row.id, row.station_id, str(row.queue))


async def staff_case(connection: AsyncConnection, complaint_id: int) -> StaffCase:
    """The case with everything its handler sees: contact, places, photos, timeline, the merchant's other cases,
    and the messages about it in the outbox."""
    row = await _case_row(connection, complaint_id)
    events = await _timeline(connection, complaint_id)
    photo_ids = await _photo_ids(connection, complaint_id)
    recent = () if row.merchant_id is None else await _merchant_recent(connection, row.merchant_id, complaint_id)
    messages = await _messages(connection, complaint_id)
    return StaffCase(
        id=row.id,
        ref=row.ref,
        text=row.text,
        channel=row.channel,
        received_at=row.received_at,
        intent=Intent(row.intent),
        classifier_intent=Intent(row.classifier_intent) if row.classifier_intent else None,
        consumer_intent=Intent(row.consumer_intent) if row.consumer_intent else None,
        category=row.category,
        confidence=row.confidence,
        needs_triage=row.needs_triage,
        classifier_version=row.classifier_version,
        priority=str(row.priority),
        status=CaseStatus(row.status),
        queue=str(row.queue),
        station_id=row.station_id,
        station_name=row.station_name,
        due_on=row.due_on,
        accept_due=row.accept_due,
        handle_due=row.handle_due,
        deadline_approximate=row.deadline_approximate,
        linked_ref=row.linked_ref,
        satisfaction=row.satisfaction,
        assignee=row.assignee,
        contact_name=row.contact_name or "",
        contact_phone=row.contact_phone or "",
        contact_consent=bool(row.consent_to_contact),
        instrument_code=row.instrument_code,
        merchant_id=row.merchant_id,
        merchant_name=row.merchant_name,
        market_name=row.market_name,
        photo_ids=photo_ids,
        events=events,
        merchant_recent=recent,
        messages=messages,
    )


async def _case_row(connection: AsyncConnection, complaint_id: int) -> sa.Row[Any]:
    """The complaint's row with the names it points to: station, contact, instrument, merchant, market, linked case."""
    return (
        await connection.execute(
            sa.select(
                complaint_t,
                station_t.c.name.label("station_name"),
                contact_t.c.name.label("contact_name"),
                contact_t.c.phone.label("contact_phone"),
                contact_t.c.consent_to_contact,
                instrument_t.c.code.label("instrument_code"),
                merchant_t.c.name.label("merchant_name"),
                market_t.c.name.label("market_name"),
                linked_t.c.ref.label("linked_ref"),
            )
            .outerjoin(station_t, station_t.c.id == complaint_t.c.station_id)
            .outerjoin(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
            .outerjoin(instrument_t, instrument_t.c.id == complaint_t.c.instrument_id)
            .outerjoin(merchant_t, merchant_t.c.id == complaint_t.c.merchant_id)
            .outerjoin(market_t, market_t.c.id == complaint_t.c.market_id)
            .outerjoin(linked_t, linked_t.c.id == complaint_t.c.linked_id)
            .where(complaint_t.c.id == complaint_id)
        )
    ).one()


async def _timeline(connection: AsyncConnection, complaint_id: int) -> tuple[StaffEvent, ...]:
    """Every event of the case, public and internal, oldest first."""
    events = await connection.execute(
        sa.select(event_t).where(event_t.c.complaint_id == complaint_id).order_by(event_t.c.id)
    )
    return tuple(
        StaffEvent(
            id=event.id,
            at=event.at,
            actor_role=str(event.actor_role),
            actor_id=event.actor_id,
            action=event.action,
            from_status=CaseStatus(event.from_status),
            to_status=CaseStatus(event.to_status),
            public=event.public,
            facts=dict(event.facts or {}),
        )
        for event in events
    )


async def _photo_ids(connection: AsyncConnection, complaint_id: int) -> tuple[int, ...]:
    photos = await connection.execute(
        sa.select(photo_t.c.id).where(photo_t.c.complaint_id == complaint_id).order_by(photo_t.c.id)
    )
    return tuple(photo_id for (photo_id,) in photos)


async def _merchant_recent(connection: AsyncConnection, merchant_id: int, complaint_id: int) -> tuple[OtherCase, ...]:
    """The merchant's latest other cases, newest first: a handler sees at a glance whether this stall repeats."""
    others = await connection.execute(
        sa.select(complaint_t.c.ref, complaint_t.c.received_at, complaint_t.c.category, complaint_t.c.status)
        .where(complaint_t.c.merchant_id == merchant_id, complaint_t.c.id != complaint_id)
        .order_by(complaint_t.c.received_at.desc())
        .limit(RECENT_CASES_SHOWN)
    )
    return tuple(OtherCase(ref, at, category, CaseStatus(status)) for ref, at, category, status in others)


async def _messages(connection: AsyncConnection, complaint_id: int) -> tuple[Message, ...]:
    """The case's messages in the outbox, in the order they were queued."""
    outbox = await connection.execute(
        sa.select(
            outbox_t.c.kind,
            outbox_t.c.channel,
            outbox_t.c.status,
            outbox_t.c.attempts,
            outbox_t.c.last_error,
            outbox_t.c.created_at,
            outbox_t.c.sent_at,
            outbox_t.c.next_attempt_at,
            outbox_t.c.receipt,
        )
        .where(outbox_t.c.complaint_id == complaint_id)
        .order_by(outbox_t.c.id)
    )
    return tuple(
        Message(
            kind=m.kind,
            channel=m.channel,
            status=str(m.status),
            attempts=m.attempts,
            last_error=m.last_error,
            created_at=m.created_at,
            sent_at=m.sent_at,
            next_attempt_at=m.next_attempt_at,
            receipt=m.receipt,
        )
        for m in outbox
    )
