"""A small district for the targets: merchants of several sectors at two stations, each instrument's figures
chosen so that every target's value can be worked out by hand (see test_targets.py)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.ledger.row import LedgerRow
from lookup.registry_edits import set_instrument_state
from lookup.vocab import InstrumentKind, InstrumentState, Sector
from tests.staff_support import NORTH, SOUTH
from tests.support import ledger_row, make_uscc, seed, verification


def _at(station: str, merchant: str, number: int, sector: Sector, **changes: object) -> LedgerRow:
    market = "南门农贸市场" if sector is Sector.market else ""
    fields = {"commitment_signed_on": None, "stall": "", **changes}
    return ledger_row(station=station, market=market, merchant=merchant, uscc=make_uscc(number), sector=sector,
                      **fields)  # fmt: skip


def _scale(serial: str, performed_on: date | None, valid_until: date | None = None, *, passed: bool = True) -> dict:
    """The instrument's serial number and its one verification (none without a date)."""
    if performed_on is None or valid_until is None:
        return {"serial_no": serial, "verification": None}
    return {"serial_no": serial, "verification": verification(performed_on, valid_until, passed=passed)}


async def seed_district(engine: AsyncEngine) -> None:
    """南门: 张记水产 (market, committed) with scales M-1 … M-4, 李记鲜肉 (market, a demonstration unit since June)
    with M-5 never verified. 北门: a petrol station (committed in August) with F-1 passed and F-2 failed, 好味餐厅
    (grade C) with R-1 never verified, 悦来饭店 (grade not recorded) with R-2, and the water company's meters W-1
    (verified, then fitted in April), W-2 (fitted in June, verified after) and W-0 (fitted 2019, its term over)."""
    committed = {"commitment_signed_on": date(2025, 3, 1)}
    await seed(
        engine,
        _at(SOUTH, "张记水产", 1, Sector.market, **committed, **_scale("M-1", date(2026, 5, 10), date(2027, 5, 9))),
        _at(SOUTH, "张记水产", 1, Sector.market, **committed, **_scale("M-2", date(2025, 11, 2), date(2026, 11, 1))),
        _at(SOUTH, "张记水产", 1, Sector.market, **committed,
            **_scale("M-3", date(2026, 10, 2), date(2027, 10, 1), passed=False)),
        _at(SOUTH, "张记水产", 1, Sector.market, **committed, **_scale("M-4", date(2026, 11, 5), date(2027, 11, 4))),
        _at(SOUTH, "李记鲜肉", 2, Sector.market, **_scale("M-5", None)),
        _at(NORTH, "北门加油站", 3, Sector.fuel_station, kind=InstrumentKind.fuel_dispenser,
            commitment_signed_on=date(2026, 8, 1), **_scale("F-1", date(2026, 3, 1), date(2027, 2, 28))),
        _at(NORTH, "北门加油站", 3, Sector.fuel_station, kind=InstrumentKind.fuel_dispenser,
            **_scale("F-2", date(2026, 3, 1), date(2027, 2, 28), passed=False)),
        _at(NORTH, "好味餐厅", 4, Sector.restaurant, grade="C", **_scale("R-1", None)),
        _at(NORTH, "悦来饭店", 5, Sector.restaurant, **_scale("R-2", date(2026, 2, 1), date(2027, 1, 31))),
        _at(NORTH, "北门供水", 6, Sector.utility, kind=InstrumentKind.water_meter, installed_on=date(2026, 4, 1),
            **_scale("W-1", date(2026, 3, 20), date(2032, 3, 20))),
        _at(NORTH, "北门供水", 6, Sector.utility, kind=InstrumentKind.water_meter, installed_on=date(2026, 6, 1),
            **_scale("W-2", date(2026, 6, 10), date(2032, 6, 10))),
        _at(NORTH, "北门供水", 6, Sector.utility, kind=InstrumentKind.water_meter, installed_on=date(2019, 1, 1),
            **_scale("W-0", date(2018, 12, 1), date(2024, 12, 1))),
    )  # fmt: skip
    async with engine.begin() as connection:
        code = (await connection.execute(sa.text("SELECT code FROM instrument WHERE serial_no = 'M-4'"))).scalar_one()
        await set_instrument_state(connection, code, InstrumentState.retired, on=date(2026, 11, 15))
        await connection.execute(
            sa.text("UPDATE merchant SET standing = 'model', standing_since = :day WHERE name = '李记鲜肉'"),
            {"day": date(2026, 6, 1)},
        )
