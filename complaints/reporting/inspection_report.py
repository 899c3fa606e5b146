"""The monthly inspection report (计量检查月报表): sums of a month's on-site inspections, one row per sector.

The rows and columns are the form's. Each inspection counts in the row of its merchant's sector (as the registry
holds it now) and in the scope of the station that inspected. The row 使用安全防护用强检计量器具 has no sector in
the registry (it is about instruments used for safety protection, not a kind of business), so it is always
zero and carries a footnote saying so. Fines are kept in yuan and shown in 万元 with two decimals; the 合计 row's
fine is the total in yuan converted once, so it may differ from the sum of the rounded rows by a cent.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Inspection
from complaints.reporting.reports import Period
from complaints.scope import Scope
from lookup.models import Merchant, table_of
from lookup.vocab import Sector

inspection_t, merchant_t = table_of(Inspection), table_of(Merchant)

TITLE = "计量检查月报表"
NO_SECTOR = "no_sector"  # the footnote of a row no sector maps to
NO_SECTOR_NOTE = "注：登记的行业分类中没有“使用安全防护用强检计量器具”，本行按 0 填报，此类检查请另行统计。"
# (code, the form's row name, the sectors counted in it)
ROWS: tuple[tuple[str, str, frozenset[Sector]], ...] = (
    ("market", "集贸市场", frozenset({Sector.market})),
    ("restaurant", "餐饮饭店", frozenset({Sector.restaurant})),
    ("supermarket", "超市卖场", frozenset({Sector.supermarket})),
    ("fuel_station", "加油站", frozenset({Sector.fuel_station})),
    ("optician", "眼镜制配", frozenset({Sector.optician})),
    ("medical", "医疗机构", frozenset({Sector.medical})),
    ("safety", "使用安全防护用强检计量器具", frozenset()),
    ("other", "其他行业", frozenset({Sector.taxi, Sector.utility, Sector.other})),
)
TOTAL = ("total", "合计")
# (field of InspectionLine, the form's column heading)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("inspectors", "出动检查人次数"),
    ("merchants", "检查企业数"),
    ("instruments", "检查计量器具数"),
    ("unverified", "使用未检定/检定不合格/超检定周期计量器具数"),
    ("tampered", "破坏准确度(改装)计量器具数"),
    ("cases_opened", "立案数量"),
    ("fines_wan", "立案处罚罚没款数额(万元)"),
)
ROW_HEADING = "行业"
_SUMMED = ("inspectors", "merchants", "instruments", "unverified", "tampered", "cases_opened", "fines_yuan")


def yuan_to_wan(yuan: int) -> Decimal:
    return (Decimal(yuan) / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class InspectionLine:
    code: str
    name: str
    inspectors: int = 0
    merchants: int = 0  # distinct merchants inspected
    instruments: int = 0
    unverified: int = 0
    tampered: int = 0
    cases_opened: int = 0
    fines_yuan: int = 0
    footnote: str | None = None

    @property
    def fines_wan(self) -> Decimal:
        return yuan_to_wan(self.fines_yuan)

    def value(self, column: str) -> int | Decimal:
        value: int | Decimal = getattr(self, column)
        return value


@dataclass(frozen=True)
class InspectionReport:
    month: Period
    lines: tuple[InspectionLine, ...]  # the form's rows, 合计 last

    @property
    def total(self) -> InspectionLine:
        return self.lines[-1]


async def inspection_report(connection: AsyncConnection, scope: Scope, month: Period) -> InspectionReport:
    i = inspection_t.c
    query = (
        sa.select(
            merchant_t.c.sector,
            sa.func.coalesce(sa.func.sum(i.inspectors), 0),
            sa.func.count(sa.distinct(i.merchant_id)),
            sa.func.coalesce(sa.func.sum(i.instruments_checked), 0),
            sa.func.coalesce(sa.func.sum(i.unverified), 0),
            sa.func.coalesce(sa.func.sum(i.tampered), 0),
            sa.func.coalesce(sa.func.sum(sa.case((i.case_opened, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(i.fine_yuan), 0),
        )
        .join(merchant_t, merchant_t.c.id == i.merchant_id)
        .where(i.inspected_on >= month.start, i.inspected_on <= month.end, scope.station_condition(i.station_id))
        .group_by(merchant_t.c.sector)
    )
    by_sector = {Sector(row[0]): tuple(int(value) for value in row[1:]) for row in await connection.execute(query)}
    return InspectionReport(month, assemble(by_sector))


def assemble(by_sector: Mapping[Sector, tuple[int, ...]]) -> tuple[InspectionLine, ...]:
    """The form's rows from per-sector sums (in :data:`_SUMMED` order), with the 合计 row last."""
    empty = (0,) * len(_SUMMED)
    lines = []
    for code, name, sectors in ROWS:
        sums = [sum(by_sector.get(sector, empty)[n] for sector in sectors) for n in range(len(_SUMMED))]
        lines.append(
            InspectionLine(code, name, **dict(zip(_SUMMED, sums, strict=True)), footnote=None if sectors else NO_SECTOR)
        )
    totals = {name: sum(getattr(line, name) for line in lines) for name in _SUMMED}
    lines.append(InspectionLine(*TOTAL, **totals))
    return tuple(lines)


def subtitle(report: InspectionReport, scope_name: str) -> str:
    return f"{report.month.start.year}年{report.month.start.month}月 · {scope_name}"


def inspection_xlsx(report: InspectionReport, scope_name: str, *, made_on: date) -> bytes:
    """The form as a workbook: title, month and scope, the table (numbers as numbers), the footnote."""
    book = Workbook()
    sheet = book.active
    sheet.title = TITLE
    width = len(COLUMNS) + 1
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([subtitle(report, scope_name), *[""] * (width - 2), f"制表日期：{made_on.isoformat()}"])
    sheet["A2"].data_type = "s"  # the scope's name comes from the registry: a string, never a formula
    sheet.append([ROW_HEADING, *(heading for _, heading in COLUMNS)])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for line in report.lines:
        sheet.append([line.name + ("*" if line.footnote else ""), *(line.value(column) for column, _ in COLUMNS)])
        sheet.cell(row=sheet.max_row, column=width).number_format = "0.00"
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append([])
    sheet.append(["*" + NO_SECTOR_NOTE])
    sheet.column_dimensions["A"].width = 28
    for index in range(2, width + 1):
        sheet.column_dimensions[chr(64 + index)].width = 16
    sheet.row_dimensions[3].height = 48
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
