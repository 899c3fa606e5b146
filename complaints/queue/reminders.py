"""Deadline reminders: what in a scope is overdue, due today, and due within the next two working days.

One list for everywhere a handler is reminded: the queue page shows it, and a station's morning digest can send
the same by calling :func:`deadline_reminders` with the station's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.deadlines.working_days import WorkingCalendar
from complaints.queue.conditions import QueueFilter, complaint_t, scope_condition
from complaints.scope import Scope
from complaints.workflow import CaseStatus, Intent
from lookup.models import Merchant, table_of

merchant_t = table_of(Merchant)
_c = complaint_t.c

SOON_WORKING_DAYS = 2
MAX_LISTED = 100  # per reminder list; the counts are always whole


@dataclass(frozen=True)
class Reminder:
    ref: str
    intent: Intent
    category: str
    status: CaseStatus
    due_on: date
    merchant: str | None
    assignee: str | None


@dataclass(frozen=True)
class Reminders:
    today: date
    soon_until: date  # the last day counted as "due soon" (two working days after today)
    overdue: tuple[Reminder, ...]
    due_today: tuple[Reminder, ...]
    due_soon: tuple[Reminder, ...]
    counts: dict[str, int]  # overdue, due_today, due_soon: every case, not only those listed

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


async def deadline_reminders(
    connection: AsyncConnection,
    scope: Scope,
    *,
    today: date,
    calendar: WorkingCalendar,
    assignee: str | None = None,
) -> Reminders:
    """The scope's pending cases whose deadline is past, today, or within two working days, nearest first.

    With ``assignee``, only the cases assigned to that username (a handler's own reminders).
    """
    soon_until = calendar.add_working_days(today, SOON_WORKING_DAYS).due
    lists: dict[str, list[Reminder]] = {"overdue": [], "due_today": [], "due_soon": []}
    counts = dict.fromkeys(lists, 0)
    scoped = scope_condition(scope, QueueFilter(today=today))
    if scoped:
        mine = [_c.assignee == assignee] if assignee is not None else []
        bucket = sa.case((_c.due_on < today, "overdue"), (_c.due_on == today, "due_today"), else_="due_soon")
        window = [*scoped, *mine, _c.due_on.is_not(None), _c.due_on <= soon_until]
        for name, n in await connection.execute(sa.select(bucket, sa.func.count()).where(*window).group_by(bucket)):
            counts[str(name)] = int(n)
        rows = await connection.execute(
            sa.select(_c.ref, _c.intent, _c.category, _c.status, _c.due_on, _c.assignee, merchant_t.c.name)
            .outerjoin(merchant_t, merchant_t.c.id == _c.merchant_id)
            .where(*window)
            .order_by(_c.due_on, _c.id)
            .limit(3 * MAX_LISTED)
        )
        for row in rows:
            name = "overdue" if row.due_on < today else "due_today" if row.due_on == today else "due_soon"
            if len(lists[name]) < MAX_LISTED:
                reminder = Reminder(
                    ref=row.ref,
                    intent=Intent(row.intent),
                    category=row.category,
                    status=CaseStatus(row.status),
                    due_on=row.due_on,
                    merchant=row.name,
                    assignee=row.assignee,
                )
                lists[name].append(reminder)
    return Reminders(
        today=today,
        soon_until=soon_until,
        overdue=tuple(lists["overdue"]),
        due_today=tuple(lists["due_today"]),
        due_soon=tuple(lists["due_soon"]),
        counts=counts,
    )
