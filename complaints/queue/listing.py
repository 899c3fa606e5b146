"""The handlers' queue: the cases a viewer may see, nearest deadline first, paged, counted and faceted.

Which cases those are (the viewer's scope, the filters, the text search) is :mod:`complaints.queue.conditions`.

Order: ``due_on`` ascending, cases with nothing pending (``due_on`` NULL) last, then ``id``. Pages are keyset
pages: the opaque cursor holds the last row's (due_on, id), and the next page starts strictly after it, so a
deep page costs what the first one does.

Both databases read that order straight off an index, with no sort of the whole scope:

- NULLs last in two phases, rows with a deadline (``due_on IS NOT NULL``, ordered by due_on, id), then rows
  without (``due_on IS NULL``, ordered by id). SQLite and PostgreSQL disagree on where NULLs sort, and neither
  walks an index in an order that needs an expression such as COALESCE;
- the scope is split into disjoint branches, one per station (``ix_complaint_station_due``: station_id, due_on,
  id) or per queue (``ix_complaint_queue_due``: queue, due_on, id). Each branch reads at most one page in index
  order; a scope of several branches merges them in one UNION ALL statement and keeps the first page of the
  merged order. Filters narrow the rows each walk keeps; the walk stops once it has a page.

On PostgreSQL every query here is planned for the values it runs with (``plan_cache_mode`` is set to
``force_custom_plan`` for the caller's transaction). asyncpg prepares statements, and after five runs PostgreSQL
may switch a prepared statement to a generic plan that cannot see the values: for a search it then assumes any
pattern is selective and reads the trigram index even for a two-character word, which has no trigrams, so the
whole index (measured: 4.6 s on 1,000,000 cases, against 7 ms for the plan chosen with the value in view).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Priority, Queue
from complaints.queue.conditions import (
    FACETS,
    QueueFilter,
    complaint_t,
    filter_conditions,
    scope_branches,
    scope_condition,
)
from complaints.scope import Scope
from complaints.workflow import CaseStatus, Intent
from lookup.problems import Problem

_c = complaint_t.c

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
EXCERPT_CHARS = 80


class BadCursor(Problem, ValueError):
    """A page cursor this module did not write (truncated, edited, or from something else)."""


class Urgency(StrEnum):
    """How a row stands against today: the queue makes the first two stand out."""

    overdue = "overdue"
    due_today = "due_today"
    upcoming = "upcoming"
    none = "none"  # nothing pending


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    ref: str
    received_at: datetime  # UTC
    intent: Intent
    category: str
    priority: Priority
    status: CaseStatus
    channel: str
    queue: Queue
    station_id: int | None
    due_on: date | None
    needs_triage: bool
    excerpt: str  # the first EXCERPT_CHARS characters of the shopper's words, on one line

    def urgency(self, today: date) -> Urgency:
        if self.due_on is None:
            return Urgency.none
        if self.due_on < today:
            return Urgency.overdue
        return Urgency.due_today if self.due_on == today else Urgency.upcoming


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None  # None on the last page


@dataclass(frozen=True, slots=True)
class CursorPosition:
    """Where a page ends: the last row's (due_on, id); due_on None once in the rows without a deadline."""

    due_on: date | None
    id: int


def encode_cursor(due_on: date | None, case_id: int) -> str:
    raw = f"{due_on.isoformat() if due_on else ''}|{case_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> CursorPosition:
    """The position :func:`encode_cursor` wrote; BadCursor for anything else."""
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode("ascii")
        due_text, bar, id_text = raw.partition("|")
        if not (bar and id_text.isascii() and id_text.isdigit() and int(id_text) < 2**63):
            raise ValueError(raw)
        return CursorPosition(date.fromisoformat(due_text) if due_text else None, int(id_text))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise BadCursor(
            "bad_cursor",
            "翻页参数 `after` 不对：必须是上一页答复中的 `next`。",
            f"malformed page cursor {cursor[:40]!r}: `after` must be the `next` value of a previous answer",
            field="after",
        ) from exc


_ROW_COLUMNS = (
    _c.id,
    _c.ref,
    _c.received_at,
    _c.intent,
    _c.category,
    _c.priority,
    _c.status,
    _c.channel,
    _c.queue,
    _c.station_id,
    _c.due_on,
    _c.needs_triage,
    sa.func.substr(_c.text, 1, EXCERPT_CHARS + 1).label("excerpt"),
)


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT_CHARS else line[: EXCERPT_CHARS - 1] + "…"


def _page_statement(
    branches: Sequence[sa.ColumnElement[bool]],
    conditions: Sequence[sa.ColumnElement[bool]],
    order: Sequence[sa.ColumnElement[object]],
    limit: int,
) -> sa.Select[tuple[object, ...]] | sa.CompoundSelect[tuple[object, ...]]:
    parts = [sa.select(*_ROW_COLUMNS).where(branch, *conditions).order_by(*order).limit(limit) for branch in branches]
    if len(parts) == 1:
        return parts[0]
    # Each branch reads one page off its own index; the merge sorts at most len(branches) × limit rows.
    pages = [sa.select(*part.subquery().c) for part in parts]
    return sa.union_all(*pages).order_by(*(sa.literal_column(column.name) for column in order)).limit(limit)


