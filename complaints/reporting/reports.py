"""The dashboard's figures (DESIGN.md, issue 4 §5): what a station or the district did with a period's cases.

Every figure is about the cases *received* in the period (local dates, both inclusive), as they stand when the
report is made: a case received on 30 November and resolved on 3 December counts in November's report. Cases are
split by where they wait now: a station's queue, or the district's intake queues (one row, no station).

- cases by category and ISO week (``2026-W48``) of the local date of receipt;
- reply rate: of the complaints and inquiries, the share with at least one public ``reply`` or ``answer`` event
  (target 100 %);
- on-time rate: of the decided cases, the share whose first deciding event (``accept``/``decline``/``transfer``
  for a complaint, ``open_case``/``no_case`` for a report, ``answer`` for an inquiry) happened, in local time, on
  or before the deadline stored on the case (``accept_due`` for a complaint, ``handle_due`` for a report —
  extensions included —, ``accept_due`` for an inquiry). A decision with no stored deadline (inquiries normally
  have none) is left out of the figure, neither on time nor late;
- mediation success: resolved / (resolved + mediation failed), by their ``resolve`` and ``end_mediation`` events;
- satisfaction rate: ratings of 4 or 5 / cases rated (target ≥ 90 %);
- money recovered: the sum of ``refund_yuan`` on ``resolve`` events (amounts that are not a non-negative number
  are ignored).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.classify.taxonomy import CATEGORIES
from complaints.models import Complaint, ComplaintEvent, Queue
from complaints.scope import Scope
from complaints.workflow import Intent
from lookup.models import Station, table_of

complaint_t, event_t, station_t = table_of(Complaint), table_of(ComplaintEvent), table_of(Station)
_c = complaint_t.c

REPLY_TARGET = 1.0
SATISFACTION_TARGET = 0.9
REPLIED_ACTIONS = ("reply", "answer")
DECIDING_ACTIONS: Mapping[Intent, tuple[str, ...]] = {
    Intent.complaint: ("accept", "decline", "transfer"),
    Intent.report: ("open_case", "no_case"),
    Intent.inquiry: ("answer",),
}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` … ``end``, both inclusive, read in ``zone``."""

    start: date
    end: date
    zone: tzinfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a period cannot end ({self.end}) before it starts ({self.start})")

    @classmethod
    def month(cls, year: int, month: int, zone: tzinfo) -> Period:
        last = calendar.monthrange(year, month)[1]  # ValueError for a month outside 1…12
        return cls(date(year, month, 1), date(year, month, last), zone)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: midnight at the start, midnight after the last day."""
        return (
            datetime.combine(self.start, time(), self.zone),
            datetime.combine(self.end + timedelta(days=1), time(), self.zone),
        )

    def weeks(self) -> tuple[str, ...]:
        """Every ISO week with a day in the period, in order."""
        labels: dict[str, None] = {}
        day = self.start
        while day <= self.end:
            labels[iso_week(day)] = None
            day += timedelta(days=1)
        return tuple(labels)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        """part / whole, or None when there is nothing to measure."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Figures:
    cases: int
    replied: Ratio
    on_time: Ratio
    mediation: Ratio
    satisfied: Ratio
    refunds_yuan: Decimal


@dataclass(frozen=True)
class StationFigures:
    station_id: int | None  # None: the district's intake queues
    station_name: str | None
    figures: Figures


@dataclass(frozen=True)
class Report:
    period: Period
    weeks: tuple[str, ...]
    categories: tuple[str, ...]  # the taxonomy's order, only categories with cases
    by_week: dict[str, dict[str, int]]  # week → category → cases (zero counts left out)
    stations: tuple[StationFigures, ...]
    total: Figures


