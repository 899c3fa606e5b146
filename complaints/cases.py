"""Moving a stored case through its workflow, and giving out reference numbers.

The one place where a case's status changes: the workflow decides whether the action is allowed, and the
status and the timeline event are written in the caller's transaction, so neither exists without the other.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.case_effects import apply_effects, check_effects
from complaints.deadlines.case_deadlines import MOVES_DEADLINE, DeadlineRules, recount_handling_deadline
from complaints.models import Complaint, ComplaintContact, ComplaintEvent, ReferenceCounter
from complaints.outbox.notify import notify_consumer
from complaints.submission import MAX_TEXT_CHARS, Contact
from complaints.workflow import (
    GROUND,
    MESSAGE,
    MESSAGE_EN,
    OUTCOME,
    REFUND_YUAN,
    CaseStatus,
    History,
    Intent,
    Role,
    Step,
    take,
)
from lookup.identifiers import REFERENCE_PREFIX
from lookup.models import table_of
from lookup.problems import Kind, Problem

complaint_t, event_t, counter_t = table_of(Complaint), table_of(ComplaintEvent), table_of(ReferenceCounter)
PENDING = frozenset(
    {CaseStatus.received, CaseStatus.with_merchant, CaseStatus.accepted, CaseStatus.mediating, CaseStatus.verifying}
)


class CaseNotFound(Problem, LookupError):
    """No case has the id (it was deleted, or never was)."""

    kind = Kind.not_found

    @classmethod
    def of(cls, complaint_id: int) -> CaseNotFound:
        return cls("not_found", f"没有编号为 {complaint_id} 的案件。", f"no case with id {complaint_id}")


class StaleCase(Problem):
    """The action was taken on an earlier version of the case than the one stored: someone acted in between."""

    kind = Kind.conflict

    @classmethod
    def of(cls, version: int) -> StaleCase:
        return cls(
            "stale_case",
            "您打开这个案件之后，已有人办理过它；请查看它现在的状态再办理。",
            f"The case changed since that view (it is now at version {version}): look at it and act again.",
        )


def case_version(connection: sa.Connection, complaint_id: int) -> int:
    """The case's version: the id of the last event of its timeline (every action adds one), 0 for none."""
    return int(
        connection.execute(
            sa.select(sa.func.coalesce(sa.func.max(event_t.c.id), 0)).where(event_t.c.complaint_id == complaint_id)
        ).scalar_one()
    )


async def next_reference(connection: AsyncConnection, day: date) -> str:
    """`JL20261123-0001`: the day's next number, atomic across processes (one upsert of the day's row)."""
    return await connection.run_sync(reserve_reference, day)


def reserve_reference(connection: sa.Connection, day: date) -> str:
    """:func:`next_reference` for code already running on the synchronous side (inside ``run_sync``)."""
    number = connection.execute(_next_number(connection.dialect.name), {"day": day}).scalar_one()
    return f"{REFERENCE_PREFIX}{day:%Y%m%d}-{number:04d}"


@functools.cache
def _next_number(dialect_name: str) -> sa.Executable:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement: sa.Executable = (
        dialect.insert(counter_t)
        .values(day=sa.bindparam("day"), last=1)
        .on_conflict_do_update(index_elements=[counter_t.c.day], set_={"last": counter_t.c.last + 1})
        .returning(counter_t.c.last)
    )
    return statement


async def take_action(
    connection: AsyncConnection,
    complaint_id: int,
    action: str,
    *,
    role: Role,
    actor_id: int | None,
    facts: Mapping[str, object],
    now: datetime,
    rules: DeadlineRules | None = None,
    expected_version: int | None = None,
) -> Step:
    """Apply `action` to the case; raises WorkflowError (nothing written) when the workflow refuses it, and
    :class:`StaleCase` when ``expected_version`` is given and the case has moved on since.

    A public event is queued for the consumer (:mod:`complaints.outbox.notify`); with ``rules``, an action that moves
    the handling deadline (acceptance, a pause for testing, an extension) stores the new one.

    Run it in a transaction that locks before it reads: PostgreSQL gets FOR UPDATE below, SQLite ignores it
    and needs the transaction begun IMMEDIATE (the composition root's `for_writing(engine)`).
    """
    return await connection.run_sync(
        functools.partial(apply_action, expected_version=expected_version),
        complaint_id,
        action,
        role=role,
        actor_id=actor_id,
        facts=facts,
        now=now,
        rules=rules,
    )