# A transaction-local setting: it ends with the caller's transaction and changes nothing else.
_PLAN_FOR_VALUES = sa.select(sa.func.set_config("plan_cache_mode", "force_custom_plan", True))


async def _plan_for_values(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(_PLAN_FOR_VALUES)


async def _fetch(
    connection: AsyncConnection,
    branches: Sequence[sa.ColumnElement[bool]],
    conditions: Sequence[sa.ColumnElement[bool]],
    order: Sequence[sa.ColumnElement[object]],
    limit: int,
) -> list[QueueRow]:
    result = await connection.execute(_page_statement(branches, conditions, order, limit))
    return [
        QueueRow(
            id=row.id,
            ref=row.ref,
            received_at=row.received_at,
            intent=Intent(row.intent),
            category=row.category,
            priority=Priority(row.priority),
            status=CaseStatus(row.status),
            channel=row.channel,
            queue=Queue(row.queue),
            station_id=row.station_id,
            due_on=row.due_on,
            needs_triage=row.needs_triage,
            excerpt=_excerpt(row.excerpt),
        )
        for row in result
    ]


async def list_cases(
    connection: AsyncConnection,
    scope: Scope,
    filters: QueueFilter,
    *,
    after: str | None,
    limit: int = DEFAULT_LIMIT,
) -> QueuePage:
    """One page of the queue, nearest deadline first; ``after`` is the previous page's ``next_cursor``.

    Raises :class:`BadCursor` for a cursor this module did not write and ValueError for a limit outside
    1…MAX_LIMIT.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"a page holds 1 to {MAX_LIMIT} cases, not {limit}")
    position = decode_cursor(after) if after is not None else None
    branches = scope_branches(scope, filters)
    if not branches:
        return QueuePage([], None)
    conditions = list(filter_conditions(filters, connection.dialect.name).values())
    await _plan_for_values(connection)
    wanted = limit + 1  # one more than the page tells whether another page follows
    rows: list[QueueRow] = []
    if position is None or position.due_on is not None:
        start: sa.ColumnElement[bool]
        if position is None:
            start = _c.due_on.is_not(None)
        else:
            due = sa.bindparam("after_due", position.due_on, type_=_c.due_on.type)
            start = sa.tuple_(_c.due_on, _c.id) > sa.tuple_(due, sa.bindparam("after_id", position.id))
        rows += await _fetch(connection, branches, [*conditions, start], [_c.due_on, _c.id], wanted)
    if len(rows) < wanted:
        undated: list[sa.ColumnElement[bool]] = [_c.due_on.is_(None)]
        if position is not None and position.due_on is None:
            undated.append(_c.id > position.id)
        rows += await _fetch(connection, branches, [*conditions, *undated], [_c.id], wanted - len(rows))
    if len(rows) <= limit:
        return QueuePage(rows, None)
    last = rows[limit - 1]
    return QueuePage(rows[:limit], encode_cursor(last.due_on, last.id))


async def count_cases(connection: AsyncConnection, scope: Scope, filters: QueueFilter) -> int:
    """How many cases the filter finds in the scope (every page of :func:`list_cases` together)."""
    scoped = scope_condition(scope, filters)
    if not scoped:
        return 0
    conditions = filter_conditions(filters, connection.dialect.name).values()
    statement = sa.select(sa.func.count()).select_from(complaint_t).where(*scoped, *conditions)
    await _plan_for_values(connection)
    return int((await connection.execute(statement)).scalar_one())


async def facet_counts(connection: AsyncConnection, scope: Scope, filters: QueueFilter) -> dict[str, dict[str, int]]:
    """Per facet (status, intent, category, priority, channel): the cases per value under every *other* filter.

    So the count beside each choice of a filter says what choosing it would find. Values no case has are left
    out; within a facet the largest count comes first.

    One statement, one scan: the cases in the scope that pass every filter but the facets' own are grouped by
    all five facet columns at once (a few hundred combinations), and each facet adds up the combinations that
    pass the other facets' filters. Five GROUP BYs, one per facet, would read the scope five times.
    """
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    scoped = scope_condition(scope, filters)
    if not scoped:
        return counts
    conditions = filter_conditions(filters, connection.dialect.name)
    common = [condition for name, condition in conditions.items() if name not in FACETS]
    columns = [_c[facet] for facet in FACETS]
    statement = (
        sa.select(*(sa.type_coerce(column, sa.String) for column in columns), sa.func.count())
        .where(*scoped, *common)
        .group_by(*columns)
    )
    chosen = {facet: str(getattr(filters, facet)) for facet in FACETS if getattr(filters, facet) is not None}
    await _plan_for_values(connection)
    for *values, n in await connection.execute(statement):
        combination = dict(zip(FACETS, values, strict=True))
        missed = [facet for facet, value in chosen.items() if combination[facet] != value]
        if len(missed) > 1:
            continue
        # Passing every filter, it counts for every facet; missing one facet's filter, for that facet only.
        for facet in missed or FACETS:
            counts[facet][combination[facet]] = counts[facet].get(combination[facet], 0) + int(n)
    return {
        facet: dict(sorted(values.items(), key=lambda item: (-item[1], item[0]))) for facet, values in counts.items()
    }
