"""How long personal data is kept, and the purge that removes what is due.

A case's contact (name, phone), its photos and its chat id are kept for a set time after the case ends
(:attr:`Complaint.ended_at`), then removed; the case itself — its words, reading, timeline, counts, rating — stays,
so statistics, reports, open data and merchant records are unchanged. Each case's removal is one timeline event
that names the kinds removed, never what they were. A legal hold keeps everything; a consumer's request removes
their case's data at the next purge whatever the periods (the request is only taken once the case has ended).

Data not tied to a case goes by age: the log of who was shown a contact, and whatever rows the caller names
(:class:`AgedRows`: the bots' dialogue drafts and the sign-in attempts, whose tables belong to the packages above).

The purge works in batches, one write transaction each, so intake never waits long for it; running it twice at
once (two workers) removes everything once: each case is locked and checked again before anything is removed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.cases import PENDING
from complaints.models import Complaint, ComplaintContact, ComplaintEvent, ComplaintPhoto
from complaints.personal_data.models import ContactAccess, ErasureRequest, LegalHold
from complaints.workflow import CaseStatus, Role
from lookup.models import table_of

complaint_t, contact_t, photo_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintPhoto)
event_t, hold_t, request_t = table_of(ComplaintEvent), table_of(LegalHold), table_of(ErasureRequest)
access_t = table_of(ContactAccess)

REMOVED = "personal_data_removed"  # the timeline event's action
BATCH = 200  # cases (or rows) per write transaction: a few hundred statements, well under a second on SQLite


class Kind(StrEnum):
    """The kinds of personal data tied to a case."""

    contact = "contact"  # name and phone
    photos = "photos"
    chat = "chat"  # the WeChat openid or Telegram chat id the case came from


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind is kept: after the case ends (contact, photos, chat), or since written (the rest)."""

    contact: timedelta = timedelta(days=200)
    photos: timedelta = timedelta(days=200)
    chat: timedelta = timedelta(days=30)
    dialogue_drafts: timedelta = timedelta(days=30)
    login_attempts: timedelta = timedelta(days=180)
    access_log: timedelta = timedelta(days=1095)

    def of(self, kind: Kind) -> timedelta:
        return {Kind.contact: self.contact, Kind.photos: self.photos, Kind.chat: self.chat}[kind]


@dataclass
class PurgeReport:
    """What one purge removed, in counts (for the log line and the command's output)."""

    ended_filled: int = 0  # cases whose end was read from their timeline (ended before ended_at existed)
    cases: int = 0  # cases that lost some personal data
    kinds: dict[str, int] = field(default_factory=dict)  # cases per kind removed
    requests: int = 0  # consumers' requests carried out
    aged: dict[str, int] = field(default_factory=dict)  # rows deleted by age, per kind of row

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.kinds.items())) or "nothing"
        aged = ", ".join(f"{name} {count}" for name, count in sorted(self.aged.items())) or "none"
        return (
            f"personal data removed from {self.cases} case(s) ({kinds}; {self.requests} request(s) carried out); "
            f"rows deleted by age: {aged}; {self.ended_filled} case end(s) filled in from the timeline"
        )


def _has_contact() -> sa.ColumnElement[bool]:
    return sa.or_(contact_t.c.name != "", contact_t.c.phone != "")


