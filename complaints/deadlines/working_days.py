"""Chinese working days (工作日) for legal deadlines.

Three sources, chosen per calendar year:

- ``imported``: a schedule an administrator imported (``fairweigh calendar import FILE``). It wins over
  everything else for its whole year, so a district can correct or extend the data without a release.
- ``library``: the ``chinese-calendar`` package, for the years it knows (1.11 knows 2004–2026 and raises
  ``NotImplementedError`` for any other year).
- ``weekdays``: Monday–Friday, for every other year. Deadlines computed this way are marked approximate so
  the case page can warn that the official holiday schedule for that year has not been imported.

Counting convention (the one Chinese procedural law uses for periods, e.g. 民事诉讼法 on 期间, and the SAMR
complaint rules whose periods are in working days): the day of the event (receipt, acceptance, decision) does
not count; counting starts the next day; the period ends on the n-th working day after the event. Because only
working days are counted, the last day is always a working day, so "a last day that falls on a holiday moves to
the next working day" holds by construction.

This module knows nothing about storage: the lead stores imported schedules and passes them in.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Literal

import chinese_calendar  # type: ignore[import-untyped]
from chinese_calendar.constants import Holiday  # type: ignore[import-untyped]

from lookup.problems import Kind, Problem

Source = Literal["imported", "library", "weekdays"]

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayRule:
    """An official override of Monday–Friday: a holiday on a weekday, or an adjusted working weekend (调休上班)."""

    day: date
    working: bool
    name: str = ""


@dataclass(frozen=True)
class Deadline:
    """A computed deadline.

    ``approximate`` is True when some year in the counted span had no official schedule (neither imported nor
    known to the library) and Monday–Friday was assumed; ``fallback_years`` names those years so the warning can
    say which schedule to import. ``paused_days`` is the number of working days the clock stood still.
    """

    due: date
    approximate: bool = False
    fallback_years: tuple[int, ...] = ()
    paused_days: int = 0


class ScheduleFileError(Problem, ValueError):
    """An administrator's holiday schedule file cannot be used; the messages name the line."""

    kind = Kind.unprocessable
    line = 0

    @classmethod
    def at(cls, line: int, chinese: str, english: str) -> ScheduleFileError:
        error = cls("bad_schedule", f"第 {line} 行：{chinese}", f"line {line}: {english}", field=f"line {line}")
        error.line = line
        return error

    def __str__(self) -> str:
        return f"{self.chinese} ({self.english})"


# The library only says "holiday" or "workday"; administrators write the words used in the State Council notice.
_TYPES: dict[str, bool] = {
    "holiday": False,
    "休": False,
    "放假": False,
    "workday": True,
    "班": True,
    "上班": True,
}
_HEADERS = (("date", "type", "name"), ("日期", "类型", "名称"))
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A schedule outside this range is certainly a typo, and WorkingCalendar promises to work for these years.
MIN_YEAR, MAX_YEAR = 1900, 2199


def parse_schedule(text: str) -> tuple[int, list[DayRule]]:
    """Parse one year's official schedule: CSV ``date,type,name`` (or ``日期,类型,名称``).

    ``type`` is ``holiday``/``休``/``放假`` or ``workday``/``班``/``上班``. Blank lines and lines starting with
    ``#`` are ignored. All dates must be in one year and each date may appear once. A holiday on a weekend and a
    workday on a weekday change nothing but are accepted, because official notices list them.
    """
    header_seen = False
    year: int | None = None
    rules: list[DayRule] = []
    seen: dict[date, int] = {}
    lines = text.removeprefix("\ufeff").splitlines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([line]))]
        if not header_seen:
            _check_header(number, cells, line)
            header_seen = True
            continue
        rule = _day_rule(number, cells)
        day = rule.day
        if year is None:
            year = day.year
        elif day.year != year:
            raise ScheduleFileError.at(
                number,
                f"{day.isoformat()} 不在 {year} 年；一个文件只放一年的安排",
                f"{day.isoformat()} is not in {year}; a file holds one year's schedule",
            )
        if day in seen:
            raise ScheduleFileError.at(
                number,
                f"{day.isoformat()} 与第 {seen[day]} 行重复",
                f"{day.isoformat()} repeats line {seen[day]}",
            )
        seen[day] = number
        rules.append(rule)
    if not header_seen:
        raise ScheduleFileError.at(max(len(lines), 1), "文件为空，没有表头", "the file is empty: no header")
    if year is None:
        raise ScheduleFileError.at(len(lines), "表头之后没有任何日期", "no dates after the header")
    return year, sorted(rules, key=lambda rule: rule.day)


