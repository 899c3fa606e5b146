"""The monthly inspection report (计量检查月报表): sums of a month's on-site inspections, one row per sector.

The rows and columns are the form's. Each inspection counts in the row of its merchant's sector (as the registry
holds it now) and in the scope of the station that inspected, except that an inspection of a merchant using an
instrument for safety protection (用途 安全防护 in the ledger, lookup/legal_use.py) counts in the row
使用安全防护用强检计量器具 instead, so that every inspection is in one row and the rows add up to 合计.

Below the table come the form's closing rows, each with 处理企业数 (merchants dealt with) and 罚没款数额(万元):
计量器具产品抽查不合格后处理 and 商品量不合格后处理, from what each inspection recorded; then its footer: 负责人
(typed by whoever makes the report), 填表人 (the signed-in user) and 填表时间.

Fines are kept in yuan and shown in 万元 with two decimals; the 合计 row's fine is the total in yuan converted
once, so it may differ from the sum of the rounded rows by a cent.
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
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Inspection
from complaints.reporting.reports import Period
from complaints.scope import Scope
from lookup.legal_use import LegalUse
from lookup.models import Instrument, Merchant, table_of
from lookup.vocab import InstrumentState, Sector

inspection_t, merchant_t, instrument_t = table_of(Inspection), table_of(Merchant), table_of(Instrument)

TITLE = "计量检查月报表"
SAFETY = "safety"  # the footnote of the row counted from instruments' field of use, not merchants' sectors
SAFETY_NOTE = (
    "注：本行统计使用安全防护用强检计量器具（台账“用途”为安全防护）的企业的检查，这些检查不再计入其行业所在行。"
)
# (code, the form's row name, the sectors counted in it)
ROWS: tuple[tuple[str, str, frozenset[Sector]], ...] = (
    ("market", "集贸市场", frozenset({Sector.market})),
    ("restaurant", "餐饮饭店", frozenset({Sector.restaurant})),
    ("supermarket", "超市卖场", frozenset({Sector.supermarket})),
    ("fuel_station", "加油站", frozenset({Sector.fuel_station})),
    ("optician", "眼镜制配", frozenset({Sector.optician})),
    ("medical", "医疗机构", frozenset({Sector.medical})),
    (SAFETY, "使用安全防护用强检计量器具", frozenset()),
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
# The form's closing rows: (code, name); each has 处理企业数 and 罚没款数额(万元).
FOLLOW_UPS: tuple[tuple[str, str], ...] = (
    ("product", "计量器具产品抽查不合格后处理"),
    ("quantity", "商品量不合格后处理"),
)
FOLLOW_UP_COLUMNS = ("处理企业数", "罚没款数额(万元)")
FOOTER = ("负责人", "填表人", "填表时间")


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
class FollowUp:
    """A closing row: how many merchants were dealt with after a failed sampling, and their fines."""

    code: str
    name: str
    merchants: int = 0
    fines_yuan: int = 0

    @property
    def fines_wan(self) -> Decimal:
        return yuan_to_wan(self.fines_yuan)


@dataclass(frozen=True)
class InspectionReport:
    month: Period
    lines: tuple[InspectionLine, ...]  # the form's rows, 合计 last
    follow_ups: tuple[FollowUp, ...] = ()

    @property
    def total(self) -> InspectionLine:
        return self.lines[-1]


@dataclass(frozen=True)
class Footer:
    """Who answers for the sheet and who filled it, and when."""

    head: str  # 负责人
    filled_by: str  # 填表人
    filled_on: date  # 填表时间


async def inspection_report(connection: AsyncConnection, scope: Scope, month: Period) -> InspectionReport:
    i = inspection_t.c
    in_month = (i.inspected_on >= month.start, i.inspected_on <= month.end, scope.station_condition(i.station_id))
    uses_safety = sa.exists().where(
        instrument_t.c.merchant_id == i.merchant_id,
        instrument_t.c.legal_use == LegalUse.safety,
        instrument_t.c.state == InstrumentState.in_use,
    )
    row_of = sa.case((uses_safety, sa.literal(SAFETY)), else_=merchant_t.c.sector)
    query = (
        sa.select(
            row_of,
            sa.func.coalesce(sa.func.sum(i.inspectors), 0),
            sa.func.count(sa.distinct(i.merchant_id)),
            sa.func.coalesce(sa.func.sum(i.instruments_checked), 0),
            sa.func.coalesce(sa.func.sum(i.unverified), 0),
            sa.func.coalesce(sa.func.sum(i.tampered), 0),
            sa.func.coalesce(sa.func.sum(sa.case((i.case_opened, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(i.fine_yuan), 0),
        )
        .join(merchant_t, merchant_t.c.id == i.merchant_id)
        .where(*in_month)
        .group_by(row_of)
    )
    by_row = {str(row[0]): tuple(int(value) for value in row[1:]) for row in await connection.execute(query)}
    follow_ups = []
    for code, name in FOLLOW_UPS:
        handled, fine = i[f"{code}_failed_handled"], i[f"{code}_fine_yuan"]
        merchants, fines = (
            await connection.execute(
                sa.select(
                    sa.func.count(sa.distinct(sa.case((handled, i.merchant_id)))),
                    sa.func.coalesce(sa.func.sum(fine), 0),
                ).where(*in_month)
            )
        ).one()
        follow_ups.append(FollowUp(code, name, int(merchants), int(fines)))
    return InspectionReport(month, assemble(by_row), tuple(follow_ups))


def assemble(by_row: Mapping[str, tuple[int, ...]]) -> tuple[InspectionLine, ...]:
    """The form's rows from sums per sector (and for :data:`SAFETY`), in :data:`_SUMMED` order, 合计 last."""
    empty = (0,) * len(_SUMMED)
    lines = []
    for code, name, sectors in ROWS:
        keys = [sector.value for sector in sectors] or [code]
        sums = [sum(by_row.get(key, empty)[n] for key in keys) for n in range(len(_SUMMED))]
        lines.append(
            InspectionLine(code, name, **dict(zip(_SUMMED, sums, strict=True)), footnote=None if sectors else SAFETY)
        )
    totals = {name: sum(getattr(line, name) for line in lines) for name in _SUMMED}
    lines.append(InspectionLine(*TOTAL, **totals))
    return tuple(lines)