def apply_action(
    connection: sa.Connection,
    complaint_id: int,
    action: str,
    *,
    role: Role,
    actor_id: int | None,
    facts: Mapping[str, object],
    now: datetime,
    rules: DeadlineRules | None = None,
    notify: bool = True,
    expected_version: int | None = None,
) -> Step:
    """:func:`take_action` for code already running on the synchronous side (inside ``run_sync``).

    ``notify=False`` leaves telling the consumer to the caller (intake, whose acknowledgement carries the answer).
    """
    row = (
        connection.execute(
            sa.select(complaint_t.c.intent, complaint_t.c.status, complaint_t.c.received_at)
            .where(complaint_t.c.id == complaint_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise CaseNotFound.of(complaint_id)
    if expected_version is not None and (version := case_version(connection, complaint_id)) != expected_version:
        raise StaleCase.of(version)
    status = CaseStatus(row.status)
    history = History.of(
        connection.execute(
            sa.select(event_t.c.action).where(event_t.c.complaint_id == complaint_id).order_by(event_t.c.id)
        ).scalars()
    )
    step = take(Intent(row.intent), status, action, role, facts, history)
    check_effects(connection, action, status, step.facts)
    if step.status_changed:
        changes: dict[str, object] = {"status": step.status}
        if step.status not in PENDING:
            changes["due_on"] = None  # nothing left to do by a date: the case leaves the deadline order
            # Personal data is kept for a set time after this (complaints.personal_data.retention); closing a
            # decided case moves it on, so a rating asked at the close still reaches the consumer.
            changes["ended_at"] = now
        connection.execute(sa.update(complaint_t).where(complaint_t.c.id == complaint_id).values(**changes))
    event_id = connection.execute(
        sa.insert(event_t)
        .values(
            complaint_id=complaint_id,
            at=now,
            actor_role=role,
            actor_id=actor_id,
            action=action,
            from_status=status,
            to_status=step.status,
            public=step.public,
            facts=dict(step.facts),
        )
        .returning(event_t.c.id)
    ).scalar_one()
    zone = rules.zone if rules is not None else UTC
    apply_effects(
        connection, complaint_id, action, step.facts, rules=rules, received_on=row.received_at.astimezone(zone).date()
    )
    if step.public and notify:
        # The statutory ground of a refusal and a mediation's outcome are public (the consumer must be told why
        # and what was agreed); the handler's note is not.
        public_facts = (MESSAGE, MESSAGE_EN, GROUND, OUTCOME, REFUND_YUAN)
        said = {name: step.facts[name] for name in public_facts if name in step.facts}
        payload = {"action": action, "status": step.status.value, **said}
        told = notify_consumer(connection, complaint_id, kind=action, key=f"event:{event_id}", payload=payload, now=now)
        step = dataclasses.replace(step, told=told)
    if rules is not None and action in MOVES_DEADLINE:
        recount_handling_deadline(connection, complaint_id, rules, now.astimezone(rules.zone).date())
    return step


PHOTO_ADDED = "photo_added"  # the timeline's event for a chat photo sent after the receipt
CONTACT_ADDED = "contact_added"  # the timeline's event for a name or phone the consumer sent after the receipt


async def add_contact(
    connection: AsyncConnection, complaint_id: int, given: Contact, *, now: datetime, public: bool = False
) -> tuple[str, ...]:
    """A name or phone the consumer sends after their case was received (the receipt or the status page asked for
    them), from the chat or the status page: filled in where the case has none — nothing given is changed — with a
    timeline event the handler sees (it names what was added, never the values; ``public`` also shows the consumer
    that it came). Returns what was added; nothing when the case had both already or has ended."""
    contact_t = table_of(ComplaintContact)
    status = await _pending_status(connection, complaint_id)
    if status is None:
        return ()
    held = (
        await connection.execute(
            sa.select(contact_t.c.name, contact_t.c.phone, contact_t.c.consent_to_contact).where(
                contact_t.c.complaint_id == complaint_id
            )
        )
    ).first()
    values: dict[str, object] = {}
    if given.name and not (held and held.name):
        values["name"] = given.name
    if given.phone and not (held and held.phone):
        values["phone"] = given.phone
    if not values:
        return ()
    if (given.consent or "phone" in values) and not (held and held.consent_to_contact):
        values["consent_to_contact"] = True  # a number sent to be called back on
    if held is None:
        await connection.execute(sa.insert(contact_t).values(complaint_id=complaint_id, **values))
    else:
        await connection.execute(sa.update(contact_t).where(contact_t.c.complaint_id == complaint_id).values(**values))
    added = tuple(field for field in ("name", "phone") if field in values)
    await connection.execute(
        sa.insert(event_t).values(
            complaint_id=complaint_id,
            at=now,
            actor_role=Role.system,  # the consumer is not a workflow role; the service records what they sent
            actor_id=None,
            action=CONTACT_ADDED,
            from_status=status,
            to_status=status,
            public=public,
            facts={"added": list(added)},
        )
    )
    return added


WORDS_ADDED = "words_added"  # the consumer added words to the case after the receipt (joined to its text)
WITHDRAWAL_ASKED = "withdrawal_asked"  # the consumer asked to withdraw the case; the handler decides (ends it)
ADDED_WORDS_HEAD = "补充："  # the line the added words start in the case's text, as a handler reads it


async def add_words(connection: AsyncConnection, complaint_id: int, words: str, *, now: datetime) -> bool:
    """Words the consumer sends about their case after its receipt ("再补充一下 老板还骂人"): joined to the case's text
    on a line of their own, so the handler reads them with the story and erasure takes them with it, and a
    `words_added` event tells when. False, with nothing written, when the case has ended or the text would pass
    the longest a case's text may be."""
    status = await _pending_status(connection, complaint_id)
    if status is None:
        return False
    joined = sa.func.coalesce(complaint_t.c.text, "") + f"\n{ADDED_WORDS_HEAD}{words}"
    changed = await connection.execute(
        sa.update(complaint_t)
        .where(
            complaint_t.c.id == complaint_id,
            sa.func.length(complaint_t.c.text) + len(words) + len(ADDED_WORDS_HEAD) + 1 <= MAX_TEXT_CHARS,
        )
        .values(text=joined)
    )
    if changed.rowcount != 1:
        return False
    await _consumer_event(connection, complaint_id, status, WORDS_ADDED, now=now)
    return True


async def ask_withdrawal(connection: AsyncConnection, complaint_id: int, *, now: datetime) -> bool:
    """「撤销投诉」 after the receipt: a `withdrawal_asked` event on the case's timeline. The case does not move: a
    consumer's withdrawal ends mediation (市场监督管理投诉举报处理暂行办法), and the handler records that, having
    checked with the consumer. False when the case has ended."""
    status = await _pending_status(connection, complaint_id)
    if status is None:
        return False
    await _consumer_event(connection, complaint_id, status, WITHDRAWAL_ASKED, now=now)
    return True


async def _pending_status(connection: AsyncConnection, complaint_id: int) -> str | None:
    """The case's status, its row locked on PostgreSQL for the rest of the transaction; None once it has ended."""
    locked = sa.select(complaint_t.c.status).where(complaint_t.c.id == complaint_id)
    if connection.dialect.name == "postgresql":
        locked = locked.with_for_update()
    status = (await connection.execute(locked)).scalar_one_or_none()
    return status if status is not None and CaseStatus(status) in PENDING else None


async def _consumer_event(
    connection: AsyncConnection, complaint_id: int, status: str, action: str, *, now: datetime
) -> None:
    await connection.execute(
        sa.insert(event_t).values(
            complaint_id=complaint_id, at=now, actor_role=Role.system, actor_id=None, action=action,
            from_status=status, to_status=status, public=True, facts={},
        )
    )  # fmt: skip


def photo_sent_after(connection: sa.Connection, ref: str, *, now: datetime) -> int | None:
    """A chat photo sent for case ``ref`` after its receipt: a timeline event the handler and the consumer see, and
    the case's id to fetch the photo into; None when the case has ended (then the photo is not taken)."""
    row = connection.execute(sa.select(complaint_t.c.id, complaint_t.c.status).where(complaint_t.c.ref == ref)).first()
    if row is None or CaseStatus(row.status) not in PENDING:
        return None
    connection.execute(
        sa.insert(event_t).values(
            complaint_id=row.id, at=now, actor_role=Role.system, actor_id=None, action=PHOTO_ADDED,
            from_status=row.status, to_status=row.status, public=True, facts={},
        )
    )  # fmt: skip
    return int(row.id)