def _check_header(number: int, cells: list[str], line: str) -> None:
    """The first line that is not blank or a comment names the columns, in English or in Chinese."""
    if tuple(cell.lower() for cell in cells) not in _HEADERS:
        raise ScheduleFileError.at(
            number,
            f"表头应为 date,type,name 或 日期,类型,名称，而不是 {line!r}",
            f"the header must be date,type,name or 日期,类型,名称, not {line!r}",
        )


def _day_rule(number: int, cells: list[str]) -> DayRule:
    """One line of the schedule: its date, whether it is a working day, and the holiday's name (may be left out)."""
    if len(cells) == 2:
        cells = [*cells, ""]
    if len(cells) != 3:
        raise ScheduleFileError.at(
            number, f"应有 3 列（日期,类型,名称），实有 {len(cells)} 列", f"expected 3 columns, found {len(cells)}"
        )
    day_text, type_text, name = cells
    day = _parse_date(number, day_text)
    working = _TYPES.get(type_text.lower())
    if working is None:
        raise ScheduleFileError.at(
            number,
            f"类型 {type_text!r} 无效，应为 holiday/休/放假 或 workday/班/上班",
            f"unknown type {type_text!r}; use holiday/休/放假 or workday/班/上班",
        )
    return DayRule(day=day, working=working, name=name)


def _parse_date(number: int, text: str) -> date:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ScheduleFileError.at(
            number, f"日期 {text!r} 无效，应为 YYYY-MM-DD", f"invalid date {text!r}; use YYYY-MM-DD"
        ) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ScheduleFileError.at(
            number,
            f"年份 {day.year} 超出 {MIN_YEAR}–{MAX_YEAR}",
            f"year {day.year} is outside {MIN_YEAR}–{MAX_YEAR}",
        )
    return day


def format_schedule(rules: Iterable[DayRule]) -> str:
    """The file form of a schedule, readable by :func:`parse_schedule` (for exporting what is in use)."""
    lines = ["date,type,name"]
    for rule in sorted(rules, key=lambda rule: rule.day):
        name = rule.name.replace('"', "'")
        if "," in name:
            name = f'"{name}"'
        lines.append(f"{rule.day.isoformat()},{'workday' if rule.working else 'holiday'},{name}")
    return "\n".join(lines) + "\n"


def _library_years() -> range:
    known = chinese_calendar.holidays.keys()
    return range(min(known).year, max(known).year + 1)


LIBRARY_YEARS = _library_years()
_CHINESE_NAMES = {holiday.value: holiday.chinese for holiday in Holiday}


def library_schedule(year: int) -> list[DayRule] | None:
    """The library's overrides for ``year`` as rules (None if it does not know the year)."""
    if year not in LIBRARY_YEARS:
        return None
    days = {**chinese_calendar.holidays, **chinese_calendar.workdays}
    return [
        DayRule(day=day, working=day in chinese_calendar.workdays, name=_CHINESE_NAMES.get(name, name))
        for day, name in sorted(days.items())
        if day.year == year
    ]


@dataclass
class _Year:
    source: Source
    working: frozenset[int]  # ordinals, for membership
    ordered: tuple[int, ...] = field(repr=False)  # the same ordinals sorted, for counting by bisection