def subtitle(report: InspectionReport, scope_name: str) -> str:
    return f"{report.month.start.year}年{report.month.start.month}月 · {scope_name}"


def inspection_xlsx(report: InspectionReport, scope_name: str, *, footer: Footer) -> bytes:
    """The form as a workbook: title, month and scope, the table (numbers as numbers), the footnote, the closing
    rows and the footer."""
    book = Workbook()
    sheet = book.active
    sheet.title = TITLE
    width = len(COLUMNS) + 1
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([subtitle(report, scope_name), *[""] * (width - 2), f"制表日期：{footer.filled_on.isoformat()}"])
    sheet["A2"].data_type = "s"  # the scope's name comes from the registry: a string, never a formula
    sheet.append([ROW_HEADING, *(heading for _, heading in COLUMNS)])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for line in report.lines:
        sheet.append([line.name + ("*" if line.footnote else ""), *(line.value(column) for column, _ in COLUMNS)])
        sheet.cell(row=sheet.max_row, column=width).number_format = "0.00"
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    _closing_rows(sheet, report)
    sheet.append([])
    sheet.append(["*" + SAFETY_NOTE])
    sheet.append([])
    for label, value in zip(FOOTER, (footer.head, footer.filled_by, footer.filled_on.isoformat()), strict=True):
        sheet.append([f"{label}：", value])
        sheet.cell(row=sheet.max_row, column=2).data_type = "s"  # names are typed by people: never a formula
    sheet.column_dimensions["A"].width = 28
    for index in range(2, width + 1):
        sheet.column_dimensions[chr(64 + index)].width = 16
    sheet.row_dimensions[3].height = 48
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _closing_rows(sheet: Worksheet, report: InspectionReport) -> None:
    """The form's 后处理 rows: the name over the first four columns, then 处理企业数 and 罚没款数额(万元)."""
    for follow_up in report.follow_ups:
        merchants, fines = FOLLOW_UP_COLUMNS
        sheet.append([follow_up.name, "", "", "", merchants, follow_up.merchants, fines, follow_up.fines_wan])
        row = sheet.max_row
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        sheet.cell(row=row, column=8).number_format = "0.00"
