"""Histories with known change points for the early warning (tests/test_warnings.py, the browser tests): the
targets' district, with complaints, batch-expired scales and inspections added where the rules should notice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint, Inspection
from lookup.models import table_of
from lookup.vocab import Sector
from tests.staff_support import SOUTH
from tests.support import NOW, ZONE, ledger_row, make_uscc, seed, verification
from tests.targets_support import seed_district

complaint_t, inspection_t = table_of(Complaint), table_of(Inspection)
DAY = date(2026, 11, 22)  # the last complete day before the tests' now


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), ZONE)


async def complaints(engine: AsyncEngine, merchant: str, days: list[date], category: str = "short_weight") -> None:
    async with engine.begin() as connection:
        merchant_id, market_id, station_id = (
            await connection.execute(
                sa.text("SELECT id, market_id, station_id FROM merchant WHERE name = :name"), {"name": merchant}
            )
        ).one()
        count = (await connection.execute(sa.select(sa.func.count()).select_from(complaint_t))).scalar_one()
        rows = [
            {"ref": f"JL{day:%Y%m%d}-{count + n + 1:04d}", "token_hash": "0" * 64, "channel": "web",
             "text": f"{merchant}的秤不准", "merchant_id": merchant_id, "market_id": market_id,
             "station_id": station_id, "queue": "station", "intent": "complaint", "category": category,
             "confidence": 0.9, "classifier_version": "test", "priority": "normal", "status": "received",
             "received_at": at(day), "satisfaction_comment": "", "deadline_approximate": False,
             "needs_triage": False}
            for n, day in enumerate(days)
        ]  # fmt: skip
        await connection.execute(sa.insert(complaint_t), rows)


async def histories(engine: AsyncEngine) -> None:
    """Known change points on the targets' district: 张记水产 (one complaint in March) gets four short-weight
    complaints in November; 李记鲜肉, with forty last year, gets its usual four; 东门粮油's ten scales, verified
    together a year ago, all ran out on 14 November; 北门加油站 was found with unverified pumps at two inspections
    in October and November, never before."""
    await seed_district(engine)
    east = [ledger_row(station=SOUTH, market="东门市场", merchant="东门粮油", uscc=make_uscc(20), sector=Sector.market,
                       serial_no=f"D-{n}", verification=verification(date(2025, 11, 15), date(2026, 11, 14)))
            for n in range(10)]  # fmt: skip
    await seed(engine, *east)
    await complaints(engine, "张记水产", [date(2026, 3, 1), date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15),
                                         date(2026, 11, 20)])  # fmt: skip
    steady = [date(2025, 10, 20) + timedelta(days=9 * n) for n in range(40)]
    await complaints(engine, "李记鲜肉", [*steady, date(2026, 10, 30), date(2026, 11, 6), date(2026, 11, 13),
                                         date(2026, 11, 21)])  # fmt: skip
    async with engine.begin() as connection:
        pumps = (
            await connection.execute(sa.text("SELECT id, station_id FROM merchant WHERE name = '北门加油站'"))
        ).one()
        await connection.execute(
            sa.insert(inspection_t),
            [{"merchant_id": pumps[0], "station_id": pumps[1], "inspected_on": day, "inspectors": 2,
              "instruments_checked": 2, "unverified": 1, "tampered": 0, "short_weight_found": False,
              "case_opened": False, "fine_yuan": 0, "notes": "", "created_at": NOW}
             for day in (date(2026, 10, 10), date(2026, 11, 12))],
        )  # fmt: skip
