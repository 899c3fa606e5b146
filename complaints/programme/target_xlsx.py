"""The scoreboard as a workbook, in the layout of the target table (类别, 指标, 考核要求和指标内容) with the
figures beside each row: the target, the value, the count behind it, whether it is met, each station's value,
and who entered a figure by hand."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from complaints.programme.target_board import Board, Figure, Line
from complaints.programme.targets import Target

TITLE = "计量惠民目标完成情况"
HEADINGS = ("类别", "指标", "考核要求和指标内容", "对象", "目标", "实际", "计数", "是否达标")
MET, UNMET = PatternFill("solid", fgColor="E3F4E8"), PatternFill("solid", fgColor="FDE8E7")


def shown(target: Target, value: Decimal | None) -> str:
    if value is None:
        return "—"
    if target.unit == "count":
        return format(value.normalize(), "f")
    return f"{value * 100:.1f}".rstrip("0").rstrip(".") + "%"  # 62.5%, 100%


def _count(figure: Figure) -> str:
    return f"{figure.part}/{figure.whole}" if figure.whole else ""


def _verdict(figure: Figure) -> str:
    return {True: "达标", False: "未达标", None: "无数据"}[figure.met]


def _source(line: Line, names: Mapping[int, str]) -> str:
    if line.target.computed:
        return line.target.note
    if line.entry is None:
        return "手工填报：未填"
    who = names.get(line.entry.entered_by or 0, "")
    parts = [f"手工填报：{who} {line.entry.entered_at:%Y-%m-%d}".strip(), line.entry.note, line.target.note]
    return "；".join(part for part in parts if part)


def targets_xlsx(board: Board, scope_name: str, *, names: Mapping[int, str], made_on: date) -> bytes:
    """``names``: the display names of the staff who entered figures, by id."""
    book = Workbook()
    sheet = book.active
    sheet.title = TITLE
    stations = [name for _, name in board.stations] if board.station_id is None else []
    headings = [*HEADINGS, *stations, "说明"]
    sheet.append([TITLE])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"{board.period.key} · {scope_name}", "", "", "", "", "", "", f"制表日期：{made_on.isoformat()}"])
    sheet["A2"].data_type = "s"
    sheet.append(headings)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for line in board.lines:
        target, figure = line.target, line.figure
        by_station = [shown(target, line.stations[s].value) if s in line.stations else "—" for s, _ in board.stations]
        sheet.append([
            target.category, target.indicator, target.requirement, target.object,
            "≥ " + shown(target, target.target), shown(target, figure.value),
            _count(figure), _verdict(figure), *(by_station if stations else []), _source(line, names),
        ])  # fmt: skip
        if figure.met is not None:
            sheet.cell(row=sheet.max_row, column=8).fill = MET if figure.met else UNMET
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.data_type = "s"  # the table's words and names: text, never a formula
    for column, width in zip("ABCDEFGH", (16, 12, 48, 18, 10, 10, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
