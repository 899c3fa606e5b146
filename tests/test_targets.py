"""The targets scoreboard's arithmetic on a small district worked out by hand (tests/targets_support.py), on
SQLite and PostgreSQL: each computed target, a month without complaints, a sector without instruments, an
instrument retired mid-month, and the targets file a district edits."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.programme.target_board import BadPeriod, Board, Figure, build_board, spans_for
from complaints.programme.targets import TargetsError, load_targets
from lookup.rotation import load_rotation
from tests.staff_support import NORTH
from tests.support import TODAY, ZONE
from tests.targets_support import seed_district


async def board(
    engine: AsyncEngine, *, year: int = 2026, month: int | None = None, station: int | None = None
) -> Board:
    period, trend = spans_for(year=year, month=month, today=TODAY)
    async with engine.connect() as connection:
        return await build_board(connection, load_targets(), period=period, trend=trend, station_id=station,
                                 policy=load_rotation(), zone=ZONE)  # fmt: skip


def figures(found: Board) -> dict[str, tuple[int | None, int | None, bool | None]]:
    return {line.target.code: (line.figure.part, line.figure.whole, line.figure.met) for line in found.lines}


@pytest.fixture
async def district(engine: AsyncEngine) -> None:
    await seed_district(engine)


@pytest.mark.usefixtures("district")
async def test_november_counts_what_was_in_service_at_its_end(engine: AsyncEngine) -> None:
    got = figures(await board(engine, month=11))
    # In service on 23 November (today): M-1, M-2 (expired on 1 November), M-3 (verified, failed), M-5 (never
    # verified); M-4 was retired on the 15th. Verified and current: M-1 and M-3.
    assert got["verification_market_scales"] == (2, 4, False)
    # The month's one verification (M-4, on the 5th, before it was retired) passed.
    assert got["pass_market_scales"] == (1, 1, True)
    assert got["commitment_market"] == (1, 2, False)  # 张记水产, not 李记鲜肉
    assert got["model_market"] == (1, 2, True)  # 李记鲜肉 since June: 50 % ≥ 10 %
    assert got["verification_fuel_dispensers"] == (2, 2, True)  # F-2 failed, but it was verified
    assert got["pass_fuel_dispensers"] == (0, 0, None)  # nothing verified in November
    assert got["verification_restaurants"] == (1, 1, True)  # R-2; R-1's restaurant is grade C
    assert got["verification_taxi_meters"] == (0, 0, None)  # no taxi meter in the district
    # All but the household meters: M-1, M-2, M-3, M-5, F-1, F-2, R-1, R-2 in service; current M-1, M-3, F-1, F-2,
    #
    assert got["verification_all"] == (5, 8, False)
    assert got["first_verification_household_meters"] == (0, 0, None)  # no meter fitted in November
    assert got["rotation_household_meters"] == (2, 3, False)  # W-0's term ended in December 2024
    assert got["complaint_replies"] == (0, 0, None)  # a month without complaints
    assert got["special_inspections"] == (None, None, None)  # entered by hand, and not yet


NONE = (0, 0, None)  # nothing to measure: no such merchant or instrument, or nothing in the period
NOVEMBER = {
    "verification_all": (5, 8, False), "pass_all": (1, 1, True), "commitment_all": (2, 6, False),
    "verification_market_scales": (2, 4, False), "pass_market_scales": (1, 1, True),
    "commitment_market": (1, 2, False), "model_market": (1, 2, True),
    "commitment_fuel": (1, 1, True), "model_fuel": (0, 1, False),
    "verification_fuel_dispensers": (2, 2, True), "pass_fuel_dispensers": NONE,
    "verification_gas_dispensers": NONE, "pass_gas_dispensers": NONE,
    "verification_taxi_meters": NONE, "pass_taxi_meters": NONE,
    "verification_restaurants": (1, 1, True), "pass_restaurants": NONE,
    "commitment_restaurants": (0, 1, False), "model_restaurants": (0, 1, False),
    **dict.fromkeys(
        [f"{measure}_{sector}" for sector in ("supermarkets", "opticians", "clinics")
         for measure in ("verification", "pass", "commitment", "model")], NONE,
    ),
    "pass_household_meters": NONE, "free_verification": (2, 4, False),
    "first_verification_household_meters": NONE, "rotation_household_meters": (2, 3, False),
    "complaint_replies": NONE, "complaint_satisfaction": NONE,
}  # fmt: skip


@pytest.mark.usefixtures("district")
async def test_every_computed_target_of_november_as_worked_out_by_hand(engine: AsyncEngine) -> None:
    # 悦来饭店, whose grade is not recorded, counts among the restaurants of grade B and above; 好味餐厅 (C) does
    # not. The free verifications are the market's and the clinics' compulsory instruments: the market scales.
    got = figures(await board(engine, month=11))
    assert {code: got[code] for code in NOVEMBER} == NOVEMBER
    assert len(NOVEMBER) == 37


@pytest.mark.usefixtures("district")
async def test_a_month_before_counts_the_instrument_retired_later(engine: AsyncEngine) -> None:
    got = figures(await board(engine, month=10))
    # 31 October: M-4 still in service but not verified yet; M-2 valid to 1 November.
    assert got["verification_market_scales"] == (3, 5, False)
    assert got["pass_market_scales"] == (0, 1, False)  # M-3 failed on 2 October
    assert got["commitment_fuel"] == (1, 1, True)
    july = figures(await board(engine, month=7))
    assert july["commitment_fuel"] == (0, 1, False)  # committed in August
    assert july["model_market"] == (1, 2, True)
    may = figures(await board(engine, month=5))
    assert may["model_market"] == (0, 2, False)  # a demonstration unit only from June


@pytest.mark.usefixtures("district")
async def test_the_year_with_its_trend_and_each_station(engine: AsyncEngine) -> None:
    year = await board(engine)
    got = figures(year)
    assert got["pass_market_scales"] == (2, 3, False)  # M-1 and M-4 passed, M-3 failed
    assert got["pass_fuel_dispensers"] == (1, 2, False)
    assert got["first_verification_household_meters"] == (1, 2, False)  # W-2 was verified after it was fitted
    assert got["pass_household_meters"] == (2, 2, True)  # W-1 and W-2 passed, whenever
    lines = {line.target.code: line for line in year.lines}
    trend = lines["verification_market_scales"].trend
    assert len(trend) == 11  # January to November
    assert (trend[9].part, trend[9].whole) == (3, 5)  # October, as above
    assert trend[10] == lines["verification_market_scales"].figure  # November is the year so far
    stations = dict(year.stations)
    north = next(station for station, name in stations.items() if name == NORTH)
    by_station = lines["verification_all"].stations
    assert (by_station[north].part, by_station[north].whole) == (3, 4)  # F-1, F-2, R-2 of those and R-1
    narrowed = figures(await board(engine, station=north))
    assert narrowed["verification_all"] == (3, 4, False)
    assert narrowed["verification_market_scales"] == (0, 0, None)


async def test_a_period_that_has_not_begun_is_refused() -> None:
    with pytest.raises(BadPeriod):
        spans_for(year=2026, month=12, today=TODAY)
    with pytest.raises(BadPeriod):
        spans_for(year=2027, month=None, today=TODAY)
    period, trend = spans_for(year=2025, month=None, today=TODAY)
    assert (period.start.isoformat(), period.end.isoformat(), len(trend)) == ("2025-01-01", "2025-12-31", 12)
    month, months = spans_for(year=2026, month=2, today=TODAY)
    assert (month.key, months[0].key, months[-1].key) == ("2026-02", "2025-03", "2026-02")


def test_the_shipped_targets_are_the_tables() -> None:
    targets = load_targets()
    by_code = targets.by_code()
    assert len(targets.targets) == 49
    assert by_code["verification_all"].target == Decimal("0.95")
    assert by_code["pass_market_scales"].target == Decimal("0.98")
    assert by_code["model_clinics"].target == Decimal("0.1")
    assert by_code["complaint_satisfaction"].target == Decimal("0.9")
    assert {t.measure for t in targets.targets if not t.computed} == {"manual"}
    assert sum(t.computed for t in targets.targets) == 37
    assert Figure(None).met is None


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("name='x'\n", "no [[target]]"),
        ("[[target]\n", "not valid TOML"),
        ('[[target]]\ncode="a"\nmeasure="speed"\n', "measure is one of"),
        ('[[target]]\ncode="a"\nmeasure="pass_rate"\nunit="count"\n', "unit is share"),
        ('[[target]]\ncode="a"\nmeasure="pass_rate"\ncategory="c"\nindicator="i"\nrequirement="r"\nobject="o"\n'
         'label="l"\ntarget=95\n', "a share is from 0 to 1"),
        ('[[target]]\ncode="a"\nmeasure="pass_rate"\ncategory="c"\nindicator="i"\nrequirement="r"\nobject="o"\n'
         'label="l"\ntarget=0.9\nsectors=["farm"]\n', "sectors lists codes"),
    ],
)  # fmt: skip
def test_a_district_editing_its_targets_is_told_what_is_wrong(tmp_path: Path, body: str, complaint: str) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TargetsError, match=re.escape(complaint)):
        load_targets(path)
