"""DESIGN.md's status table, at every boundary."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lookup.status import instrument_status
from lookup.vocab import InstrumentState, Status
from tests.support import verification

VALID_UNTIL = date(2027, 3, 31)
PASSED = verification(date(2026, 3, 31), VALID_UNTIL)


def status_on(day: date, record=PASSED, *, state=InstrumentState.in_use, mandatory=True) -> Status:  # type: ignore[no-untyped-def]
    return instrument_status(state=state, mandatory=mandatory, latest_record=record, on=day)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (VALID_UNTIL - timedelta(days=365), Status.valid),
        (VALID_UNTIL - timedelta(days=31), Status.valid),
        (VALID_UNTIL - timedelta(days=30), Status.valid),  # today <= valid_until - 30 days is still valid
        (VALID_UNTIL - timedelta(days=29), Status.expiring),
        (VALID_UNTIL - timedelta(days=1), Status.expiring),
        (VALID_UNTIL, Status.expiring),  # the last valid day
        (VALID_UNTIL + timedelta(days=1), Status.expired),
        (VALID_UNTIL + timedelta(days=400), Status.expired),
    ],
)
def test_passed_record_over_time(day: date, expected: Status) -> None:
    assert status_on(day) is expected


def test_failed_record_is_failed_even_before_its_validity_ends() -> None:
    failed = verification(date(2026, 3, 31), VALID_UNTIL, passed=False)
    assert status_on(date(2026, 4, 1), failed) is Status.failed
    assert status_on(VALID_UNTIL + timedelta(days=10), failed) is Status.failed


def test_no_record() -> None:
    assert status_on(date(2026, 4, 1), None) is Status.unverified
    assert status_on(date(2026, 4, 1), None, mandatory=False) is Status.no_record


@pytest.mark.parametrize("state", [InstrumentState.suspended, InstrumentState.retired])
def test_handler_states_outrank_records(state: InstrumentState) -> None:
    assert status_on(date(2026, 4, 1), PASSED, state=state).value == state.value
    assert status_on(date(2026, 4, 1), None, state=state).value == state.value


def test_states_read_as_plain_strings_from_a_raw_driver() -> None:
    assert (
        instrument_status(state="suspended", mandatory=True, latest_record=PASSED, on=date(2026, 4, 1))
        is Status.suspended
    )  # type: ignore[arg-type]
