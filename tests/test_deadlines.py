"""Deadline policy (configuration) and the paused mediation clock."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.deadlines.policy import (
    DeadlinePolicy,
    Pause,
    acceptance_deadline,
    deadline_with_pauses,
    mediation_deadline,
    reporter_notice_deadline,
    verification_deadline,
)
from complaints.deadlines.working_days import WorkingCalendar


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar({})


# --- policy ---


def test_defaults_are_the_2019_figures() -> None:
    policy = DeadlinePolicy()
    assert (
        policy.accept_days,
        policy.mediate_days,
        policy.verify_days,
        policy.verify_extension_days,
        policy.notify_reporter_days,
    ) == (7, 45, 15, 15, 5)


def test_from_mapping_overrides_some_and_keeps_the_rest() -> None:
    policy = DeadlinePolicy.from_mapping({"accept_days": 10, "mediate_days": 60})
    assert policy == DeadlinePolicy(accept_days=10, mediate_days=60)
    assert DeadlinePolicy.from_mapping({}) == DeadlinePolicy()
    assert DeadlinePolicy.from_mapping({"verify_days": 365}).verify_days == 365


def test_from_mapping_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown deadline setting\(s\) accept, mediation_days"):
        DeadlinePolicy.from_mapping({"accept": 7, "mediation_days": 45})


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "between 1 and 365"),
        (-3, "between 1 and 365"),
        (366, "between 1 and 365"),
        (7.0, "whole number"),
        (7.5, "whole number"),
        ("7", "whole number"),
        ("seven", "whole number"),
        (True, "whole number"),
        (None, "whole number"),
    ],
)
def test_from_mapping_rejects_bad_values(value: object, words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        DeadlinePolicy.from_mapping({"accept_days": value})
    assert "accept_days" in str(caught.value)


def test_policy_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match="mediate_days"):
        DeadlinePolicy(mediate_days=0)


# --- convenience deadlines ---


def test_acceptance_and_notice_deadlines(calendar: WorkingCalendar) -> None:
    policy = DeadlinePolicy()
    assert acceptance_deadline(calendar, policy, d("2026-09-30")).due == d("2026-10-15")
    assert reporter_notice_deadline(calendar, policy, d("2026-09-30")).due == d("2026-10-13")


def test_verification_deadline_with_and_without_extension(calendar: WorkingCalendar) -> None:
    policy = DeadlinePolicy()
    plain = verification_deadline(calendar, policy, d("2026-03-02"), extended=False)
    longer = verification_deadline(calendar, policy, d("2026-03-02"), extended=True)
    assert calendar.working_days_between(d("2026-03-02"), plain.due) == 15
    assert calendar.working_days_between(d("2026-03-02"), longer.due) == 30
    assert calendar.working_days_between(plain.due, longer.due) == 15


def test_policy_figures_drive_the_result(calendar: WorkingCalendar) -> None:
    policy = DeadlinePolicy.from_mapping({"accept_days": 3})
    assert acceptance_deadline(calendar, policy, d("2026-03-06")).due == d("2026-03-11")


# --- pauses ---


def test_ten_working_day_pause_moves_mediation_by_ten(calendar: WorkingCalendar) -> None:
    policy = DeadlinePolicy()
    accepted = d("2026-03-02")
    plain = mediation_deadline(calendar, policy, accepted, [], d("2026-03-02"))
    # Monday 16 to Friday 27 March: both ends are paused days, ten working days in all.
    pause = Pause(d("2026-03-16"), d("2026-03-27"))
    paused = mediation_deadline(calendar, policy, accepted, [pause], d("2026-04-01"))
    assert paused.paused_days == 10
    assert calendar.working_days_between(plain.due, paused.due) == 10
    assert calendar.working_days_between(accepted, paused.due) == 55


def test_open_pause_counts_up_to_today(calendar: WorkingCalendar) -> None:
    policy = DeadlinePolicy()
    accepted = d("2026-03-02")
    plain = mediation_deadline(calendar, policy, accepted, [], d("2026-03-02"))
    open_pause = [Pause(d("2026-03-16"))]
    on_friday = mediation_deadline(calendar, policy, accepted, open_pause, d("2026-03-20"))
    assert on_friday.paused_days == 5
    assert calendar.working_days_between(plain.due, on_friday.due) == 5
    # the weekend adds nothing; each further working day of testing adds one
    assert mediation_deadline(calendar, policy, accepted, open_pause, d("2026-03-22")).due == on_friday.due
    assert mediation_deadline(calendar, policy, accepted, open_pause, d("2026-03-23")).paused_days == 6
    # a pause that has not begun yet moves nothing
    assert mediation_deadline(calendar, policy, accepted, open_pause, d("2026-03-13")).due == plain.due


def test_pause_running_past_the_old_deadline(calendar: WorkingCalendar) -> None:
    # 5 days from Monday 2 March: 3, 4, 5 March run; 6–13 March are paused; 16 and 17 March complete the five.
    deadline = deadline_with_pauses(
        calendar, d("2026-03-02"), 5, [Pause(d("2026-03-06"), d("2026-03-13"))], today=d("2026-03-20")
    )
    assert deadline.due == d("2026-03-17")
    assert deadline.paused_days == 6


def test_pause_days_before_start_or_after_deadline_do_not_count(calendar: WorkingCalendar) -> None:
    plain = deadline_with_pauses(calendar, d("2026-03-02"), 5, [], today=d("2026-03-02"))
    assert plain.due == d("2026-03-09")
    before = Pause(d("2026-02-24"), d("2026-03-02"))  # ends on the start day, which never counts anyway
    after = Pause(d("2026-03-10"), d("2026-03-12"))  # the clock ran out on 9 March
    both = deadline_with_pauses(calendar, d("2026-03-02"), 5, [after, before], today=d("2026-03-20"))
    assert both.due == plain.due
    assert both.paused_days == 0
    # a pause straddling the start counts only its days after the start
    straddle = deadline_with_pauses(
        calendar, d("2026-03-02"), 5, [Pause(d("2026-02-26"), d("2026-03-03"))], today=d("2026-03-20")
    )
    assert straddle.paused_days == 1
    assert straddle.due == d("2026-03-10")


def test_several_pauses_and_holidays(calendar: WorkingCalendar) -> None:
    # Two pauses of 2 working days each, the second across the National Day holiday (no working days inside it).
    pauses = [Pause(d("2026-09-21"), d("2026-09-22")), Pause(d("2026-09-30"), d("2026-10-08"))]
    deadline = deadline_with_pauses(calendar, d("2026-09-18"), 10, pauses, today=d("2026-10-20"))
    assert deadline.paused_days == 4
    assert calendar.working_days_between(d("2026-09-18"), deadline.due) == 14
    assert calendar.is_working_day(deadline.due)


def test_overlapping_pauses_rejected(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="overlap"):
        deadline_with_pauses(
            calendar,
            d("2026-03-02"),
            45,
            [Pause(d("2026-03-10"), d("2026-03-20")), Pause(d("2026-03-20"), d("2026-03-25"))],
            today=d("2026-04-01"),
        )
    with pytest.raises(ValueError, match="overlap"):
        deadline_with_pauses(
            calendar,
            d("2026-03-02"),
            45,
            [Pause(d("2026-03-10")), Pause(d("2026-03-20"), d("2026-03-25"))],
            today=d("2026-04-01"),
        )
    adjacent = [Pause(d("2026-03-10"), d("2026-03-11")), Pause(d("2026-03-12"), d("2026-03-13"))]
    assert deadline_with_pauses(calendar, d("2026-03-02"), 45, adjacent, today=d("2026-04-01")).paused_days == 4


def test_pause_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Pause(d("2026-03-10"), d("2026-03-09"))


def test_mediation_into_2027_is_approximate(calendar: WorkingCalendar) -> None:
    deadline = mediation_deadline(
        calendar, DeadlinePolicy(), d("2026-11-20"), [Pause(d("2026-12-01"), d("2026-12-04"))], d("2026-12-10")
    )
    assert deadline.approximate
    assert deadline.fallback_years == (2027,)
    assert deadline.paused_days == 4
