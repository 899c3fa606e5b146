"""The integrity index (诚信计量指数) of streets and scenic areas: a scoring sheet kept as data, and the arithmetic.

The sheet (``complaints/programme/index_sheets/street.toml``) lists basic items, bonus items and deductions with their
points and where each value comes from: an assessor, or what the service knows (``auto:<metric>``, computed in
:mod:`complaints.programme.index_metrics`). :func:`score` turns the values into points; it is pure and exact (Decimal).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from lookup.problems import Kind, Problem

SHEETS = Path(__file__).parent / "index_sheets"
SECTIONS = ("basic", "bonus", "deduction")
RULES = {"basic": {"rate", "threshold", "count", "yes"}, "bonus": {"rate", "threshold", "count", "yes"}}
RULES["deduction"] = {"each"}
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
    text: str
    points: Decimal
    source: str  # "assessor" or "auto:<metric>"
    rule: str
    threshold: Decimal | None = None
    target: Decimal | None = None
    cap: Decimal | None = None

    @property
    def metric(self) -> str | None:
        return self.source.removeprefix("auto:") if self.source.startswith("auto:") else None


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    items: tuple[Item, ...]


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


def _item(raw: Mapping[str, object], seen: set[str]) -> Item:
    code = raw.get("code")
    if not isinstance(code, str) or not code or code in seen:
        raise SheetError.bad(
            f"条目 {code!r}：每个条目要有自己的代码", f"item {code!r}: every item needs a code of its own"
        )
    seen.add(code)
    section, rule, text, source = raw.get("section"), raw.get("rule"), raw.get("text"), raw.get("source", ASSESSOR)
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
    if not isinstance(text, str) or not text.strip():
        raise SheetError.bad(f"条目 {code}：缺少 text", f"item {code}: text is missing")
    if not isinstance(source, str) or not (source == ASSESSOR or source.startswith("auto:")):
        raise SheetError.bad(
            f"条目 {code}：source 只能是 'assessor' 或 'auto:<指标>'，不是 {source!r}",
            f"item {code}: source is 'assessor' or 'auto:<metric>', not {source!r}",
        )
    needs = {"threshold": "threshold", "count": "target", "each": "cap"}.get(str(rule))
    given = [name for name in ("threshold", "target", "cap") if name in raw]
    extra = {name: _decimal(raw[name], f"item {code}: {name}") for name in given}
    if needs is not None and needs not in extra:
        raise SheetError.bad(f"条目 {code}：{rule} 规则需要 {needs}", f"item {code}: the {rule} rule needs {needs}")
    if rule == "count" and extra["target"] == 0:
        raise SheetError.bad(f"条目 {code}：target 必须大于零", f"item {code}: target must be more than zero")
    return Item(
        code=code,
        section=str(section),
        text=text.strip(),
        points=_decimal(raw.get("points"), f"item {code}: points"),
        source=source,
        rule=str(rule),
        **extra,
    )


def load_sheet(path: Path = SHEETS / "street.toml") -> Sheet:
    """Read and check a sheet file; raises :class:`SheetError` (or OSError) with what to fix."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SheetError.bad(f"{path.name}：不是有效的 TOML（{exc}）", f"{path.name}: not valid TOML ({exc})") from exc
    items = data.get("item")
    if not isinstance(items, list) or not items:
        raise SheetError.bad(f"{path.name}：没有 [[item]] 条目", f"{path.name}: no [[item]] entries")
    seen: set[str] = set()
    return Sheet(name=str(data.get("name", path.stem)), items=tuple(_item(raw, seen) for raw in items))


@dataclass(frozen=True, slots=True)
class ItemScore:
    item: Item
    value: Decimal | None  # None: not assessed yet (scores nothing)
    points: Decimal  # earned (basic, bonus) or lost (deduction, as a positive number)


@dataclass(frozen=True, slots=True)
class Score:
    items: tuple[ItemScore, ...]
    basic: Decimal
    bonus: Decimal
    deductions: Decimal
    total: Decimal  # basic + bonus - deductions, never below zero
    missing: tuple[str, ...]  # assessor's items without a value (an ``auto:`` one may have nothing to measure)


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
    assert item.cap is not None  # "each"
    return min(item.points * value, item.cap)


def score(sheet: Sheet, values: Mapping[str, Decimal | None]) -> Score:
    """The area's points from the values of its items (metrics and assessments alike), to the hundredth."""
    scored = []
    for item in sheet.items:
        value = values.get(item.code)
        earned = _earned(item, value) if value is not None else Decimal(0)
        scored.append(ItemScore(item, value, earned.quantize(HUNDREDTH, ROUND_HALF_UP)))
    sums = {section: sum((s.points for s in scored if s.item.section == section), Decimal(0)) for section in SECTIONS}
    total = max(sums["basic"] + sums["bonus"] - sums["deduction"], Decimal(0))
    return Score(
        items=tuple(scored),
        basic=sums["basic"],
        bonus=sums["bonus"],
        deductions=sums["deduction"],
        total=total,
        missing=tuple(s.item.code for s in scored if s.value is None and s.item.source == ASSESSOR),
    )
