"""The printed score sheet in the official table's layout: 项目, 对象, 序号, 检查内容, 考评标准, 分值, 得分.

The official tables merge cells down the rows: a section's name spans its items, an object spans the items it
is the object of, and a number with its heading spans the criteria under that heading. :func:`layout` gives each
row the cells it starts, with how many rows each spans, so a template can print the table as the sheet does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from complaints.programme.integrity_index import Item, ItemScore, Score, Sheet


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    rows: int  # rowspan


@dataclass(frozen=True, slots=True)
class SheetRow:
    scored: ItemScore
    section: Cell | None  # None: a cell above spans this row
    object: Cell | None
    number: Cell | None
    heading: Cell | None


def _spans(items: Sequence[Item], key: Callable[[Item], Hashable]) -> list[int | None]:
    """For each item, the rows its cell spans when it starts a run of equal keys, else None."""
    spans: list[int | None] = [None] * len(items)
    start = 0
    for index in range(1, len(items) + 1):
        if index == len(items) or key(items[index]) != key(items[start]):
            spans[start] = index - start
            start = index
    return spans


def layout(sheet: Sheet, score: Score, section_label: Callable[[str], str]) -> list[SheetRow]:
    """The rows of the printed sheet; ``section_label`` names a section the sheet does not name itself."""
    items = [scored.item for scored in score.items]
    by_section = _spans(items, lambda item: item.section)
    by_object = _spans(items, lambda item: (item.section, item.object))
    by_heading = _spans(items, lambda item: (item.section, item.object, item.number, item.heading))
    rows = []
    for index, scored in enumerate(score.items):
        item = scored.item
        name = sheet.section_name(item.section) or section_label(item.section)
        section, obj, heading = by_section[index], by_object[index], by_heading[index]
        rows.append(
            SheetRow(
                scored=scored,
                section=Cell(name, section) if section else None,
                object=Cell(item.object, obj) if obj else None,
                number=Cell(item.number, heading) if heading else None,
                heading=Cell(item.heading, heading) if heading else None,
            )
        )
    return rows
