"""Chinese working days: library years, imported schedules, the Monday–Friday fallback, schedule files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from complaints.deadlines.working_days import (
    DayRule,
    ScheduleFileError,
    WorkingCalendar,
    format_schedule,
    library_schedule,
    parse_schedule,
)

HOLIDAYS = Path(__file__).resolve().parent.parent / "complaints" / "deadlines" / "holidays"


def example_2027() -> tuple[int, list[DayRule]]:
    return parse_schedule((HOLIDAYS / "2027-example.csv").read_text(encoding="utf-8"))


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar({})


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- what the library says, so the tests below rest on its data and not on memory ---


def test_library_2026_facts() -> None:
    national_day = [d("2026-10-01") + timedelta(days=i) for i in range(7)]
    assert all(chinese_calendar.is_holiday(day) for day in national_day)
    assert chinese_calendar.is_workday(d("2026-10-08"))
    # adjusted working weekend days (调休上班) around Mid-Autumn / National Day and Spring Festival
    for adjusted in ("2026-09-20", "2026-10-10", "2026-02-14", "2026-02-28", "2026-01-04", "2026-05-09"):
        assert d(adjusted).weekday() >= 5
        assert chinese_calendar.is_workday(d(adjusted)), adjusted
    assert chinese_calendar.get_holiday_detail(d("2026-09-25")) == (True, "Mid-autumn Festival")
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(d("2027-01-04"))


def test_sources(calendar: WorkingCalendar) -> None:
    assert calendar.source(2003) == "weekdays"
    assert calendar.source(2004) == "library"
    assert calendar.source(2026) == "library"
    assert calendar.source(2027) == "weekdays"
    year, rules = example_2027()
    assert WorkingCalendar({year: rules}).source(2027) == "imported"


def test_agrees_with_library_for_every_day_it_knows(calendar: WorkingCalendar) -> None:
    day = d("2004-01-01")
    while day.year <= 2026:
        assert calendar.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- counting ---


def test_national_day_2026(calendar: WorkingCalendar) -> None:
    # Received Wednesday 30 Sept: 1–7 Oct off, 8 Oct (Thu) is day 1, Saturday 10 Oct is an adjusted working day.
    deadline = calendar.add_working_days(d("2026-09-30"), 7)
    assert deadline.due == d("2026-10-15")
    assert not deadline.approximate
    assert deadline.fallback_years == ()
    assert calendar.add_working_days(d("2026-09-30"), 3).due == d("2026-10-10")


def test_adjusted_sunday_and_mid_autumn_2026(calendar: WorkingCalendar) -> None:
    # Friday 18 Sept: the next working day is Sunday 20 Sept (调休), and Mid-Autumn (25–27 Sept) is skipped.
    assert calendar.add_working_days(d("2026-09-18"), 1).due == d("2026-09-20")
    assert calendar.add_working_days(d("2026-09-18"), 5).due == d("2026-09-24")
    assert calendar.add_working_days(d("2026-09-18"), 6).due == d("2026-09-28")


def test_spring_festival_2026(calendar: WorkingCalendar) -> None:
    # Thursday 12 Feb: 13 Feb, Saturday 14 Feb (调休), then 15–23 Feb off, 24–27 Feb, Saturday 28 Feb (调休).
    assert calendar.add_working_days(d("2026-02-12"), 7).due == d("2026-02-28")
    assert calendar.working_days_between(d("2026-02-14"), d("2026-02-24")) == 1


def test_counting_from_a_friday(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(d("2026-03-06"), 1).due == d("2026-03-09")
    assert calendar.add_working_days(d("2026-03-06"), 5).due == d("2026-03-13")


def test_counting_from_a_holiday(calendar: WorkingCalendar) -> None:
    # The day of receipt never counts, even when it is a holiday: day 1 is the first working day after it.
    assert calendar.add_working_days(d("2026-10-03"), 1).due == d("2026-10-08")
    assert calendar.add_working_days(d("2026-10-03"), 7).due == d("2026-10-15")


def test_zero_days_is_the_start_itself(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(d("2026-10-03"), 0).due == d("2026-10-03")
    assert calendar.add_working_days(d("2027-06-01"), 0).approximate is False
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(d("2026-10-03"), -1)


def test_working_days_between(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_between(d("2026-09-30"), d("2026-10-15")) == 7
    assert calendar.working_days_between(d("2026-09-30"), d("2026-09-30")) == 0
    assert calendar.working_days_between(d("2026-10-15"), d("2026-09-30")) == -7
    # The end day counts, the start day does not.
    assert calendar.working_days_between(d("2026-10-07"), d("2026-10-08")) == 1
    assert calendar.working_days_between(d("2026-10-08"), d("2026-10-09")) == 1


def test_property_lands_on_working_day_and_round_trips(calendar: WorkingCalendar) -> None:
    start = d("2025-01-01")
    while start <= d("2026-12-31"):
        for n in (1, 2, 5, 7, 15, 30, 45):
            deadline = calendar.add_working_days(start, n)
            assert deadline.due > start
            assert calendar.is_working_day(deadline.due), (start, n)
            assert calendar.working_days_between(start, deadline.due) == n, (start, n)
            # nothing earlier would do: the day before the deadline has one working day fewer
            assert calendar.working_days_between(start, deadline.due - timedelta(days=1)) == n - 1
        start += timedelta(days=1)


# --- beyond the library ---


def test_2027_without_import_falls_back_to_weekdays(calendar: WorkingCalendar) -> None:
    deadline = calendar.add_working_days(d("2027-01-01"), 1)
    assert deadline.due == d("2027-01-04")
    assert deadline.approximate
    assert deadline.fallback_years == (2027,)
    assert calendar.is_working_day(d("2027-10-01"))  # a Friday: unknown holiday, so assumed working
    assert not calendar.is_working_day(d("2027-10-09"))


def test_span_from_2026_into_2027_is_approximate(calendar: WorkingCalendar) -> None:
    deadline = calendar.add_working_days(d("2026-12-25"), 10)
    assert deadline.due == d("2027-01-08")
    assert deadline.approximate
    assert deadline.fallback_years == (2027,)
    # a span that ends on 31 December stays exact
    inside = calendar.add_working_days(d("2026-12-24"), 5)
    assert inside.due == d("2026-12-31")
    assert not inside.approximate


def test_never_raises_1900_to_2199(calendar: WorkingCalendar) -> None:
    for year in range(1900, 2200):
        for start in (date(year, 1, 1), date(year, 12, 20)):
            deadline = calendar.add_working_days(start, 45)
            assert calendar.is_working_day(deadline.due)
            assert calendar.working_days_between(start, deadline.due) == 45
            assert deadline.approximate == (not 2004 <= year <= 2026 or deadline.due.year > 2026)


def test_imported_2027_example_is_exact_with_adjusted_weekends() -> None:
    year, rules = example_2027()
    assert year == 2027
    calendar = WorkingCalendar({year: rules})
    assert calendar.is_working_day(d("2027-10-09"))  # adjusted Saturday
    assert calendar.is_working_day(d("2027-09-26"))  # adjusted Sunday
    assert not calendar.is_working_day(d("2027-10-01"))
    assert calendar.add_working_days(d("2027-09-30"), 1).due == d("2027-10-08")
    deadline = calendar.add_working_days(d("2027-09-30"), 2)
    assert deadline.due == d("2027-10-09")
    assert not deadline.approximate
    assert calendar.add_working_days(d("2027-09-24"), 1).due == d("2027-09-26")
    # 2028 is still unknown
    assert calendar.add_working_days(d("2027-12-24"), 10).fallback_years == (2028,)


def test_imported_year_overrides_library() -> None:
    rules = [*(library_schedule(2026) or []), DayRule(d("2026-03-09"), working=False, name="extra")]
    calendar = WorkingCalendar({2026: rules})
    assert calendar.source(2026) == "imported"
    assert WorkingCalendar({}).add_working_days(d("2026-03-06"), 1).due == d("2026-03-09")
    assert calendar.add_working_days(d("2026-03-06"), 1).due == d("2026-03-10")
    # and a year imported with only some days still keeps weekends off and the rest of the year on weekdays
    sparse = WorkingCalendar({2026: [DayRule(d("2026-03-07"), working=True, name="adjusted")]})
    assert sparse.is_working_day(d("2026-03-07"))
    assert sparse.is_working_day(d("2026-10-01"))  # the import replaced the library for the whole year


def test_bundled_2026_file_matches_library() -> None:
    year, rules = parse_schedule((HOLIDAYS / "2026.csv").read_text(encoding="utf-8"))
    assert year == 2026
    assert rules == library_schedule(2026)
    imported, library = WorkingCalendar({year: rules}), WorkingCalendar({})
    day = d("2026-01-01")
    while day.year == 2026:
        assert imported.is_working_day(day) == library.is_working_day(day), day
        day += timedelta(days=1)


def test_calendar_rejects_rules_filed_under_the_wrong_year() -> None:
    with pytest.raises(ValueError, match="filed under 2027"):
        WorkingCalendar({2027: [DayRule(d("2026-10-01"), working=False, name="")]})


def test_speed(calendar: WorkingCalendar) -> None:
    import time

    calendar.add_working_days(d("2026-03-03"), 45)
    began = time.perf_counter()
    for _ in range(1000):
        calendar.add_working_days(d("2026-03-03"), 45)
    # 50 µs each is the budget; allow slack for slow CI machines
    assert (time.perf_counter() - began) / 1000 < 200e-6


# --- schedule files ---


def test_parse_schedule_accepts_chinese_types_comments_and_bom() -> None:
    text = (
        "\ufeff# 示例\n\n日期,类型,名称\n2027-10-01,休,国庆节\n2027-10-09,班,调休\n2027-10-02,放假,\n2027-10-10,上班\n"
    )
    year, rules = parse_schedule(text)
    assert year == 2027
    assert [(rule.day, rule.working) for rule in rules] == [
        (d("2027-10-01"), False),
        (d("2027-10-02"), False),
        (d("2027-10-09"), True),
        (d("2027-10-10"), True),
    ]


def test_weekend_holiday_and_weekday_workday_are_harmless() -> None:
    year, rules = parse_schedule("date,type,name\n2027-10-02,holiday,Sat\n2027-10-04,workday,Mon\n")
    calendar = WorkingCalendar({year: rules})
    assert not calendar.is_working_day(d("2027-10-02"))
    assert calendar.is_working_day(d("2027-10-04"))


def test_format_schedule_round_trips() -> None:
    rules = [DayRule(d("2027-10-01"), working=False, name="国庆节, 示例"), DayRule(d("2027-10-09"), True, "班")]
    assert parse_schedule(format_schedule(rules)) == (2027, rules)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("date,type,name\n2027-02-30,holiday,x\n", 2, "invalid date"),
        ("date,type,name\n2027/10/01,holiday,x\n", 2, "invalid date"),
        ("date,type,name\n# c\n2027-10-01,vacation,x\n", 3, "unknown type"),
        ("date,type,name\n2027-10-01,holiday,x\n2028-01-01,holiday,y\n", 3, "not in 2027"),
        ("date,type,name\n2027-10-01,holiday,x\n\n2027-10-01,workday,y\n", 4, "repeats line 2"),
        ("", 1, "empty"),
        ("# only a comment\n\n", 2, "empty"),
        ("date,type,name\n# nothing\n", 2, "no dates"),
        ("day,kind\n2027-10-01,holiday\n", 1, "header"),
        ("date,type,name\n2027-10-01,holiday,x,extra\n", 2, "3 columns"),
        ("date,type,name\n2300-10-01,holiday,x\n", 2, "outside"),
    ],
)
def test_parse_schedule_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ScheduleFileError) as caught:
        parse_schedule(text)
    message = str(caught.value)
    assert caught.value.line == line
    assert message.startswith(f"第 {line} 行")
    assert f"line {line}:" in message
    assert words in message
