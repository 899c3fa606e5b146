"""Household meters (民用水、电、气、热表): first verification and rotation when their term ends.

A household meter is verified once, before it is installed (首次强制检定), used for a fixed term (限期使用) and
then replaced (到期轮换). Its first verification is its earliest record; it counts as first-verified when that
record passed and was made on or before the installation date (a meter verified only after it was fitted was used
unverified). The term runs from the first verification, or from the installation date when there is none; the
years per kind are the district's (``meter_rotation.toml``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

from lookup.status import VerificationLike
from lookup.vocab import InstrumentKind

HOUSEHOLD_METERS = frozenset(
    {InstrumentKind.water_meter, InstrumentKind.electricity_meter, InstrumentKind.gas_meter, InstrumentKind.heat_meter}
)
DEFAULT_FILE = Path(__file__).parent / "meter_rotation.toml"
MAX_YEARS = 50


class RotationFileError(ValueError):
    """A rotation file that cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class RotationPolicy:
    years: Mapping[InstrumentKind, int] = field(default_factory=dict)
    warn_days: int = 90

    @property
    def warning(self) -> timedelta:
        return timedelta(days=self.warn_days)


def load_rotation(path: Path | None = None) -> RotationPolicy:
    """The terms per kind from a TOML file (the shipped one by default); raises RotationFileError or OSError."""
    path = path or DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RotationFileError(f"{path.name}: not valid TOML ({exc})") from exc
    years = data.get("years")
    if not isinstance(years, dict) or not years:
        raise RotationFileError(f"{path.name}: [years] names each household meter kind with its term in years")
    terms: dict[InstrumentKind, int] = {}
    for name, value in years.items():
        kind = InstrumentKind.__members__.get(name)
        if kind not in HOUSEHOLD_METERS:
            raise RotationFileError(f"{path.name}: {name!r} is not a household meter kind ({sorted(HOUSEHOLD_METERS)})")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_YEARS:
            raise RotationFileError(f"{path.name}: {name} = {value!r}: a whole number of years from 1 to {MAX_YEARS}")
        terms[kind] = value
    warn_days = data.get("warn_days", 90)
    if isinstance(warn_days, bool) or not isinstance(warn_days, int) or not 0 <= warn_days <= 3650:
        raise RotationFileError(f"{path.name}: warn_days = {warn_days!r}: a whole number of days from 0 to 3650")
    return RotationPolicy(years=terms, warn_days=warn_days)


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class RotationState(StrEnum):
    in_term = "in_term"
    due_soon = "due_soon"  # within the warning before the end of its term
    overdue = "overdue"  # its term ended before today and it is still in the registry
    unknown = "unknown"  # neither a first verification nor an installation date is known


@dataclass(frozen=True, slots=True)
class MeterRotation:
    first_verified_on: date | None
    first_passed: bool
    installed_on: date | None
    due: date | None
    state: RotationState

    @property
    def first_verified(self) -> bool:
        """Verified and passed before it was fitted (or, with no installation date, verified and passed)."""
        return (
            self.first_verified_on is not None
            and self.first_passed
            and (self.installed_on is None or self.first_verified_on <= self.installed_on)
        )


def first_verified(installed_on: date | None, first: VerificationLike | None) -> bool:
    """Whether a meter with this first record passed its first verification before it was fitted."""
    if first is None or not first.passed:
        return False
    return installed_on is None or first.performed_on <= installed_on


def first_record(records: Iterable[VerificationLike]) -> VerificationLike | None:
    return min(records, key=lambda record: record.performed_on, default=None)


def rotation(
    kind: InstrumentKind,
    *,
    installed_on: date | None,
    first: VerificationLike | None,
    policy: RotationPolicy,
    on: date,
) -> MeterRotation | None:
    """The meter's first verification and rotation on ``on``; None for an instrument that is not a household meter
    or a kind the policy gives no term."""
    years = policy.years.get(kind) if kind in HOUSEHOLD_METERS else None
    if years is None:
        return None
    start = first.performed_on if first is not None else installed_on
    due = add_years(start, years) if start is not None else None
    if due is None:
        state = RotationState.unknown
    elif on > due:
        state = RotationState.overdue
    elif on > due - policy.warning:
        state = RotationState.due_soon
    else:
        state = RotationState.in_term
    return MeterRotation(
        first_verified_on=first.performed_on if first is not None else None,
        first_passed=bool(first is not None and first.passed),
        installed_on=installed_on,
        due=due,
        state=state,
    )
