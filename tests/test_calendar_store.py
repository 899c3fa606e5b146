"""Imported holiday schedules: stored for every process, and used where the library knows nothing."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from complaints.deadlines.calendar_store import load_calendar
from complaints.deadlines.working_days import WorkingCalendar
from web.cli.main import main
from web.db import create_engine

EXAMPLE_2027 = Path(__file__).parents[1] / "complaints" / "deadlines" / "holidays" / "2027-example.csv"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def stored_calendar(url: str) -> WorkingCalendar:
    """The calendar as a fresh process would build it (the CLI runs its own event loop, so do we)."""

    async def load() -> WorkingCalendar:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return await load_calendar(connection)
        finally:
            await engine.dispose()

    return asyncio.run(load())


def test_import_makes_2027_exact_and_a_reimport_replaces_it(
    env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert stored_calendar(env).source(2027) == "weekdays"
    assert stored_calendar(env).add_working_days(date(2027, 3, 1), 7).approximate
    assert main(["calendar", "import", str(EXAMPLE_2027)]) == 0
    assert "已导入 2027 年的节假日安排" in capsys.readouterr().out
    calendar = stored_calendar(env)
    assert calendar.source(2027) == "imported"
    assert calendar.is_working_day(date(2027, 2, 20))  # an adjusted working Saturday in the file
    assert not calendar.add_working_days(date(2027, 3, 1), 7).approximate

    smaller = tmp_path / "2027.csv"
    smaller.write_text("date,type,name\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    assert main(["calendar", "import", str(smaller)]) == 0
    calendar = stored_calendar(env)
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert not calendar.is_working_day(date(2027, 2, 20)), "the earlier 2027 import must be replaced whole"


def test_bad_schedule_files_are_refused_with_the_line(
    env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,type,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,错\n", encoding="utf-8")
    assert main(["calendar", "import", str(bad)]) == 2
    assert "第 3 行" in capsys.readouterr().err
    assert stored_calendar(env).source(2027) == "weekdays", "a refused file must change nothing"
    assert main(["calendar", "import", str(tmp_path / "missing.csv")]) == 2
