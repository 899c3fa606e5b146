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
from complaints.workflow import MESSAGE, MESSAGE_EN, OUTCOME, REFUND_YUAN, CaseStatus, History, Intent
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
class Outcome:
    """What a mediation agreed, as the consumer is told it: the remedy, the money recovered, the words agreed."""

    kind: str  # refund | make_up | apology | other
    refund_yuan: float | None
    words: str | None
    words_en: str | None = None


class Stage:
    """Which deadline the case works to now; the status page names it."""

    accept = "accept"  # 受理期限
    mediate = "mediate"  # 调解期限
    verify = "verify"  # 核查期限
    answer = "answer"  # 答复期限


def stage_of(intent: Intent, status: CaseStatus) -> str:
    if intent is Intent.complaint:
        return Stage.accept if status is CaseStatus.received else Stage.mediate
    return Stage.verify if intent is Intent.report else Stage.answer


def yuan(value: object) -> float | None:
    """An amount of money as a handler or a client recorded it (a number, or its digits as text); None for none."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        amount = float(value)
    except ValueError:
        return None
    return amount if amount > 0 and amount == amount and amount != float("inf") else None


def outcome_of(facts: dict[str, object]) -> Outcome:
    """The outcome a `resolve` event records."""
    words, words_en = facts.get(MESSAGE), facts.get(MESSAGE_EN)
    return Outcome(
        kind=str(facts.get(OUTCOME, "other")),
        refund_yuan=yuan(facts.get(REFUND_YUAN)),
        words=str(words) if words else None,
        words_en=str(words_en) if words_en else None,
    )


@dataclass(frozen=True)
class PublicCase:
    ref: str
    intent: Intent
    category: str
    status: CaseStatus
    received_at: datetime
    station: str | None
    deadline: date | None  # of the stage the case is in; None once nothing is pending
    deadline_approximate: bool
    missing: tuple[str, ...]
    photos: int
    events: tuple[PublicEvent, ...]
    satisfaction: int | None = None  # the consumer's rating (1–5) once given
    stage: str = Stage.accept
    paused: bool = False  # the instrument is being tested: the mediation deadline stands still
    outcome: Outcome | None = None  # what the mediation agreed, once resolved
    closed_at: datetime | None = None


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
    events = (
        await connection.execute(
            sa.select(event_t.c.at, event_t.c.action, event_t.c.to_status, event_t.c.facts)
            .where(event_t.c.complaint_id == row.id, event_t.c.public.is_(True))
            .order_by(event_t.c.id)
        )
    ).all()
    resolved = [facts or {} for _, action, _, facts in events if action == "resolve"]
    closed = [at for at, action, _, _ in events if action == "close"]
    status = CaseStatus(row.status)
    photos = (await connection.execute(sa.select(sa.func.count()).where(photo_t.c.complaint_id == row.id))).scalar_one()
    contact = Contact(name=row.contact_name or "", phone=row.phone or "")
    return PublicCase(
        ref=row.ref,
        intent=intent,
        category=row.category,
        status=status,
        received_at=row.received_at,
        station=row.station_name,
        deadline=row.due_on,
        deadline_approximate=row.deadline_approximate and row.due_on is not None,
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
        stage=stage_of(intent, status),
        paused=status is CaseStatus.mediating and History.of(action for _, action, _, _ in events).paused,
        outcome=outcome_of(resolved[-1]) if resolved else None,
        closed_at=closed[-1] if closed else None,
    )
