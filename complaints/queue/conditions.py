"""Which cases the handlers' queue reads: a viewer's scope (:class:`complaints.scope.Scope`) and the filters they
chose, as SQL conditions.

The scope comes as disjoint branches, one per station or intake queue, each of which
:mod:`complaints.queue.listing` walks in deadline order off its own index. Filters come as named conditions, so
that a facet's counts can leave out its own.

Text search runs LIKE with the user's words escaped and bound as a parameter (ILIKE on PostgreSQL for words
with Latin letters; SQLite's LIKE ignores their case itself). On PostgreSQL the trigram GIN index
``ix_complaint_text_trgm`` serves words of three characters or more; shorter words have no trigrams and are
served by ``ix_complaint_text_short_grams`` (every text's characters and character pairs, migration 0010). For
a common word the planner still prefers walking the deadline index and checking rows as it goes. A search that
looks like a case reference also finds that case by its ``ref``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from complaints.models import Complaint, Priority, Queue
from complaints.scope import INTAKE_QUEUES, Scope
from complaints.workflow import CaseStatus, Intent
from lookup.identifiers import parse_reference
from lookup.legal_use import LegalUse
from lookup.models import Instrument, table_of

complaint_t, instrument_t = table_of(Complaint), table_of(Instrument)
_c = complaint_t.c

MAX_SEARCH_CHARS = 200
FACETS = ("status", "intent", "category", "priority", "channel")
_LIKE_SPECIAL = re.compile(r"([\\%_])")


@dataclass(frozen=True)
class QueueFilter:
    """What the viewer narrowed the queue to; every field is optional and the fields combine with AND.

    ``received_from``/``received_to`` are local dates, both inclusive, turned into UTC bounds with ``zone``.
    ``text`` finds cases whose words contain it (Latin letters in any case), and the case whose reference it is.
    ``overdue_only`` keeps cases whose deadline is before ``today``, which it then needs.
    """

    status: CaseStatus | None = None
    intent: Intent | None = None
    category: str | None = None
    priority: Priority | None = None
    channel: str | None = None
    queue: Queue | None = None
    received_from: date | None = None
    received_to: date | None = None
    zone: tzinfo = UTC
    text: str | None = None
    needs_triage: bool | None = None
    overdue_only: bool = False
    today: date | None = None
    assignee: str | None = None  # the username a case is assigned to ("assigned to me")
    legal_use: LegalUse | None = None  # the field of use (用途) of the instrument the case names

    def __post_init__(self) -> None:
        if self.overdue_only and self.today is None:
            raise ValueError("overdue_only needs today's date (QueueFilter.today)")
        if self.text is not None and len(self.text) > MAX_SEARCH_CHARS:
            raise ValueError(f"a search is at most {MAX_SEARCH_CHARS} characters")


def escape_like(text: str) -> str:
    """``text`` as a LIKE pattern that matches only itself (escape character: backslash)."""
    return _LIKE_SPECIAL.sub(r"\\\1", text)


def scope_branches(scope: Scope, filters: QueueFilter) -> list[sa.ColumnElement[bool]]:
    """Disjoint conditions whose union is the scope, each one an index walks in (due_on, id) order.

    A station's cases are those with its station_id (``ix_complaint_station_due``; counted from an index alone);
    the intake queues' cases are those in the queue (``ix_complaint_queue_due``). Routing keeps a case in the
    station queue with a station and a case in an intake queue without one: branches for a queue the filter
    excludes are left out, not walked to find nothing.
    """
    queues = [queue for queue in Queue if filters.queue in (None, queue)]
    intake = [queue for queue in INTAKE_QUEUES if scope.intake_queues and queue in queues]
    if scope.station_ids is None:
        return [_c.queue == queue for queue in queues if queue is Queue.station or queue in intake]
    branches: list[sa.ColumnElement[bool]] = []
    if Queue.station in queues:
        branches += [_c.station_id == station_id for station_id in sorted(scope.station_ids)]
    return branches + [sa.and_(_c.queue == queue, _c.station_id.is_(None)) for queue in intake]


def scope_condition(scope: Scope, filters: QueueFilter) -> list[sa.ColumnElement[bool]]:
    """The scope as one condition (none at all for every case), or [] when it holds no case."""
    if scope.whole_district and filters.queue is None:
        return [sa.true()]
    branches = scope_branches(scope, filters)
    if len(branches) <= 1:
        return branches
    return [sa.or_(*branches)]


SHORT_GRAM = 2  # the longest piece migration 0010 indexes


def _short_grams(column: sa.ColumnElement[str]) -> sa.ColumnElement[list[str]]:
    return sa.func.fairweigh_short_grams(column, type_=postgresql.ARRAY(sa.Text))


def _search(text: str, dialect: str) -> sa.ColumnElement[bool] | None:
    words = text.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text; nobody types one
    if not words:
        return None
    pattern = f"%{escape_like(words)}%"
    # SQLite's LIKE ignores the case of Latin letters already. PostgreSQL's ILIKE folds every character of every
    # text it reads (three times LIKE's time on a scan): it is only asked for when the words have letters with
    # a case at all, which Chinese characters have not.
    caseless = words.lower() == words.upper()
    if dialect == "postgresql" and not caseless:
        found: sa.ColumnElement[bool] = _c.text.ilike(pattern, escape="\\")
    else:
        found = _c.text.like(pattern, escape="\\")
    if dialect == "postgresql" and len(words) <= SHORT_GRAM:
        # Too short for the trigram index: ask the index of characters and pairs (migration 0010) first.
        found = sa.and_(_short_grams(_c.text).contains([words.lower()]), found)
    reference = parse_reference(words)
    if reference is not None:
        return sa.or_(_c.ref == reference, found)
    return found


def filter_conditions(filters: QueueFilter, dialect: str) -> dict[str, sa.ColumnElement[bool]]:
    """The filter's conditions by name: a facet's counts leave out the facet's own condition."""
    conditions: dict[str, sa.ColumnElement[bool]] = {}
    for name in (*FACETS, "queue", "needs_triage"):
        value = getattr(filters, name)
        if value is not None:
            conditions[name] = _c[name] == value
    if filters.received_from is not None:
        start = datetime.combine(filters.received_from, time(), filters.zone)
        conditions["received_from"] = _c.received_at >= start
    if filters.received_to is not None:
        end = datetime.combine(filters.received_to + timedelta(days=1), time(), filters.zone)
        conditions["received_to"] = _c.received_at < end
    if filters.text is not None:
        search = _search(filters.text, dialect)
        if search is not None:
            conditions["text"] = search
    if filters.overdue_only:
        conditions["overdue"] = _c.due_on < filters.today
    if filters.assignee is not None:
        conditions["assignee"] = _c.assignee == filters.assignee
    if filters.legal_use is not None:
        used = sa.select(instrument_t.c.id).where(instrument_t.c.legal_use == filters.legal_use)
        conditions["legal_use"] = _c.instrument_id.in_(used)
    return conditions
