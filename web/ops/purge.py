"""The nightly purge of personal data as a deployment runs it: the domain's purge (complaints.personal_data)
with the rows of the packages above it that age out too (the bots' dialogue drafts, the sign-in attempts), on the
schedule of FAIRWEIGH_PURGE_HOUR. `fairweigh worker` runs it every night; `fairweigh purge` runs it now."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models import DialogueState
from complaints.personal_data.retention import AgedRows, PurgeReport, RetentionPolicy, purge_due
from lookup.models import table_of
from web.auth.models import LoginAttempt
from web.db import for_writing
from web.settings import Settings

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = timedelta(hours=1)


def aged_rows(policy: RetentionPolicy) -> tuple[AgedRows, ...]:
    dialogue, attempts = table_of(DialogueState), table_of(LoginAttempt)
    return (
        # A conversation left for this long is forgotten: its draft, language and the chat id it is keyed by.
        AgedRows("dialogue_drafts", dialogue, dialogue.c.updated_at, policy.dialogue_drafts),
        AgedRows("login_attempts", attempts, attempts.c.at, policy.login_attempts),
    )


async def purge_now(engine: AsyncEngine, settings: Settings, *, now: datetime) -> PurgeReport:
    policy = settings.retention
    return await purge_due(for_writing(engine), policy, now=now, aged=aged_rows(policy))


def next_run(now: datetime, hour: int) -> datetime:
    """The next time the local clock shows ``hour``:00 (``now`` is local)."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


async def purge_nightly(
    engine: AsyncEngine, settings: Settings, stop: asyncio.Event, clock: Callable[[], datetime]
) -> None:
    """Purge what is due once a night at FAIRWEIGH_PURGE_HOUR until ``stop``. Several workers doing it at once is
    harmless (each case is locked and checked again); a failed run is tried again an hour later."""
    wake = next_run(clock(), settings.fairweigh_purge_hour)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max((wake - clock()).total_seconds(), 0))
        if stop.is_set():
            return
        try:
            report = await purge_now(engine, settings, now=clock())
        except Exception:
            log.exception("the nightly purge of personal data failed; trying again in an hour")
            wake = clock() + RETRY_AFTER_FAILURE
            continue
        log.info("nightly purge: %s", report.summary())
        wake = next_run(clock(), settings.fairweigh_purge_hour)
