"""The complainant's view of their case: what they may see with their reference and token, and nothing more.

No contact details (not even their own: a leaked link must not leak a phone number), no internal notes, no
classifier figures: only the public events of the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint, ComplaintContact, ComplaintEvent, ComplaintPhoto
from complaints.submission import Contact, missing_facts
from complaints.tokens import token_matches
from complaints.workflow import MESSAGE, MESSAGE_EN, CaseStatus, Intent
from lookup.models import Station, table_of

complaint_t, contact_t, event_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintEvent)
photo_t, station_t = table_of(ComplaintPhoto), table_of(Station)


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    action: str
    status: CaseStatus
    message: str | None  # a reply or answer in the handler's (or the service's) words
    message_en: str | None


@dataclass(frozen=True)
class PublicCase:
    ref: str
    intent: Intent
    category: str
    status: CaseStatus
    received_at: datetime
    station: str | None
    deadline: date | None
    deadline_approximate: bool
    missing: tuple[str, ...]
    photos: int
    events: tuple[PublicEvent, ...]
    satisfaction: int | None = None  # the consumer's rating (1–5) once given


async def public_case(connection: AsyncConnection, ref: str, token: str) -> PublicCase | None:
    """The case, or None when the reference is unknown or the token wrong (the caller cannot tell which)."""
    row = (
        await connection.execute(
            sa.select(complaint_t, station_t.c.name.label("station_name"), contact_t.c.name.label("contact_name"))
            .add_columns(contact_t.c.phone)
            .outerjoin(station_t, station_t.c.id == complaint_t.c.station_id)
            .outerjoin(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
            .where(complaint_t.c.ref == ref)
        )
    ).first()
    if row is None or not token_matches(token, row.token_hash):
        return None
    intent = Intent(row.intent)
    events = await connection.execute(
        sa.select(event_t.c.at, event_t.c.action, event_t.c.to_status, event_t.c.facts)
        .where(event_t.c.complaint_id == row.id, event_t.c.public.is_(True))
        .order_by(event_t.c.id)
    )
    photos = (await connection.execute(sa.select(sa.func.count()).where(photo_t.c.complaint_id == row.id))).scalar_one()
    contact = Contact(name=row.contact_name or "", phone=row.phone or "")
    return PublicCase(
        ref=row.ref,
        intent=intent,
        category=row.category,
        status=CaseStatus(row.status),
        received_at=row.received_at,
        station=row.station_name,
        deadline=row.accept_due if intent is Intent.complaint else row.handle_due,
        deadline_approximate=row.deadline_approximate,
        missing=missing_facts(intent, contact) if row.status == CaseStatus.received else (),
        photos=photos,
        events=tuple(
            PublicEvent(
                at=at,
                action=action,
                status=CaseStatus(status),
                message=(facts or {}).get(MESSAGE),
                message_en=(facts or {}).get(MESSAGE_EN),
            )
            for at, action, status, facts in events
        ),
        satisfaction=row.satisfaction,
    )
