"""Helpers for the outbox tests: cases queued as intake queues them, a settable clock, a recording sender."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint, ComplaintContact
from complaints.outbox.claims import Delivery
from complaints.outbox.delivery import deliver_due
from complaints.outbox.enqueue import UPSTREAM, enqueue, outbox_t
from complaints.outbox.senders import Sender
from lookup.models import table_of
from tests.support import NOW
from web.db import for_writing
from web.settings import Settings

SECRET = "shared-upstream-secret"
PHONE, NAME, WORDS = "13800138000", "王小明", "一斤肉少了二两"
complaint_t, contact_t = table_of(Complaint), table_of(ComplaintContact)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Case:
    id: int
    ref: str


async def queue_cases(
    engine: AsyncEngine,
    count: int,
    *,
    channel: str = UPSTREAM,
    kind: str = "forward",
    payload: Mapping[str, Any] | None = None,
    links: Mapping[str, int] | None = None,
) -> list[Case]:
    """Cases with a contact, each with one outbox message, written as intake does: in one transaction."""
    cases = []
    async with for_writing(engine).begin() as connection:
        for n in range(1, count + 1):
            ref = f"JL20261123-{n:04d}"
            case_id = (
                await connection.execute(
                    sa.insert(complaint_t)
                    .values(
                        ref=ref,
                        token_hash="0" * 64,
                        channel="web",
                        text=WORDS,
                        queue="station",
                        intent="complaint",
                        category="short_weight",
                        confidence=0.9,
                        classifier_version="t",
                        needs_triage=False,
                        priority="normal",
                        status="received",
                        received_at=NOW,
                        deadline_approximate=False,
                        satisfaction_comment="",
                        **(links or {}),
                    )
                    .returning(complaint_t.c.id)
                )
            ).scalar_one()
            await connection.execute(
                sa.insert(contact_t).values(
                    complaint_id=case_id, name=NAME, phone=PHONE, channel_user="", consent_to_contact=True
                )
            )
            await enqueue(
                connection,
                complaint_id=case_id,
                channel=channel,
                kind=kind,
                key=f"{kind}:{channel}:{ref}",
                payload=payload or {},
                now=NOW,
            )
            cases.append(Case(case_id, ref))
    return cases


async def outbox(engine: AsyncEngine) -> list[sa.Row[Any]]:
    async with engine.connect() as connection:
        return list(await connection.execute(sa.select(outbox_t).order_by(outbox_t.c.id)))


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    async def send(self, delivery: Delivery) -> None:
        self.sent.append(delivery)


async def deliver(engine: AsyncEngine, senders: Mapping[str, Sender], clock: FakeClock, **options: Any) -> int:
    return await deliver_due(for_writing(engine), senders, now=clock(), worker_id="w1", **options)


@contextlib.asynccontextmanager
async def worker_process(
    settings: Settings, extra: dict[str, str], *, output: bool = False
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`fairweigh worker` as deployed, in a process of its own over ``settings``' database, with the environment
    ``extra`` adds (no channel of the test run's own environment); its output piped when ``output``."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("UPSTREAM_", "WECHAT_", "TELEGRAM_"))},
        "DATABASE_URL": settings.database_url,
        "FAIRWEIGH_SECRET": settings.fairweigh_secret.get_secret_value() if settings.fairweigh_secret else "",
        "PUBLIC_BASE_URL": settings.public_base_url,
        **extra,
    }
    piped = asyncio.subprocess.PIPE if output else asyncio.subprocess.DEVNULL
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main(['worker']))",
        env=environment, stdout=piped, stderr=asyncio.subprocess.STDOUT if output else asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
