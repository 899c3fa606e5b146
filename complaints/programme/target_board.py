"""The targets scoreboard: every target of ``targets.toml`` for a year or a month, for the district or one
station, with the figure behind it (47 of 50), whether it is met, each station's figure, the trend by month, and
the figures entered by hand for targets the service cannot compute.

Measures of instruments and merchants come from :mod:`complaints.programme.target_facts`; the reply and
satisfaction rates are the dashboard's own (:func:`complaints.reporting.reports.build_report`), so the two pages
never disagree. A merchant or instrument counts for the station of the merchant; a case for the station whose
queue holds it.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import TargetEntry
from complaints.programme.target_facts import Facts, InstrumentProfile, MerchantProfile, Span, Sums, load_facts
from complaints.programme.targets import CASE_MEASURES, GRID_MEASURES, INSTRUMENT_MEASURES, Target, Targets
from complaints.reporting.reports import Period, Ratio, build_report
from complaints.scope import Scope
from lookup.models import Station, table_of
from lookup.rotation import HOUSEHOLD_METERS, RotationPolicy
from lookup.vocab import Sector

entry_t, station_t = table_of(TargetEntry), table_of(Station)
TREND_MONTHS = 12


class BadPeriod(ValueError):
    """A year or month that cannot be shown (malformed, or not begun yet)."""


def year_span(year: int, today: date) -> Span:
    return Span(date(year, 1, 1), min(date(year, 12, 31), today), f"{year}")


def month_span(year: int, month: int, today: date) -> Span:
    last = calendar.monthrange(year, month)[1]
    return Span(date(year, month, 1), min(date(year, month, last), today), f"{year}-{month:02d}")


def spans_for(*, year: int, month: int | None, today: date) -> tuple[Span, tuple[Span, ...]]:
    """The period asked for, and the months of its trend: a year's months so far, or the twelve months up to a
    month. Raises BadPeriod for a period that has not begun."""
    if not 2000 <= year <= 2999 or (month is not None and not 1 <= month <= 12):
        raise BadPeriod(f"{year}-{month}")
    first = date(year, month or 1, 1)
    if first > today:
        raise BadPeriod(f"{first:%Y-%m} has not begun")
    if month is None:
        last = 12 if year < today.year else today.month
        return year_span(year, today), tuple(month_span(year, m, today) for m in range(1, last + 1))
    months = []
    y, m = year, month
    for _ in range(TREND_MONTHS):
        months.append(month_span(y, m, today))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return month_span(year, month, today), tuple(reversed(months))


@dataclass(frozen=True, slots=True)
class Figure:
    value: Decimal | None  # a share from 0 to 1, or a count; None: nothing to measure
    part: int | None = None
    whole: int | None = None
    met: bool | None = None


def ratio(part: int, whole: int, target: Target) -> Figure:
    value = Decimal(part) / Decimal(whole) if whole else None
    return Figure(value, part, whole, target.met(value))


@dataclass(frozen=True, slots=True)
class Entry:
    value: Decimal
    note: str
    entered_by: int | None
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class Line:
    target: Target
    figure: Figure  # the period, for the scope (the district, or the chosen station)
    stations: Mapping[int, Figure]  # the period, for each station (computed targets)
    trend: tuple[Figure, ...]  # the scope's figure for each trend month (computed targets)
    entry: Entry | None = None  # a manual target's figure


@dataclass(frozen=True, slots=True)
class Board:
    period: Span
    trend: tuple[Span, ...]
    station_id: int | None  # None: the district
    stations: tuple[tuple[int, str], ...]
    lines: tuple[Line, ...]

    def grid(self) -> list[tuple[str, dict[str, Line]]]:
        """The table of objects (rows) and measures of merchants and instruments (columns)."""
        rows: dict[str, dict[str, Line]] = {}
        for line in self.lines:
            if line.target.measure in GRID_MEASURES:
                rows.setdefault(line.target.object, {})[line.target.measure] = line
        return list(rows.items())

    def listed(self) -> list[Line]:
        """Computed targets outside the table (household meters, complaints)."""
        return [line for line in self.lines if line.target.computed and line.target.measure not in GRID_MEASURES]

    def manual(self) -> list[Line]:
        return [line for line in self.lines if not line.target.computed]


def _counts_merchant(target: Target, merchant: MerchantProfile) -> bool:
    if target.sectors and merchant.sector not in target.sectors:
        return False
    # 餐饮店（B级以上）: a restaurant whose grade the district has not recorded is counted rather than left out.
    return not (target.grades and merchant.sector is Sector.restaurant and merchant.grade not in {"", *target.grades})


def _counts_instrument(target: Target, instrument: InstrumentProfile) -> bool:
    if target.kinds and instrument.kind not in target.kinds:
        return False
    if target.mandatory_only and not instrument.mandatory:
        return False
    # Household meters are verified once and replaced, never re-verified: their first verification is a target
    # of its own, so a verification rate counts them only when it names them.
    if target.measure == "verification_rate" and not target.kinds and instrument.kind in HOUSEHOLD_METERS:
        return False
    return _counts_merchant(target, instrument.merchant)


# measure → (the field counted as the part, the field counted as the whole) of a profile's sums
PARTS = {
    "verification_rate": ("current", "serving"),
    "pass_rate": ("passed", "tested"),
    "first_verification_rate": ("first_verified", "installed"),
    "rotation_in_term": ("in_term", "term_known"),
    "commitment_rate": ("committed", "merchants"),
    "model_unit_rate": ("model", "merchants"),
}


def _tally(target: Target, facts: Facts) -> dict[int, list[list[int]]]:
    """Station → per span [part, whole]."""
    part, whole = PARTS[target.measure]
    profiles: list[tuple[int, Sums]]
    if target.measure in INSTRUMENT_MEASURES:
        profiles = [(p.merchant.station_id, s) for p, s in facts.instruments.items() if _counts_instrument(target, p)]
    else:
        profiles = [(p.station_id, s) for p, s in facts.merchants.items() if _counts_merchant(target, p)]
    tallies: dict[int, list[list[int]]] = {}
    for station, sums in profiles:
        by_span = tallies.setdefault(station, [[0, 0] for _ in facts.spans])
        for span, pair in enumerate(by_span):
            pair[0] += sums[part][span]
            pair[1] += sums[whole][span]
    return tallies


def _line(target: Target, tallies: Mapping[int, list[list[int]]], station_id: int | None, spans: int) -> Line:
    def scope_sum(span: int) -> tuple[int, int]:
        chosen = [tallies.get(station_id, [])] if station_id is not None else list(tallies.values())
        return (sum(t[span][0] for t in chosen if t), sum(t[span][1] for t in chosen if t))

    return Line(
        target=target,
        figure=ratio(*scope_sum(0), target),
        stations={station: ratio(sums[0][0], sums[0][1], target) for station, sums in tallies.items()},
        trend=tuple(ratio(*scope_sum(span), target) for span in range(1, spans)),
    )


INTAKE = 0  # the intake queues' cases count for the district and for no station (no station's id is 0)


async def _case_tallies(
    connection: AsyncConnection, spans: Sequence[Span], zone: tzinfo
) -> dict[str, dict[int, list[list[int]]]]:
    """Measure → station → per span [part, whole], from the dashboard's figures of each span."""
    tallies: dict[str, dict[int, list[list[int]]]] = {measure: {} for measure in CASE_MEASURES}
    for index, span in enumerate(spans):
        report = await build_report(connection, Scope.everything(), Period(span.start, span.end, zone))
        for row in report.stations:
            for measure, by_station in tallies.items():
                share: Ratio = row.figures.replied if measure == "reply_rate" else row.figures.satisfied
                key = row.station_id if row.station_id is not None else INTAKE
                sums = by_station.setdefault(key, [[0, 0] for _ in spans])
                sums[index] = [share.part, share.whole]
    return tallies


