"""Helpers for the outbox tests: cases queued as intake queues them, a settable clock, a recording sender."""

from __future__ import annotations

from collections.abc import Mapping
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
