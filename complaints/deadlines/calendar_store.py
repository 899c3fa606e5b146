"""Imported holiday schedules in the database, and the working calendar built from them."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.deadlines.working_days import DayRule, WorkingCalendar, parse_schedule
from complaints.models import CalendarRule
from lookup.models import table_of

calendar_t = table_of(CalendarRule)


async def import_schedule(connection: AsyncConnection, text: str) -> tuple[int, int]:
    """Replace one year's schedule with the file's; returns (year, rules). Raises ScheduleFileError."""
    year, rules = parse_schedule(text)
    await connection.execute(sa.delete(calendar_t).where(calendar_t.c.year == year))
    await connection.execute(
        sa.insert(calendar_t),
        [{"day": rule.day, "year": year, "working": rule.working, "name": rule.name} for rule in rules],
    )
    return year, len(rules)


async def load_calendar(connection: AsyncConnection) -> WorkingCalendar:
    imported: dict[int, list[DayRule]] = defaultdict(list)
    for day, year, working, name in await connection.execute(
        sa.select(calendar_t.c.day, calendar_t.c.year, calendar_t.c.working, calendar_t.c.name)
    ):
        imported[year].append(DayRule(day=day, working=bool(working), name=name))
    return WorkingCalendar(imported)
