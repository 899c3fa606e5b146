"""The integrity index (诚信计量指数) of streets and scenic areas: the official scoring sheets kept as data, and
the arithmetic.

Two sheets ship, as the Taizhou guidance gives them: ``index_sheets/scenic.toml`` (附件3 重点景区诚信计量指数) and
``index_sheets/street.toml`` (附件4 重点街区诚信计量指数). Each item is one line of the official table — section
(项目), object (对象), number (序号), heading (检查内容), text (考评标准), points (分值) — with where its value comes
from: an assessor, or what the service knows (``auto:<metric>``, computed in :mod:`complaints.programme.index_metrics`).
:func:`score` turns the values into points; it is pure and exact (Decimal).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from lookup.problems import Kind, Problem

SHEETS = Path(__file__).parent / "index_sheets"
KINDS = ("street", "scenic")
SECTIONS = ("basic", "bonus", "deduction")
_EARNING = frozenset({"rate", "threshold", "count", "yes", "less_each", "each"})
RULES = {"basic": _EARNING, "bonus": _EARNING, "deduction": frozenset({"each", "yes"})}
NEEDS = {"threshold": "threshold", "count": "target", "less_each": "per"}
ASSESSOR = "assessor"
HUNDREDTH = Decimal("0.01")


class SheetError(Problem, ValueError):
    """A sheet file that cannot be used; the message names the item and what is wrong."""

    @classmethod
    def bad(cls, chinese: str, english: str) -> SheetError:
        return cls("bad_sheet", chinese, english, kind=Kind.unprocessable)


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    section: str
    text: str  # 考评标准
    points: Decimal  # 分值
    source: str  # "assessor" or "auto:<metric>"
    rule: str
    threshold: Decimal | None = None
    target: Decimal | None = None
    cap: Decimal | None = None
    per: Decimal | None = None
    object: str = ""  # 对象
    number: str = ""  # 序号, as printed ("" where the sheet prints none)
    heading: str = ""  # 检查内容
    note: str = ""  # a remark on the official text

    @property
    def metric(self) -> str | None:
        return self.source.removeprefix("auto:") if self.source.startswith("auto:") else None


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    items: tuple[Item, ...]
    kind: str = "street"
    source: str = ""  # the document the sheet comes from
    section_names: Mapping[str, str] | None = None  # as the sheet prints them (基本项 / 基础项目 …)

    def section_name(self, section: str) -> str | None:
        return (self.section_names or {}).get(section)

    def most(self, section: str) -> Decimal:
        """The points a section's items carry (a deduction's: once each)."""
        return sum((item.points for item in self.items if item.section == section), Decimal(0))


def _decimal(raw: object, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise SheetError.bad(f"{where}：应当是数字，不是 {raw!r}", f"{where}: expected a number, not {raw!r}")
    try:
        value = Decimal(str(raw))
    except ArithmeticError as exc:
        raise SheetError.bad(f"{where}：应当是数字，不是 {raw!r}", f"{where}: expected a number, not {raw!r}") from exc
    if not value.is_finite() or value < 0:
        raise SheetError.bad(
            f"{where}：应当是零或正数，不是 {raw!r}", f"{where}: expected a number of zero or more, not {raw!r}"
        )
    return value


def _text(raw: Mapping[str, object], name: str, code: str) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str):
        raise SheetError.bad(
            f"条目 {code}：{name} 必须是文字，不是 {value!r}", f"item {code}: {name} must be text, not {value!r}"
        )
    return value.strip()


def _item(raw: Mapping[str, object], seen: set[str]) -> Item:
    code = raw.get("code")
    if not isinstance(code, str) or not code or code in seen:
        raise SheetError.bad(
            f"条目 {code!r}：每个条目要有自己的代码", f"item {code!r}: every item needs a code of its own"
        )
    seen.add(code)
    section, rule, source = raw.get("section"), raw.get("rule"), raw.get("source", ASSESSOR)
    if section not in SECTIONS:
        raise SheetError.bad(
            f"条目 {code}：section 只能是 {'、'.join(SECTIONS)} 之一，不是 {section!r}",
            f"item {code}: section must be one of {', '.join(SECTIONS)}, not {section!r}",
        )
    if rule not in RULES[str(section)]:
        allowed = sorted(RULES[str(section)])
        raise SheetError.bad(
            f"条目 {code}：{section} 条目的 rule 只能是 {allowed} 之一，不是 {rule!r}",
            f"item {code}: a {section} item's rule is one of {allowed}, not {rule!r}",
        )
    text = _text(raw, "text", code)
    if not text:
        raise SheetError.bad(f"条目 {code}：缺少 text", f"item {code}: text is missing")
    if not isinstance(source, str) or not (source == ASSESSOR or source.startswith("auto:")):
        raise SheetError.bad(
            f"条目 {code}：source 只能是 'assessor' 或 'auto:<指标>'，不是 {source!r}",
            f"item {code}: source is 'assessor' or 'auto:<metric>', not {source!r}",
        )
    given = [name for name in ("threshold", "target", "cap", "per") if name in raw]
    extra = {name: _decimal(raw[name], f"item {code}: {name}") for name in given}
    needs = NEEDS.get(str(rule))
    if needs is not None and needs not in extra:
        raise SheetError.bad(f"条目 {code}：{rule} 规则需要 {needs}", f"item {code}: the {rule} rule needs {needs}")
    if rule == "count" and extra["target"] == 0:
        raise SheetError.bad(f"条目 {code}：target 必须大于零", f"item {code}: target must be more than zero")
    return Item(
        code=code,
        section=str(section),
        text=text,
        points=_decimal(raw.get("points"), f"item {code}: points"),
        source=source,
        rule=str(rule),
        object=_text(raw, "object", code),
        number=_text(raw, "number", code),
        heading=_text(raw, "heading", code),
        note=_text(raw, "note", code),
        **extra,
    )


def load_sheet(path: Path = SHEETS / "street.toml", *, kind: str | None = None) -> Sheet:
    """Read and check a sheet file; raises :class:`SheetError` (or OSError) with what to fix. With ``kind``, the
    file must say it is a sheet of that kind (a scenic sheet never scores a street by mistake)."""
    return _read_sheet(path, path.read_text(encoding="utf-8"), kind)


# Keyed by the text, so an edited file is read afresh; the suite builds ~1,300 apps, each reading both sheets.
@functools.lru_cache(maxsize=16)
def _read_sheet(path: Path, text: str, kind: str | None) -> Sheet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SheetError.bad(f"{path.name}：不是有效的 TOML（{exc}）", f"{path.name}: not valid TOML ({exc})") from exc
    items = data.get("item")
    if not isinstance(items, list) or not items:
        raise SheetError.bad(f"{path.name}：没有 [[item]] 条目", f"{path.name}: no [[item]] entries")
    sheet_kind = data.get("kind", "street")
    if sheet_kind not in KINDS or (kind is not None and sheet_kind != kind):
        expected = kind or " or ".join(KINDS)
        raise SheetError.bad(
            f"{path.name}：kind = {sheet_kind!r}，应为 {expected!r}",
            f"{path.name}: kind = {sheet_kind!r}, expected {expected!r}",
        )
    sections = data.get("sections", {})
    if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
        raise SheetError.bad(
            f"{path.name}：[sections] 要用文字写出每一部分的名称",
            f"{path.name}: [sections] names each section with text",
        )
    seen: set[str] = set()
    return Sheet(
        name=str(data.get("name", path.stem)),
        items=tuple(_item(raw, seen) for raw in items),
        kind=str(sheet_kind),
        source=str(data.get("source", "")),
        section_names=dict(sections),
    )


def load_sheets(street: Path | None = None, scenic: Path | None = None) -> dict[str, Sheet]:
    """The sheet of each kind of area: the shipped ones unless a city's copy is given."""
    return {
        "street": load_sheet(street or SHEETS / "street.toml", kind="street"),
        "scenic": load_sheet(scenic or SHEETS / "scenic.toml", kind="scenic"),
    }


