"""The monitoring sheet's GM2D item (每台计量器具上的 GM2D 码是否能"一扫清"), answered by the volunteers' visits:
each code scanned or typed on a visit is resolved (lookup/codes/resolve.py) and kept with whether it named exactly
one instrument. A code that names none is a finding of the visit; the share that resolved, over a quarter or a
year, is shown on the handler's verification of the self-check and in the year's summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import VisitCodeCheck, VolunteerVisit
from lookup.codes.resolve import Outcome, Resolution
from lookup.models import table_of

code_check_t, visit_t = table_of(VisitCodeCheck), table_of(VolunteerVisit)

GM2D_ITEM = "codes_scan_clean"  # complaints/programme/monitoring.py's ITEMS
MAX_TEXT = 64
# What the handler reads, in Chinese as the station does, for a code that names no instrument.
OUTCOME_ZH = {
    Outcome.several.value: "几台器具共用这个编号",
    Outcome.ours.value: "没有这个器具编码，贴纸可能是伪造的",
    Outcome.product.value: "是商品条码，不是登记的器具",
    Outcome.gs1_broken.value: "条码无法完整读取",
    Outcome.unknown.value: "登记册中没有这个编码",
}


@dataclass(frozen=True, slots=True)
class CodeCheck:
    text: str  # as scanned or typed
    outcome: str
    code: str | None  # our instrument's code, when the text named exactly one

    @property
    def resolved(self) -> bool:
        return self.code is not None

    def finding(self) -> str:
        return f"码 {self.text} 扫不出器具（{OUTCOME_ZH.get(self.outcome, self.outcome)}）"


def code_check(found: Resolution) -> CodeCheck:
    return CodeCheck(found.text[:MAX_TEXT], found.outcome.value, found.code)


def store_checks(connection: sa.Connection, visit_id: int, checks: Sequence[CodeCheck]) -> None:
    if checks:
        connection.execute(
            sa.insert(code_check_t),
            [
                {"visit_id": visit_id, "text": c.text, "resolved": c.resolved, "outcome": c.outcome, "code": c.code}
                for c in checks
            ],
        )


@dataclass(frozen=True, slots=True)
class CodeShare:
    scanned: int
    resolved: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.resolved / self.scanned) if self.scanned else None

    @property
    def all_resolved(self) -> bool | None:
        """Whether the item holds by the visits: None when no visit scanned a code."""
        return self.resolved == self.scanned if self.scanned else None


async def share(connection: AsyncConnection, merchant_id: int, start: date, end: date) -> CodeShare:
    """The codes scanned on the merchant's visits from ``start`` to ``end`` (inclusive), and how many resolved."""
    c, v = code_check_t.c, visit_t.c
    query = (
        sa.select(sa.func.count(c.id), sa.func.count(c.id).filter(c.resolved.is_(True)))
        .join(visit_t, v.id == c.visit_id)
        .where(v.merchant_id == merchant_id, v.visited_on >= start, v.visited_on <= end)
    )
    scanned, resolved = (await connection.execute(query)).one()
    return CodeShare(int(scanned), int(resolved))


def quarter_span(quarter: str) -> tuple[date, date]:
    """The first and last day of a quarter written as monitoring.quarter_of writes it ("2026-Q4")."""
    year, number = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * number - 2, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)
