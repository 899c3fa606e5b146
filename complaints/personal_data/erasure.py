"""The consumer's rights over their case's personal data: to see what is held (and until when), and to have it
removed once the case has ended. Before that it is still needed — the station must be able to call back, and the
photos are evidence — and the consumer is told so. A request is recorded (and shown on the public timeline); the
nightly purge carries it out, unless a legal hold keeps the data, in which case it waits for the hold to end.

What is shown is masked (``王*``, ``138****8000``): the status page is reached by a link that may be forwarded, and
the chat by whoever holds the phone, so neither shows a contact in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from complaints.cases import PENDING
from complaints.models import Complaint, ComplaintContact, ComplaintEvent, ComplaintPhoto
from complaints.personal_data.models import ErasureRequest, LegalHold
from complaints.personal_data.retention import Kind, RetentionPolicy
from complaints.privacy import mask_name, mask_phone
from complaints.tokens import token_matches
from complaints.workflow import CaseStatus, Role
from lookup.models import table_of

complaint_t, contact_t, photo_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintPhoto)
event_t, hold_t, request_t = table_of(ComplaintEvent), table_of(LegalHold), table_of(ErasureRequest)

REQUESTED = "erasure_requested"  # the timeline event's action
VIA = frozenset({"status_page", "telegram", "wechat"})


class ErasureOutcome(StrEnum):
    recorded = "recorded"  # the next nightly purge removes it
    recorded_on_hold = "recorded_on_hold"  # kept under a legal hold; removed once the hold ends
    already_requested = "already_requested"
    case_open = "case_open"  # still needed while the case is handled
    nothing_held = "nothing_held"


@dataclass(frozen=True)
class HeldData:
    """What the service holds about one case's consumer, masked, and how long it keeps each kind."""

    complaint_id: int
    ref: str
    status: CaseStatus
    ended_at: datetime | None  # None while the case is handled
    name: str  # masked
    phone: str  # masked
    chat: str  # the channel whose chat id is held ("telegram", "wechat"), or ""
    photos: int
    kept_until: dict[Kind, datetime]  # for the kinds held, once the case has ended
    on_hold: bool
    requested_at: datetime | None  # an open request (not yet carried out)

    @property
    def ended(self) -> bool:
        return self.status not in PENDING

    @property
    def kinds(self) -> tuple[Kind, ...]:
        held = {Kind.contact: bool(self.name or self.phone), Kind.chat: bool(self.chat), Kind.photos: self.photos > 0}
        return tuple(kind for kind in Kind if held[kind])