def _ended_before(cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(complaint_t.c.ended_at.is_not(None), complaint_t.c.ended_at < cutoff)


def _cases_due(connection: sa.Connection, policy: RetentionPolicy, now: datetime, limit: int) -> list[int]:
    """Up to ``limit`` cases with something to remove. Driven by the tables that hold the data, which shrink as
    the purge works, rather than by every case that ever ended."""
    by_contact = (
        sa.select(contact_t.c.complaint_id.label("id"))
        .join(complaint_t, complaint_t.c.id == contact_t.c.complaint_id)
        .where(
            sa.or_(
                sa.and_(_has_contact(), _ended_before(now - policy.contact)),
                sa.and_(contact_t.c.channel_user != "", _ended_before(now - policy.chat)),
            )
        )
    )
    by_photo = (
        sa.select(photo_t.c.complaint_id.label("id"))
        .join(complaint_t, complaint_t.c.id == photo_t.c.complaint_id)
        .where(_ended_before(now - policy.photos))
    )
    by_request = sa.select(request_t.c.complaint_id.label("id")).where(request_t.c.done_at.is_(None))
    due = sa.union(by_contact, by_photo, by_request).subquery()
    held = sa.exists().where(hold_t.c.complaint_id == due.c.id)
    return list(connection.execute(sa.select(due.c.id).where(~held).order_by(due.c.id).limit(limit)).scalars())


def _kinds_due(
    connection: sa.Connection, case: sa.Row[Any, Any, Any], policy: RetentionPolicy, now: datetime, *, requested: bool
) -> list[Kind]:
    """The kinds the case still holds that are due now (all of them when the consumer asked)."""
    contact = connection.execute(
        sa.select(contact_t.c.name, contact_t.c.phone, contact_t.c.channel_user).where(
            contact_t.c.complaint_id == case.id
        )
    ).first()
    photos = connection.execute(sa.select(sa.func.count()).where(photo_t.c.complaint_id == case.id)).scalar_one()
    held = {
        Kind.contact: contact is not None and bool(contact.name or contact.phone),
        Kind.chat: contact is not None and bool(contact.channel_user),
        Kind.photos: photos > 0,
    }

    def due(kind: Kind) -> bool:
        return requested or (case.ended_at is not None and case.ended_at < now - policy.of(kind))

    return [kind for kind in Kind if held[kind] and due(kind)]


def _purge_case(
    connection: sa.Connection, complaint_id: int, policy: RetentionPolicy, now: datetime
) -> tuple[list[Kind], bool]:
    """Remove what is due from one case, checked again under the case's lock: (the kinds removed, whether a
    consumer's request was carried out)."""
    case = connection.execute(
        sa.select(complaint_t.c.id, complaint_t.c.status, complaint_t.c.ended_at)
        .where(complaint_t.c.id == complaint_id)
        .with_for_update()
    ).first()
    if case is None or CaseStatus(case.status) in PENDING:
        return [], False
    if connection.execute(sa.select(hold_t.c.complaint_id).where(hold_t.c.complaint_id == complaint_id)).first():
        return [], False
    open_requests = request_t.c.complaint_id == complaint_id, request_t.c.done_at.is_(None)
    requested = connection.execute(sa.select(request_t.c.id).where(*open_requests)).first() is not None
    kinds = _kinds_due(connection, case, policy, now, requested=requested)
    this_contact = contact_t.c.complaint_id == complaint_id
    if Kind.contact in kinds:
        connection.execute(sa.update(contact_t).where(this_contact).values(name="", phone=""))
    if Kind.chat in kinds:
        connection.execute(sa.update(contact_t).where(this_contact).values(channel_user=""))
    if Kind.photos in kinds:
        connection.execute(sa.delete(photo_t).where(photo_t.c.complaint_id == complaint_id))
    if kinds:
        # Nothing is left to tell the consumer apart: no row, and no hash of their identity to recognise a resend.
        connection.execute(
            sa.delete(contact_t).where(
                this_contact, contact_t.c.name == "", contact_t.c.phone == "", contact_t.c.channel_user == ""
            )
        )
        connection.execute(sa.update(complaint_t).where(complaint_t.c.id == complaint_id).values(dedupe_key=None))
        connection.execute(
            sa.insert(event_t).values(
                complaint_id=complaint_id,
                at=now,
                actor_role=Role.system,
                actor_id=None,
                action=REMOVED,
                from_status=case.status,
                to_status=case.status,
                public=True,
                facts={"kinds": [kind.value for kind in kinds], "reason": "request" if requested else "retention"},
            )
        )
    if requested:
        connection.execute(sa.update(request_t).where(*open_requests).values(done_at=now))
    return kinds, requested


def _fill_ended_at(connection: sa.Connection, now: datetime, limit: int) -> int:
    """Give up to ``limit`` ended cases without ``ended_at`` the time they moved into their status (a case that
    ended before the column existed, or under a release that does not write it)."""
    ids = list(
        connection.execute(
            sa.select(complaint_t.c.id)
            .where(complaint_t.c.ended_at.is_(None), complaint_t.c.status.not_in(sorted(PENDING)))
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return 0
    moved_in = (
        sa.select(sa.func.max(event_t.c.at))
        .where(
            event_t.c.complaint_id == complaint_t.c.id,
            event_t.c.to_status == complaint_t.c.status,
            event_t.c.from_status != event_t.c.to_status,
        )
        .scalar_subquery()
    )
    connection.execute(
        sa.update(complaint_t)
        .where(complaint_t.c.id.in_(ids))
        .values(ended_at=sa.func.coalesce(moved_in, complaint_t.c.received_at))
    )
    return len(ids)


@dataclass(frozen=True)
class AgedRows:
    """Rows deleted once ``column`` is older than ``keep``; ``name`` is what the report calls them."""

    name: str
    table: sa.Table
    column: sa.ColumnElement[datetime]
    keep: timedelta


def _delete_older(connection: sa.Connection, rows: AgedRows, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the rows written before ``cutoff``; how many went."""
    key = sa.tuple_(*rows.table.primary_key.columns)
    oldest = sa.select(*rows.table.primary_key.columns).where(rows.column < cutoff).limit(limit)
    return int(connection.execute(sa.delete(rows.table).where(key.in_(oldest))).rowcount)


async def _batches(writer: AsyncEngine, work: Callable[[sa.Connection], int]) -> int:
    """Run ``work`` in its own transaction until it does nothing; the total it reports."""
    total = 0
    while True:
        async with writer.begin() as connection:
            done = await connection.run_sync(work)
        total += done
        if not done:
            return total


async def purge_due(
    writer: AsyncEngine,
    policy: RetentionPolicy,
    *,
    now: datetime,
    aged: Sequence[AgedRows] = (),
    batch: int = BATCH,
) -> PurgeReport:
    """Remove every piece of personal data that is due at ``now``: the cases' (see the module's docstring), the
    contact-access log's, and the ``aged`` rows'. ``writer`` begins write transactions (on SQLite the composition
    root's ``for_writing(engine)``)."""
    report = PurgeReport()
    report.ended_filled = await _batches(writer, lambda connection: _fill_ended_at(connection, now, batch))

    def purge_cases(connection: sa.Connection) -> int:
        changed = 0
        for complaint_id in _cases_due(connection, policy, now, batch):
            kinds, requested = _purge_case(connection, complaint_id, policy, now)
            changed += bool(kinds) or requested
            report.cases += bool(kinds)
            report.requests += requested
            for kind in kinds:
                report.kinds[kind.value] = report.kinds.get(kind.value, 0) + 1
        # A batch that changed nothing ends the run: whatever it found is not due after all (checked under lock).
        return changed

    await _batches(writer, purge_cases)
    access_log = AgedRows("access_log", access_t, access_t.c.at, policy.access_log)
    for rows in (access_log, *aged):
        report.aged[rows.name] = await _batches(
            writer, functools.partial(_delete_older, rows=rows, cutoff=now - rows.keep, limit=batch)
        )
    return report
