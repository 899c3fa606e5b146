"""Legal holds: a supervisor keeps a case's personal data past its retention (a lawsuit, an investigation, an
appeal), with a reason; releasing the hold lets the next purge remove what is due. Both are internal events on the
case's timeline. Who may set one is the caller's rule (supervisors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint, ComplaintEvent
from complaints.personal_data.models import LegalHold
from complaints.workflow import Role
from lookup.models import table_of
from lookup.problems import Kind, Problem

complaint_t, event_t, hold_t = table_of(Complaint), table_of(ComplaintEvent), table_of(LegalHold)

MAX_REASON_CHARS = 500
HOLD_SET, HOLD_RELEASED = "legal_hold_set", "legal_hold_released"


class HoldError(Problem):
    """A hold that cannot be set or released."""

    kind = Kind.unprocessable


@dataclass(frozen=True)
class Hold:
    reason: str
    set_by: int | None
    set_at: datetime


async def hold_of(connection: AsyncConnection, complaint_id: int) -> Hold | None:
    row = (await connection.execute(sa.select(hold_t).where(hold_t.c.complaint_id == complaint_id))).first()
    return None if row is None else Hold(reason=row.reason, set_by=row.set_by, set_at=row.set_at)


def clean_reason(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise HoldError("missing_reason", "法律保全须写明原因。", "A legal hold needs a reason.", field="reason")
    reason = " ".join(raw.split())
    if len(reason) > MAX_REASON_CHARS:
        raise HoldError(
            "reason_too_long",
            f"原因最多 {MAX_REASON_CHARS} 个字。",
            f"The reason is at most {MAX_REASON_CHARS} characters.",
            field="reason",
        )
    return reason


async def _note(
    connection: AsyncConnection,
    complaint_id: int,
    action: str,
    facts: dict[str, object],
    *,
    actor_id: int | None,
    now: datetime,
) -> None:
    """The hold's internal event on the timeline (the case locked first, as every change to a case is)."""
    status = (
        await connection.execute(
            sa.select(complaint_t.c.status).where(complaint_t.c.id == complaint_id).with_for_update()
        )
    ).scalar_one()
    await connection.execute(
        sa.insert(event_t).values(
            complaint_id=complaint_id,
            at=now,
            actor_role=Role.supervisor,
            actor_id=actor_id,
            action=action,
            from_status=status,
            to_status=status,
            public=False,
            facts=facts,
        )
    )


async def set_hold(
    connection: AsyncConnection, complaint_id: int, *, reason: object, actor_id: int | None, now: datetime
) -> Hold:
    """Hold the case's personal data (a second hold replaces the first's reason). Raises :class:`HoldError`."""
    text = clean_reason(reason)
    await _note(connection, complaint_id, HOLD_SET, {"reason": text}, actor_id=actor_id, now=now)
    await connection.execute(sa.delete(hold_t).where(hold_t.c.complaint_id == complaint_id))
    await connection.execute(
        sa.insert(hold_t).values(complaint_id=complaint_id, reason=text, set_by=actor_id, set_at=now)
    )
    return Hold(reason=text, set_by=actor_id, set_at=now)


async def release_hold(connection: AsyncConnection, complaint_id: int, *, actor_id: int | None, now: datetime) -> None:
    """End the case's hold. Raises :class:`HoldError` when it has none."""
    if await hold_of(connection, complaint_id) is None:
        raise HoldError("no_hold", "本案没有法律保全。", "This case has no legal hold.", kind=Kind.conflict)
    await _note(connection, complaint_id, HOLD_RELEASED, {}, actor_id=actor_id, now=now)
    await connection.execute(sa.delete(hold_t).where(hold_t.c.complaint_id == complaint_id))