class WorkingCalendar:
    """Working days per year from imported schedules, the library, or Monday–Friday (in that order).

    Never raises for a date in 1900–2199; per-year working-day tables are built once and cached, so adding 45
    working days costs a few bisections.
    """

    def __init__(self, imported: Mapping[int, Sequence[DayRule]] | None = None) -> None:
        self._imported: dict[int, dict[int, bool]] = {}
        for year, rules in (imported or {}).items():
            overrides: dict[int, bool] = {}
            for rule in rules:
                if rule.day.year != year:
                    raise ValueError(f"{rule.day.isoformat()} is filed under {year}")
                if rule.day.toordinal() in overrides:
                    raise ValueError(f"{rule.day.isoformat()} appears twice in {year}")
                overrides[rule.day.toordinal()] = rule.working
            self._imported[year] = overrides
        self._years: dict[int, _Year] = {}

    def source(self, year: int) -> Source:
        if year in self._imported:
            return "imported"
        if year in LIBRARY_YEARS:
            return "library"
        return "weekdays"

    def is_working_day(self, day: date) -> bool:
        return day.toordinal() in self._year(day.year).working

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The n-th working day after ``start`` (``start`` itself never counts, whatever kind of day it is).

        ``n == 0`` gives ``start`` unchanged: no time has been granted, so the deadline is the event's own day.
        """
        if n < 0:
            raise ValueError(f"cannot add a negative number of working days ({n})")
        if n == 0:
            return Deadline(due=start)
        after = start.toordinal()
        year = start.year
        remaining = n
        while True:
            ordered = self._year(year).ordered
            first = bisect_right(ordered, after)
            available = len(ordered) - first
            if remaining <= available:
                due = date.fromordinal(ordered[first + remaining - 1])
                break
            remaining -= available
            year += 1
        fallback = self.fallback_years(start, due)
        return Deadline(due=due, approximate=bool(fallback), fallback_years=fallback)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` — the same count ``add_working_days`` uses.

        Negative when ``end`` is before ``start`` (a countdown from today to a missed deadline goes below zero),
        so ``working_days_between(a, b) == -working_days_between(b, a)``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        low, high = start.toordinal(), end.toordinal()
        total = 0
        for year in range(start.year, end.year + 1):
            ordered = self._year(year).ordered
            total += bisect_right(ordered, high) - bisect_right(ordered, low)
        return total

    def fallback_years(self, start: date, end: date) -> tuple[int, ...]:
        """Years in the span after ``start`` through ``end`` that only have the Monday–Friday approximation."""
        if end <= start:
            return ()
        first = (start + _ONE_DAY).year
        return tuple(year for year in range(first, end.year + 1) if self.source(year) == "weekdays")

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            overrides = self._imported.get(year)
            cached = _shared_year(year) if overrides is None else _build_year(year, "imported", overrides)
            self._years[year] = cached
        return cached


@cache
def _shared_year(year: int) -> _Year:
    # Library and weekday years are the same for every calendar, so a calendar built per request costs nothing.
    if year not in LIBRARY_YEARS:
        return _build_year(year, "weekdays", {})
    # The exported dicts, not is_workday() per day: a year's table then builds in well under a millisecond.
    overrides = {day.toordinal(): False for day in chinese_calendar.holidays if day.year == year}
    overrides.update({day.toordinal(): True for day in chinese_calendar.workdays if day.year == year})
    return _build_year(year, "library", overrides)


def _build_year(year: int, source: Source, overrides: Mapping[int, bool]) -> _Year:
    first = date(year, 1, 1).toordinal()
    last = date(year, 12, 31).toordinal()
    ordered = tuple(
        ordinal
        for ordinal in range(first, last + 1)
        # date.fromordinal(o).weekday() == (o + 6) % 7; Monday–Friday are 0–4.
        if overrides.get(ordinal, (ordinal + 6) % 7 < 5)
    )
    return _Year(source=source, working=frozenset(ordered), ordered=ordered)