_HELD = (
    sa.select(
        complaint_t.c.id,
        complaint_t.c.ref,
        complaint_t.c.channel,
        complaint_t.c.status,
        complaint_t.c.ended_at,
        contact_t.c.name,
        contact_t.c.phone,
        contact_t.c.channel_user,
        hold_t.c.complaint_id.label("held"),
    )
    .outerjoin(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
    .outerjoin(hold_t, hold_t.c.complaint_id == complaint_t.c.id)
)


async def _held_data(connection: AsyncConnection, row: Any, policy: RetentionPolicy) -> HeldData:
    photos = (await connection.execute(sa.select(sa.func.count()).where(photo_t.c.complaint_id == row.id))).scalar_one()
    requested_at = (
        await connection.execute(
            sa.select(sa.func.min(request_t.c.requested_at)).where(
                request_t.c.complaint_id == row.id, request_t.c.done_at.is_(None)
            )
        )
    ).scalar_one()
    ended_at = row.ended_at if CaseStatus(row.status) not in PENDING else None
    held = HeldData(
        complaint_id=row.id,
        ref=row.ref,
        status=CaseStatus(row.status),
        ended_at=ended_at,
        name=mask_name(row.name or ""),
        phone=mask_phone(row.phone) if row.phone else "",
        chat=row.channel if row.channel_user else "",
        photos=photos,
        kept_until={},
        on_hold=row.held is not None,
        requested_at=requested_at,
    )
    if ended_at is not None:
        held.kept_until.update({kind: ended_at + policy.of(kind) for kind in held.kinds})
    return held


async def held_for_token(connection: AsyncConnection, ref: str, token: str, policy: RetentionPolicy) -> HeldData | None:
    """What is held for the case ``ref``, or None when the reference is unknown or the token wrong."""
    row = (
        await connection.execute(_HELD.add_columns(complaint_t.c.token_hash).where(complaint_t.c.ref == ref))
    ).first()
    if row is None or not token_matches(token, row.token_hash):
        return None
    return await _held_data(connection, row, policy)


def _of_chat(channel: str, chat_user: str) -> sa.ColumnElement[bool]:
    return sa.and_(complaint_t.c.channel == channel, contact_t.c.channel_user == chat_user)


async def held_for_chat(
    connection: AsyncConnection, channel: str, chat_user: str, policy: RetentionPolicy
) -> list[HeldData]:
    """What is held for every case that came from this chat (oldest first); a case whose chat id has already been
    removed is no longer this chat's."""
    rows = await connection.execute(_HELD.where(_of_chat(channel, chat_user)).order_by(complaint_t.c.id))
    return [await _held_data(connection, row, policy) for row in rows.all()]


async def request_erasure(connection: AsyncConnection, complaint_id: int, *, via: str, now: datetime) -> ErasureOutcome:
    """Record the consumer's request to remove their case's personal data, if the case has ended and holds some.

    Run it in a transaction that locks before it reads (the composition root's ``for_writing`` engine).
    """
    if via not in VIA:
        raise ValueError(f"unknown way of asking: {via!r}")
    case = (
        await connection.execute(
            sa.select(complaint_t.c.status).where(complaint_t.c.id == complaint_id).with_for_update()
        )
    ).first()
    if case is None:
        raise LookupError(complaint_id)
    status = CaseStatus(case.status)
    if status in PENDING:
        return ErasureOutcome.case_open
    held = await connection.execute(
        sa.select(contact_t.c.complaint_id).where(
            contact_t.c.complaint_id == complaint_id,
            sa.or_(contact_t.c.name != "", contact_t.c.phone != "", contact_t.c.channel_user != ""),
        )
    )
    photos = await connection.execute(sa.select(photo_t.c.id).where(photo_t.c.complaint_id == complaint_id).limit(1))
    if held.first() is None and photos.first() is None:
        return ErasureOutcome.nothing_held
    waiting = await connection.execute(
        sa.select(request_t.c.id).where(request_t.c.complaint_id == complaint_id, request_t.c.done_at.is_(None))
    )
    if waiting.first() is not None:
        return ErasureOutcome.already_requested
    await connection.execute(sa.insert(request_t).values(complaint_id=complaint_id, via=via, requested_at=now))
    await connection.execute(
        sa.insert(event_t).values(
            complaint_id=complaint_id,
            at=now,
            actor_role=Role.system,
            actor_id=None,
            action=REQUESTED,
            from_status=status,
            to_status=status,
            public=True,
            facts={"via": via},
        )
    )
    on_hold = await connection.execute(sa.select(hold_t.c.complaint_id).where(hold_t.c.complaint_id == complaint_id))
    return ErasureOutcome.recorded_on_hold if on_hold.first() is not None else ErasureOutcome.recorded


@dataclass(frozen=True)
class ChatErasure:
    """One case of a chat's request: its reference and what became of the request."""

    ref: str
    outcome: ErasureOutcome
    held: HeldData


async def request_erasure_for_chat(
    writer: AsyncEngine, channel: str, chat_user: str, *, policy: RetentionPolicy, now: datetime
) -> Sequence[ChatErasure]:
    """The chat command "删除我的信息": a request for every case from this chat, each with its outcome (cases still
    being handled are told apart by ``case_open``). Empty when the chat has no case. ``writer`` begins write
    transactions (``for_writing(engine)``)."""
    async with writer.begin() as connection:
        cases = await held_for_chat(connection, channel, chat_user, policy)
        return [
            ChatErasure(held.ref, await request_erasure(connection, held.complaint_id, via=channel, now=now), held=held)
            for held in cases
        ]
