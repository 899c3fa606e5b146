"""The early warning's nightly run, as the worker and `fairweigh warnings run` start it.

The night's findings are read in a read transaction; the claim of the night and the warnings it raises are one
short write transaction, so two workers never run a night twice and a run that fails claims nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import WarningRun
from complaints.warnings.signals import Rules, all_findings
from complaints.warnings.store import NightRun, apply_findings, claim_night
from lookup.models import table_of
from web.db import for_writing

RUN_AFTER_HOUR = 2  # local time: the day before is complete, and the service is quiet
run_t = table_of(WarningRun)


def night_due(now: datetime) -> date | None:
    """The day whose figures tonight's run compares (yesterday), once it is past RUN_AFTER_HOUR; else None."""
    return now.date() - timedelta(days=1) if now.hour >= RUN_AFTER_HOUR else None


async def run_night_once(
    engine: AsyncEngine, day: date, *, zone: tzinfo, now: datetime, worker: str, rules: Rules | None = None
) -> NightRun:
    """Compare ``day``'s figures and keep the warnings, unless some worker already ran that night."""
    async with engine.connect() as connection:
        done = (await connection.execute(sa.select(run_t.c.day).where(run_t.c.day == day))).first()
        if done is not None:
            return NightRun(day, False)
        findings = await all_findings(connection, day, rules or Rules(), zone)
    async with for_writing(engine).begin() as connection:
        if not await claim_night(connection, day, worker=worker, now=now):
            return NightRun(day, False)
        raised, refreshed, subsided = await apply_findings(connection, findings, day=day, now=now)
        await connection.execute(
            sa.update(run_t).where(run_t.c.day == day).values(raised=raised, refreshed=refreshed, subsided=subsided)
        )
    return NightRun(day, True, raised, refreshed, subsided)