async def entries(connection: AsyncConnection, period: str) -> dict[str, Entry]:
    e = entry_t.c
    rows = await connection.execute(
        sa.select(e.target_code, e.value, e.note, e.entered_by, e.entered_at).where(e.period == period)
    )
    return {code: Entry(Decimal(str(value)), note, by, at) for code, value, note, by, at in rows}


async def record_entries(
    connection: AsyncConnection,
    period: str,
    values: Mapping[str, tuple[Decimal, str]],
    *,
    by: int | None,
    now: datetime,
) -> None:
    """Store hand-entered figures for a period (replacing earlier ones of the same targets). Run it in a write
    transaction."""
    for code, (value, note) in values.items():
        await connection.execute(sa.delete(entry_t).where(entry_t.c.target_code == code, entry_t.c.period == period))
        await connection.execute(
            sa.insert(entry_t).values(
                target_code=code, period=period, value=value, note=note, entered_by=by, entered_at=now
            )
        )


def _manual_line(target: Target, entry: Entry | None) -> Line:
    value = entry.value if entry else None
    return Line(target, Figure(value, met=target.met(value)), {}, (), entry)


async def manual_lines(connection: AsyncConnection, targets: Targets, period: Span) -> list[Line]:
    """The targets entered by hand, with their figures for the period."""
    entered = await entries(connection, period.key)
    return [_manual_line(target, entered.get(target.code)) for target in targets.targets if not target.computed]


async def build_board(
    connection: AsyncConnection,
    targets: Targets,
    *,
    period: Span,
    trend: Sequence[Span],
    station_id: int | None,
    policy: RotationPolicy,
    zone: tzinfo,
) -> Board:
    """Every target for the period (and its trend), for the district or one station."""
    spans = (period, *trend)
    facts = await load_facts(connection, spans, policy=policy)
    cases = await _case_tallies(connection, spans, zone)
    entered = await entries(connection, period.key)
    stations = await connection.execute(sa.select(station_t.c.id, station_t.c.name).order_by(station_t.c.name))
    names = tuple((int(row.id), str(row.name)) for row in stations)
    lines = []
    for target in targets.targets:
        if not target.computed:
            lines.append(_manual_line(target, entered.get(target.code)))
            continue
        tallies = cases[target.measure] if target.measure in CASE_MEASURES else _tally(target, facts)
        lines.append(_line(target, tallies, station_id, len(spans)))
    return Board(period, tuple(trend), station_id, names, tuple(lines))