@dataclass
class _Tally:
    cases: int = 0
    asked: int = 0  # complaints and inquiries
    replied: int = 0
    decided: int = 0
    on_time: int = 0
    resolved: int = 0
    failed: int = 0
    rated: int = 0
    satisfied: int = 0
    refunds: Decimal = field(default_factory=Decimal)

    def add(self, other: _Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> Figures:
        return Figures(
            cases=self.cases,
            replied=Ratio(self.replied, self.asked),
            on_time=Ratio(self.on_time, self.decided),
            mediation=Ratio(self.resolved, self.resolved + self.failed),
            satisfied=Ratio(self.satisfied, self.rated),
            refunds_yuan=self.refunds.quantize(CENT),
        )


def _received_in(period: Period) -> sa.ColumnElement[bool]:
    start, end = period.bounds()
    return sa.and_(_c.received_at >= start, _c.received_at < end)


def _station_key(queue: Any, station_id: int | None) -> int | None:
    return station_id if Queue(queue) is Queue.station else None


def _narrowed(
    scope: Scope, period: Period, merchant_id: int | None, intent: Intent | None, market_ids: Sequence[int] | None
) -> list[Any]:
    conditions: list[Any] = [scope.case_condition(_c.station_id, _c.queue), _received_in(period)]
    if merchant_id is not None:
        conditions.append(_c.merchant_id == merchant_id)
    if market_ids is not None:
        conditions.append(_c.market_id.in_(list(market_ids)))
    if intent is not None:
        conditions.append(_c.intent == intent)
    return conditions


def _case_statement(scope: Scope, period: Period, narrowed: list[Any]) -> sa.Select[Any]:
    e = event_t.alias("e")

    def happened(*conditions: sa.ColumnElement[bool]) -> sa.Exists:
        return sa.exists().where(e.c.complaint_id == _c.id, *conditions)

    decides = sa.or_(
        *(sa.and_(_c.intent == intent, e.c.action.in_(actions)) for intent, actions in DECIDING_ACTIONS.items())
    )
    decided_at = sa.select(sa.func.min(e.c.at)).where(e.c.complaint_id == _c.id, decides).scalar_subquery()
    return sa.select(
        _c.queue,
        _c.station_id,
        _c.intent,
        _c.category,
        _c.received_at,
        _c.satisfaction,
        _c.accept_due,
        _c.handle_due,
        happened(e.c.public.is_(True), e.c.action.in_(REPLIED_ACTIONS)).label("replied"),
        decided_at.label("decided_at"),
        happened(e.c.action == "resolve").label("resolved"),
        happened(e.c.action == "end_mediation").label("failed"),
    ).where(*narrowed)


def refund_amount(value: object) -> Decimal:
    """A ``refund_yuan`` fact as a sum of money; 0 for anything that is not a non-negative number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal(0)
    return amount if amount.is_finite() and amount >= 0 else Decimal(0)


def _deadline(intent: Intent, accept_due: date | None, handle_due: date | None) -> date | None:
    return handle_due if intent is Intent.report else accept_due


def _as_utc_aware(moment: Any) -> datetime:
    # A MIN() over the event times comes back as the driver gives it: SQLite's is a naive UTC text or datetime.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if not isinstance(moment, datetime):
        raise TypeError(f"not a time: {moment!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _station_names(connection: AsyncConnection, scope: Scope) -> dict[int, str]:
    query = sa.select(station_t.c.id, station_t.c.name).where(scope.station_condition(station_t.c.id))
    query = query.order_by(station_t.c.name)
    return {int(row.id): str(row.name) for row in await connection.execute(query)}


async def build_report(
    connection: AsyncConnection,
    scope: Scope,
    period: Period,
    *,
    merchant_id: int | None = None,
    intent: Intent | None = None,
    market_ids: Sequence[int] | None = None,
) -> Report:
    """The figures of the scope's cases received in the period: per station, for the intake queues, in total.

    ``merchant_id``, ``intent`` and ``market_ids`` narrow the cases (a merchant's public record counts its
    complaints; the integrity index, an area's markets').
    """
    narrowed = _narrowed(scope, period, merchant_id, intent, market_ids)
    zone = period.zone
    tallies: dict[int | None, _Tally] = defaultdict(_Tally)
    by_week: dict[str, dict[str, int]] = {week: {} for week in period.weeks()}
    for row in await connection.execute(_case_statement(scope, period, narrowed)):
        tally = tallies[_station_key(row.queue, row.station_id)]
        intent = Intent(row.intent)
        tally.cases += 1
        week = by_week.setdefault(iso_week(row.received_at.astimezone(zone).date()), {})
        week[row.category] = week.get(row.category, 0) + 1
        if intent in (Intent.complaint, Intent.inquiry):
            tally.asked += 1
            tally.replied += bool(row.replied)
        deadline = _deadline(intent, row.accept_due, row.handle_due)
        if row.decided_at is not None and deadline is not None:
            tally.decided += 1
            tally.on_time += _as_utc_aware(row.decided_at).astimezone(zone).date() <= deadline
        tally.resolved += bool(row.resolved)
        tally.failed += bool(row.failed)
        if row.satisfaction is not None:
            tally.rated += 1
            tally.satisfied += row.satisfaction >= 4
    e = event_t.alias("e")
    refunds = sa.select(_c.queue, _c.station_id, e.c.facts).join(e, e.c.complaint_id == _c.id)
    for queue, station_id, facts in await connection.execute(refunds.where(e.c.action == "resolve", *narrowed)):
        tallies[_station_key(queue, station_id)].refunds += refund_amount((facts or {}).get("refund_yuan"))
    names = await _station_names(connection, scope)
    return _assemble(period, tallies, by_week, names, intake=scope.intake_queues)


def _assemble(
    period: Period,
    tallies: Mapping[int | None, _Tally],
    by_week: dict[str, dict[str, int]],
    names: Mapping[int, str],
    *,
    intake: bool,
) -> Report:
    rows = [
        StationFigures(station_id, name, tallies.get(station_id, _Tally()).figures())
        for station_id, name in names.items()
    ]
    # A case whose station is not in the scope's station list cannot occur (the scope selects by station); the
    # intake row shows only when the scope has the intake queues and something waits there.
    if intake and None in tallies:
        rows.append(StationFigures(None, None, tallies[None].figures()))
    total = _Tally()
    for tally in tallies.values():
        total.add(tally)
    used = {category for counts in by_week.values() for category in counts}
    categories = tuple(c for c in CATEGORIES if c in used) + tuple(sorted(used - set(CATEGORIES)))
    return Report(
        period=period,
        weeks=tuple(by_week),
        categories=categories,
        by_week=by_week,
        stations=tuple(rows),
        total=total.figures(),
    )
