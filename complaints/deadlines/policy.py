"""Legal deadlines for complaints and reports, in Chinese working days.

The figures are policy, passed in by the caller: the rules they come from changed in 2026 and a district must be
able to change them without a release. Counting follows
:mod:`complaints.deadlines.working_days`: the event's own day does not count, the deadline is the n-th working day
after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from itertools import pairwise

from complaints.deadlines.working_days import Deadline, WorkingCalendar

MAX_DAYS = 365


@dataclass(frozen=True)
class DeadlinePolicy:
    """Deadline figures, in working days.

    The defaults are those of 市场监督管理投诉举报处理暂行办法 (SAMR Order No. 20 of 2019, amended 2022): decide on
    acceptance of a complaint within 7 working days of receipt, finish mediation within 45 working days of
    acceptance, verify a report within 15 working days of receipt, extendable once by 15, and tell the reporter of
    the decision within 5 working days. From 2026-04-15 that order is replaced by 市场监督管理投诉举报处理办法
    (Order No. 121), whose figures may differ — so each deployment sets these values from its configuration
    rather than relying on the defaults.
    """

    accept_days: int = 7
    mediate_days: int = 45
    verify_days: int = 15
    verify_extension_days: int = 15
    notify_reporter_days: int = 5
    odr_days: int = 10  # an ODR merchant settles within this many working days, else the station takes the case

    def __post_init__(self) -> None:
        for item in fields(self):
            _check_days(item.name, getattr(self, item.name))

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> DeadlinePolicy:
        """A policy from configuration; keys not given keep their defaults.

        Values must already be integers: turning text from the environment into numbers is the settings layer's
        job, and a string reaching this point is more likely a wiring mistake than a figure.
        """
        known = [item.name for item in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown deadline setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
        for name, value in values.items():
            _check_days(name, value)
        return cls(**{name: value for name, value in values.items() if isinstance(value, int)})


def _check_days(name: str, value: object) -> None:
    # bool is an int subclass; True as "1 day" would be a configuration accident, not an intent.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"deadline setting {name} must be a whole number of working days, not {value!r}")
    if not 1 <= value <= MAX_DAYS:
        raise ValueError(f"deadline setting {name} must be between 1 and {MAX_DAYS} working days, not {value}")


@dataclass(frozen=True)
class Pause:
    """A stretch during which the clock stands still (testing or verification of an instrument during mediation).

    Both ``start`` and ``end`` are paused days: the day the instrument goes for testing and the day the result
    comes back are not mediation days, and the clock resumes the day after ``end`` — the same "the event's day
    does not count" rule used for receipt. ``end`` None means the pause is still open.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"a pause cannot end ({self.end.isoformat()}) before it starts ({self.start.isoformat()})")


def deadline_with_pauses(
    calendar: WorkingCalendar, start: date, days: int, pauses: Sequence[Pause], *, today: date
) -> Deadline:
    """The day on which ``days`` unpaused working days after ``start`` have passed.

    Each pause moves the deadline later by the working days inside it (an open pause counts up to and including
    ``today``). Only pause days after ``start`` count, and a pause that begins after the (already moved) deadline
    moves nothing: a clock that has run out cannot be stopped. Pauses may not overlap, and an open pause must be
    the last one.
    """
    ordered = sorted(pauses, key=lambda pause: pause.start)
    for earlier, later in pairwise(ordered):
        if earlier.end is None or earlier.end >= later.start:
            raise ValueError(
                f"pauses overlap: the pause from {earlier.start.isoformat()} runs into the one from "
                f"{later.start.isoformat()}"
            )
    due = calendar.add_working_days(start, days).due
    paused = 0
    for pause in ordered:
        first = max(pause.start, start + timedelta(days=1))
        last = pause.end if pause.end is not None else today
        if first > due:
            break
        if last < first:
            continue
        stopped = calendar.working_days_between(first - timedelta(days=1), last)
        if stopped:
            # Adding from the old deadline is exact even when the pause runs past it: the pause's working days
            # after the old deadline are exactly the ones needed to reach its end.
            due = calendar.add_working_days(due, stopped).due
            paused += stopped
    fallback = calendar.fallback_years(start, due)
    return Deadline(due=due, approximate=bool(fallback), fallback_years=fallback, paused_days=paused)


def acceptance_deadline(calendar: WorkingCalendar, policy: DeadlinePolicy, received_on: date) -> Deadline:
    """Decide whether to accept a complaint (受理/不予受理) within this."""
    return calendar.add_working_days(received_on, policy.accept_days)


def mediation_deadline(
    calendar: WorkingCalendar, policy: DeadlinePolicy, accepted_on: date, pauses: Sequence[Pause], today: date
) -> Deadline:
    """Finish mediation (调解) of an accepted complaint; testing and verification time does not count."""
    return deadline_with_pauses(calendar, accepted_on, policy.mediate_days, pauses, today=today)


def verification_deadline(
    calendar: WorkingCalendar, policy: DeadlinePolicy, received_on: date, extended: bool
) -> Deadline:
    """Verify a report (核查) and decide whether to open a case; ``extended`` once approved (延长)."""
    days = policy.verify_days + (policy.verify_extension_days if extended else 0)
    return calendar.add_working_days(received_on, days)


def reporter_notice_deadline(calendar: WorkingCalendar, policy: DeadlinePolicy, decided_on: date) -> Deadline:
    """Tell the reporter whether a case was opened (告知举报人)."""
    return calendar.add_working_days(decided_on, policy.notify_reporter_days)
