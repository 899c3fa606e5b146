"""Helpers shared by the tests: a known registry row, seeding, and the tests' clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.ledger.importer import ImportReport, import_rows
from lookup.ledger.row import LedgerRow, VerificationEntry
from lookup.uscc import uscc_check_char
from lookup.vocab import InstrumentKind, Sector

ZONE = ZoneInfo("Asia/Shanghai")
# The tests' "now": a Monday morning in Beijing. Tests that care about other dates pass their own clock.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)
TODAY = NOW.date()


def make_uscc(number: int, prefix: str = "92350102MA") -> str:
    first17 = f"{prefix}{number:07d}"
    return first17 + uscc_check_char(first17)


BASE_ROW = LedgerRow(
    station="南门市场监管所",
    district="鼓楼区",
    market="南门农贸市场",
    merchant="张记水产",
    uscc=make_uscc(1),
    sector=Sector.market,
    stall="12号摊位",
    address="鼓楼区南门路20号",
    kind=InstrumentKind.price_scale,
    model="ACS-15",
    serial_no="ACS2023000001",
    manufacturer="东方衡器有限公司",
    pattern_approval="2020F123-35",
    mandatory=True,
    verification=VerificationEntry(
        performed_on=date(2026, 5, 10),
        valid_until=date(2027, 5, 9),
        passed=True,
        certificate_no="JD2026-000001",
        institution="鼓楼区计量检定所",
    ),
    commitment_signed_on=date(2025, 3, 1),
)


def ledger_row(**changes: Any) -> LedgerRow:
    return replace(BASE_ROW, **changes)


def verification(performed_on: date, valid_until: date, *, passed: bool = True) -> VerificationEntry:
    return VerificationEntry(performed_on, valid_until, passed, f"JD-{performed_on:%Y%m%d}", "鼓楼区计量检定所")


async def seed(engine: AsyncEngine, *rows: LedgerRow) -> ImportReport:
    return await import_rows(engine, enumerate(rows, start=2))


async def code_of(engine: AsyncEngine, serial_no: str) -> str:
    async with engine.connect() as connection:
        result = await connection.execute(
            sa.text("SELECT code FROM instrument WHERE serial_no = :serial"), {"serial": serial_no}
        )
        code: str = result.scalar_one()
    return code


STATUS_ROWS = {
    "valid": ledger_row(serial_no="V-1"),
    "expiring": ledger_row(serial_no="E-1", verification=verification(date(2025, 12, 11), date(2026, 12, 10))),
    "expired": ledger_row(serial_no="X-1", verification=verification(date(2025, 11, 2), date(2026, 11, 1))),
    "failed": ledger_row(
        serial_no="F-1", verification=verification(date(2026, 10, 2), date(2027, 10, 1), passed=False)
    ),
    "unverified": ledger_row(serial_no="U-1", verification=None),
    "suspended": ledger_row(serial_no="S-1"),
}
BADGES = {
    "valid": ("合格 · 在有效期内", "Verified · in date", "green"),
    "expiring": ("即将到期", "Expiring soon", "amber"),
    "expired": ("已过期", "Expired", "red"),
    "failed": ("检定不合格", "Failed verification", "red"),
    "unverified": ("无检定记录", "Not verified", "red"),
    "suspended": ("已停用", "Suspended", "grey"),
}


async def rows(engine: AsyncEngine, sql: str) -> list[Any]:
    """The rows a query reads, as a test checks what the service stored."""
    async with engine.connect() as connection:
        return list(await connection.execute(sa.text(sql)))