@dataclass(frozen=True, slots=True)
class ItemScore:
    item: Item
    value: Decimal | None  # None: not assessed yet and nothing to measure (scores nothing)
    points: Decimal  # earned (basic, bonus) or lost (deduction, as a positive number)
    by: str | None = None  # "auto" (the service counted it), "assessor", or None (no value)


@dataclass(frozen=True, slots=True)
class Score:
    items: tuple[ItemScore, ...]
    basic: Decimal
    bonus: Decimal
    deductions: Decimal
    total: Decimal  # basic + bonus - deductions, never below zero
    missing: tuple[str, ...]  # items with no value: the assessor's, and measured ones with nothing to measure


def _earned(item: Item, value: Decimal) -> Decimal:
    if item.rule == "rate":
        return item.points * min(max(value, Decimal(0)), Decimal(1))
    if item.rule == "threshold":
        assert item.threshold is not None
        return item.points if value >= item.threshold else Decimal(0)
    if item.rule == "count":
        assert item.target is not None
        return item.points * min(value / item.target, Decimal(1))
    if item.rule == "yes":
        return item.points if value >= 1 else Decimal(0)
    if item.rule == "less_each":
        assert item.per is not None
        return max(item.points - item.per * value, Decimal(0))
    earned = item.points * value  # "each"
    return min(earned, item.cap) if item.cap is not None else earned


def score(sheet: Sheet, values: Mapping[str, Decimal | None], *, measured: frozenset[str] = frozenset()) -> Score:
    """The area's points from the values of its items, to the hundredth; ``measured`` names the items whose value
    the service counted (the others came from an assessor)."""
    scored = []
    for item in sheet.items:
        value = values.get(item.code)
        earned = _earned(item, value) if value is not None else Decimal(0)
        by = None if value is None else "auto" if item.code in measured else ASSESSOR
        scored.append(ItemScore(item, value, earned.quantize(HUNDREDTH, ROUND_HALF_UP), by))
    sums = {section: sum((s.points for s in scored if s.item.section == section), Decimal(0)) for section in SECTIONS}
    total = max(sums["basic"] + sums["bonus"] - sums["deduction"], Decimal(0))
    return Score(
        items=tuple(scored),
        basic=sums["basic"],
        bonus=sums["bonus"],
        deductions=sums["deduction"],
        total=total,
        missing=tuple(s.item.code for s in scored if s.value is None),
    )
