"""Reminders that an instrument's verification is about to expire: one at 30 days and one at 7 days before the end
of its validity, each sent once (SMS through the outbox) and listed on the merchant's page.

An instrument first seen inside a threshold gets that threshold's reminder only (5 days left: the 7-day one, not
a late 30-day one too). "Once" is the unique key (instrument, validity, threshold): two workers running the same
day insert one row between them, and only the one whose insert took queues the SMS. The outbox message says what
to send (the reminder's row), never to whom: the SMS sender reads the merchant's phone at delivery time. A merchant
without a phone still gets the row (channel ""), so the page lists it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.merchants.models import VerificationReminder
from complaints.outbox.enqueue import enqueue
from lookup.models import Instrument, Merchant, Verification, newest_verification_id, table_of
from lookup.rotation import HOUSEHOLD_METERS
from lookup.vocab import InstrumentKind, InstrumentState

THRESHOLDS = (7, 30)  # days before the validity ends, most urgent first
SMS = "sms"
KIND = "verification_due"
reminder_t, instrument_t, merchant_t, verification_t = (
    table_of(VerificationReminder), table_of(Instrument), table_of(Merchant), table_of(Verification),
)  # fmt: skip


def threshold(days_left: int) -> int | None:
    """The reminder due with ``days_left`` days of validity left: the smallest threshold that covers it."""
    return next((t for t in THRESHOLDS if 0 <= days_left <= t), None)


@functools.cache
def _insert_once(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (
        dialect.insert(reminder_t)
        .on_conflict_do_nothing(index_elements=["instrument_id", "valid_until", "days"])
        .returning(reminder_t.c.id)
    )


async def _expiring(connection: AsyncConnection, today: date) -> list[Any]:
    i, m = instrument_t.c, merchant_t.c
    newest_id = newest_verification_id(i.id)
    v = verification_t.alias("latest")
    rows = await connection.execute(
        sa.select(i.id, i.code, i.merchant_id, m.contact_phone, v.c.valid_until)
        .select_from(instrument_t.join(merchant_t, m.id == i.merchant_id).join(v, v.c.id == newest_id))
        .where(
            i.state == InstrumentState.in_use,
            i.kind.not_in(sorted(HOUSEHOLD_METERS)),  # a utility's meters are replaced on their term, not reminded
            v.c.passed.is_(True),
            v.c.valid_until >= today,
            v.c.valid_until <= today + timedelta(days=max(THRESHOLDS)),
        )
        .order_by(v.c.valid_until, i.id)
    )
    return list(rows)


async def queue_reminders(connection: AsyncConnection, *, today: date, now: datetime) -> int:
    """Queue the reminders due today that no run has queued yet; how many this run queued. Write transaction."""
    queued = 0
    r = reminder_t.c
    # Read once what earlier runs queued, so an hourly re-run costs one read rather than an insert per instrument.
    done = {
        tuple(row)
        for row in await connection.execute(
            sa.select(r.instrument_id, r.valid_until, r.days).where(r.valid_until >= today)
        )
    }
    for instrument_id, code, merchant_id, phone, valid_until in await _expiring(connection, today):
        days = threshold((valid_until - today).days)
        if days is None or (instrument_id, valid_until, days) in done:
            continue
        values = {
            "merchant_id": merchant_id, "instrument_id": instrument_id, "valid_until": valid_until, "days": days,
            "queued_at": now, "channel": SMS if phone else "",
        }  # fmt: skip
        inserted = (await connection.execute(_insert_once(connection.dialect.name), values)).scalar()
        if inserted is None:
            continue
        queued += 1
        if phone:
            payload = {"merchant_id": merchant_id, "reminder_id": int(inserted), "code": code, "days": days,
                       "valid_until": valid_until.isoformat()}  # fmt: skip
            key = f"{KIND}:{instrument_id}:{valid_until.isoformat()}:{days}"
            await enqueue(connection, complaint_id=None, channel=SMS, kind=KIND, key=key, payload=payload, now=now)
    return queued


@dataclass(frozen=True, slots=True)
class Sent:
    code: str
    kind: InstrumentKind
    serial_no: str
    valid_until: date
    days: int
    queued_at: datetime
    by_sms: bool


async def reminders_of(connection: AsyncConnection, merchant_id: int, *, limit: int = 20) -> list[Sent]:
    """The merchant's latest reminders, newest first."""
    r, i = reminder_t.c, instrument_t.c
    rows = await connection.execute(
        sa.select(i.code, i.kind, i.serial_no, r.valid_until, r.days, r.queued_at, r.channel)
        .join(instrument_t, i.id == r.instrument_id)
        .where(r.merchant_id == merchant_id)
        .order_by(r.queued_at.desc(), r.id.desc())
        .limit(limit)
    )
    return [Sent(code, InstrumentKind(kind), serial, until, days, at, channel == SMS)
            for code, kind, serial, until, days, at, channel in rows]  # fmt: skip
