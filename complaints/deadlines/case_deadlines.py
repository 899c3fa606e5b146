"""Deadlines that move as a case moves: mediation counts from acceptance with testing time paused, and a report's
verification may be extended once. Recomputed from the timeline, so the stored dates always follow the events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from complaints.deadlines.policy import DeadlinePolicy, Pause, mediation_deadline, verification_deadline
from complaints.deadlines.working_days import Deadline, WorkingCalendar
from complaints.models import Complaint, ComplaintEvent
from lookup.models import table_of

complaint_t, event_t = table_of(Complaint), table_of(ComplaintEvent)

# The actions after which a case's handling deadline is counted again.
MOVES_DEADLINE = frozenset({"accept", "pause_for_testing", "resume", "extend_verification"})


@dataclass(frozen=True)
class DeadlineRules:
    calendar: WorkingCalendar
    policy: DeadlinePolicy
    zone: ZoneInfo


def recount_handling_deadline(connection: sa.Connection, complaint_id: int, rules: DeadlineRules, today: date) -> None:
    """Store the handling deadline (mediation for a complaint, verification for a report) the timeline implies."""
    events = connection.execute(
        sa.select(event_t.c.action, event_t.c.at).where(event_t.c.complaint_id == complaint_id).order_by(event_t.c.id)
    ).all()
    days = [(action, at.astimezone(rules.zone).date()) for action, at in events]
    deadline: Deadline | None = None
    accepted = [day for action, day in days if action == "accept"]
    if accepted:
        deadline = mediation_deadline(rules.calendar, rules.policy, accepted[-1], _pauses(days), today)
    elif any(action == "extend_verification" for action, _ in days):
        received_at = connection.execute(
            sa.select(complaint_t.c.received_at).where(complaint_t.c.id == complaint_id)
        ).scalar_one()
        received = received_at.astimezone(rules.zone).date()
        deadline = verification_deadline(rules.calendar, rules.policy, received, extended=True)
    if deadline is None:
        return
    connection.execute(
        sa.update(complaint_t)
        .where(complaint_t.c.id == complaint_id)
        .values(handle_due=deadline.due, due_on=deadline.due, deadline_approximate=deadline.approximate)
    )


def _pauses(days: list[tuple[str, date]]) -> list[Pause]:
    """Each `pause_for_testing` until the next `resume` (the day testing ended); a pause not yet resumed is open."""
    pauses: list[Pause] = []
    started: date | None = None
    for action, day in days:
        if action == "pause_for_testing" and started is None:
            # Sent for testing again the day the last result came back: one pause, not two that overlap.
            started = pauses.pop().start if pauses and pauses[-1].end is not None and pauses[-1].end >= day else day
        elif action == "resume" and started is not None:
            pauses.append(Pause(started, day))
            started = None
    if started is not None:
        pauses.append(Pause(started))
    return pauses
