"""What the merchant's page shows: who they are, their instruments with what to do about each, their monitoring
self-checks and their complaints as counts by status. Never a consumer's words, name, phone or chat id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint
from complaints.workflow import CaseStatus, Intent
from lookup.models import Instrument, Market, Merchant, Station, Verification, newest_verification_id, table_of
from lookup.status import instrument_status
from lookup.vocab import InstrumentKind, InstrumentState, Status

merchant_t, market_t, station_t = table_of(Merchant), table_of(Market), table_of(Station)
instrument_t, verification_t, complaint_t = table_of(Instrument), table_of(Verification), table_of(Complaint)
COUNTED_DAYS = 365  # as the public record: the last twelve months


@dataclass(frozen=True, slots=True)
class Identity:
    id: int
    name: str
    market_name: str | None
    stall: str
    address: str
    contact_person: str
    contact_phone: str
    station_id: int
    station_name: str
    station_phone: str
    station_address: str


async def identity(connection: AsyncConnection, merchant_id: int) -> Identity | None:
    m, k, s = merchant_t.c, market_t.c, station_t.c
    row = (
        await connection.execute(
            sa.select(
                m.id,
                m.name,
                k.name,
                m.stall,
                m.address,
                m.contact_person,
                m.contact_phone,
                s.id,
                s.name,
                s.phone,
                s.address,
            )
            .join(station_t, s.id == m.station_id)
            .outerjoin(market_t, k.id == m.market_id)
            .where(m.id == merchant_id)
        )
    ).first()
    return Identity(*row) if row is not None else None


# What the merchant is to do about an instrument, by its status (the page's catalogue keys merchant.todo.*).
TODO = {
    Status.valid: "in_date",
    Status.expiring: "send_soon",
    Status.expired: "stop_and_send",
    Status.failed: "stop_and_repair",
    Status.unverified: "stop_and_send",
    Status.no_record: "none",
    Status.suspended: "call_station",
}


@dataclass(frozen=True, slots=True)
class OwnInstrument:
    code: str
    kind: InstrumentKind
    serial_no: str
    status: Status
    valid_until: date | None  # the next verification is due by this day
    institution: str  # where it was verified last: where to send it again
    todo: str


async def instruments(connection: AsyncConnection, merchant_id: int, *, today: date) -> list[OwnInstrument]:
    """The merchant's instruments in service, the most urgent first."""
    i, v = instrument_t.c, verification_t.alias("latest")
    newest_id = newest_verification_id(i.id)
    rows = await connection.execute(
        sa.select(
            i.code,
            i.kind,
            i.serial_no,
            i.state,
            i.mandatory,
            v.c.performed_on,
            v.c.valid_until,
            v.c.passed,
            v.c.institution,
        )
        .select_from(instrument_t.outerjoin(v, v.c.id == newest_id))
        .where(i.merchant_id == merchant_id, i.state != InstrumentState.retired)
        .order_by(i.code)
    )
    found = [_own(row, today) for row in rows]
    urgency = list(TODO)
    return sorted(found, key=lambda item: (urgency.index(item.status), item.valid_until or date.max))


def _own(row: Any, today: date) -> OwnInstrument:
    code, kind, serial_no, state, mandatory, performed_on, valid_until, passed, institution = row
    record = _Record(performed_on, valid_until, bool(passed)) if performed_on is not None else None
    status = instrument_status(state=InstrumentState(state), mandatory=bool(mandatory), latest_record=record, on=today)
    due = valid_until if record is not None and record.passed else None
    return OwnInstrument(code, InstrumentKind(kind), serial_no, status, due, institution or "", TODO[status])


@dataclass(frozen=True, slots=True)
class _Record:
    performed_on: date
    valid_until: date
    passed: bool


@dataclass(frozen=True, slots=True)
class ComplaintCounts:
    since: date
    total: int
    by_status: tuple[tuple[CaseStatus, int], ...]  # the workflow's order, statuses with cases only


async def complaint_counts(connection: AsyncConnection, merchant_id: int, *, now: datetime) -> ComplaintCounts:
    """The complaints about the merchant received in the last twelve months (from the start of the local day a year
    ago), counted by their status; as the public record counts them: complaints, not reports or inquiries."""
    local = now.date() - timedelta(days=COUNTED_DAYS - 1)
    since = datetime.combine(local, time(), now.tzinfo)
    c = complaint_t.c
    rows = await connection.execute(
        sa.select(c.status, sa.func.count())
        .where(c.merchant_id == merchant_id, c.intent == Intent.complaint, c.received_at >= since)
        .group_by(c.status)
    )
    counts = {CaseStatus(status): int(n) for status, n in rows}
    ordered = tuple((status, counts[status]) for status in CaseStatus if counts.get(status))
    return ComplaintCounts(local, sum(counts.values()), ordered)
