"""The district's targets (计量惠民目标) as data: ``targets.toml``, after the Chongchuan target table.

Each target says what the service computes (its ``measure``), over which merchants or instruments (sectors, kinds,
restaurant grades, compulsory verification only) and the figure to reach. A target the service cannot compute is
``manual``: a supervisor enters its figure. The arithmetic lives in :mod:`complaints.programme.target_board`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lookup.vocab import InstrumentKind, Sector

DEFAULT_FILE = Path(__file__).parent / "targets.toml"
INSTRUMENT_MEASURES = frozenset({"verification_rate", "pass_rate", "first_verification_rate", "rotation_in_term"})
MERCHANT_MEASURES = frozenset({"commitment_rate", "model_unit_rate"})
CASE_MEASURES = frozenset({"reply_rate", "satisfaction_rate"})
MEASURES = INSTRUMENT_MEASURES | MERCHANT_MEASURES | CASE_MEASURES | {"manual"}
# The scoreboard's table: one row per object, one column per measure of merchants and their instruments.
GRID_MEASURES = ("verification_rate", "pass_rate", "commitment_rate", "model_unit_rate")
UNITS = ("share", "count")
GRADES = ("A", "B", "C")


class TargetsError(ValueError):
    """A targets file that cannot be used; the message names the target and what is wrong."""


@dataclass(frozen=True, slots=True)
class Target:
    code: str
    category: str  # 类别
    indicator: str  # 指标
    requirement: str  # 考核要求和指标内容
    object: str  # the scoreboard's row
    label: str
    measure: str
    target: Decimal
    unit: str = "share"
    sectors: frozenset[Sector] = frozenset()  # empty: every sector
    kinds: frozenset[InstrumentKind] = frozenset()  # empty: every kind
    grades: frozenset[str] = frozenset()  # restaurants of these grades (and those whose grade is not recorded)
    mandatory_only: bool = False
    note: str = ""

    @property
    def computed(self) -> bool:
        return self.measure != "manual"

    def met(self, value: Decimal | None) -> bool | None:
        return None if value is None else value >= self.target


@dataclass(frozen=True, slots=True)
class Targets:
    name: str
    source: str
    targets: tuple[Target, ...]

    def by_code(self) -> dict[str, Target]:
        return {target.code: target for target in self.targets}


def _text(raw: Mapping[str, object], name: str, code: str, *, required: bool = True) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise TargetsError(f"target {code}: {name} must be text")
    return value.strip()


def _names(raw: Mapping[str, object], name: str, code: str, allowed: Mapping[str, object]) -> list[str]:
    values = raw.get(name, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v in allowed for v in values):
        raise TargetsError(f"target {code}: {name} lists codes of {sorted(allowed)}, not {values!r}")
    return list(values)


def _figure(raw: Mapping[str, object], code: str, unit: str) -> Decimal:
    value = raw.get("target")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TargetsError(f"target {code}: target must be a number, not {value!r}")
    figure = Decimal(str(value))
    if figure < 0 or (unit == "share" and figure > 1):
        raise TargetsError(f"target {code}: a share is from 0 to 1 (95 % is 0.95), not {value!r}")
    return figure


@dataclass
class _Seen:
    codes: set[str]
    cells: set[tuple[str, str]]  # (object, measure) of the scoreboard's table


def _target(raw: Mapping[str, object], seen: _Seen) -> Target:
    code = raw.get("code")
    if not isinstance(code, str) or not code or code in seen.codes:
        raise TargetsError(f"target {code!r}: every target needs a code of its own")
    seen.codes.add(code)
    measure = raw.get("measure")
    if measure not in MEASURES:
        raise TargetsError(f"target {code}: measure is one of {sorted(MEASURES)}, not {measure!r}")
    unit = raw.get("unit", "share")
    if unit not in UNITS or (measure != "manual" and unit != "share"):
        raise TargetsError(f"target {code}: unit is share, or count for a manual target, not {unit!r}")
    obj = _text(raw, "object", code)
    if measure in GRID_MEASURES:
        if (obj, measure) in seen.cells:
            raise TargetsError(f"target {code}: {obj} already has a {measure} target")
        seen.cells.add((obj, str(measure)))
    mandatory = raw.get("mandatory_only", False)
    if not isinstance(mandatory, bool):
        raise TargetsError(f"target {code}: mandatory_only is true or false")
    return Target(
        code=code,
        category=_text(raw, "category", code),
        indicator=_text(raw, "indicator", code),
        requirement=_text(raw, "requirement", code),
        object=obj,
        label=_text(raw, "label", code),
        measure=str(measure),
        target=_figure(raw, code, str(unit)),
        unit=str(unit),
        sectors=frozenset(Sector(s) for s in _names(raw, "sectors", code, Sector.__members__)),
        kinds=frozenset(InstrumentKind(k) for k in _names(raw, "kinds", code, InstrumentKind.__members__)),
        grades=frozenset(_names(raw, "grades", code, dict.fromkeys(GRADES))),
        mandatory_only=mandatory,
        note=_text(raw, "note", code, required=False),
    )


def load_targets(path: Path | None = None) -> Targets:
    """Read and check a targets file (the shipped one by default); raises TargetsError or OSError."""
    path = path or DEFAULT_FILE
    return _read_targets(path, path.read_text(encoding="utf-8"))


# Keyed by the text, so an edited file is read afresh; the suite builds ~1,300 apps, each reading the targets.
@functools.lru_cache(maxsize=8)
def _read_targets(path: Path, text: str) -> Targets:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetsError(f"{path.name}: not valid TOML ({exc})") from exc
    raw_targets = data.get("target")
    if not isinstance(raw_targets, list) or not raw_targets:
        raise TargetsError(f"{path.name}: no [[target]] entries")
    seen = _Seen(set(), set())
    return Targets(
        name=str(data.get("name", path.stem)),
        source=str(data.get("source", "")),
        targets=tuple(_target(raw, seen) for raw in raw_targets),
    )
