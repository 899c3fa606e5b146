"""The status a scan shows, computed from an instrument's state and its verification records on a date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, TypeVar

from lookup.vocab import InstrumentState, Status

EXPIRY_WARNING = timedelta(days=30)


class VerificationLike(Protocol):
    @property
    def performed_on(self) -> date: ...
    @property
    def valid_until(self) -> date: ...
    @property
    def passed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class StatusPresentation:
    colour: str  # "green" | "amber" | "red" | "grey"
    trustworthy: bool


PRESENTATION: dict[Status, StatusPresentation] = {
    Status.valid: StatusPresentation("green", trustworthy=True),
    Status.expiring: StatusPresentation("amber", trustworthy=True),
    Status.expired: StatusPresentation("red", trustworthy=False),
    Status.failed: StatusPresentation("red", trustworthy=False),
    Status.unverified: StatusPresentation("red", trustworthy=False),
    Status.no_record: StatusPresentation("grey", trustworthy=False),
    Status.suspended: StatusPresentation("grey", trustworthy=False),
    Status.retired: StatusPresentation("grey", trustworthy=False),
}


V = TypeVar("V", bound="VerificationLike")


def latest(records: Iterable[V]) -> V | None:
    return max(records, key=lambda r: r.performed_on, default=None)


def instrument_status(
    *, state: InstrumentState, mandatory: bool, latest_record: VerificationLike | None, on: date
) -> Status:
    """DESIGN.md's table. A handler's suspension or retirement outranks any record."""
    if state == InstrumentState.suspended:
        return Status.suspended
    if state == InstrumentState.retired:
        return Status.retired
    if latest_record is None:
        return Status.unverified if mandatory else Status.no_record
    if not latest_record.passed:
        return Status.failed
    if on > latest_record.valid_until:
        return Status.expired
    if on > latest_record.valid_until - EXPIRY_WARNING:
        return Status.expiring
    return Status.valid
