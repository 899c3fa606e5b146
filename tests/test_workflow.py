"""The case lifecycle: what may happen, by whom, with which reasons."""

from __future__ import annotations

import pytest

from complaints.workflow import (
    WORKFLOWS,
    CaseStatus,
    DeclineGround,
    History,
    Intent,
    Role,
    WorkflowError,
    allowed_actions,
    take,
)

S = CaseStatus
FACTS = {
    "note": "已电话联系双方",
    "ground": "no_jurisdiction",
    "station_id": 2,
    "outcome": {"refund_yuan": 35.5},
    "message": "您好，已受理。",
    "assignee": 7,
    "due_on": "2026-12-07",
    "reason": "refused",
    "intent": "report",
    "category": "short_weight",
}


def walk(intent: Intent, *actions: str) -> CaseStatus:
    status = S.received
    for action in actions:
        status = take(intent, status, action, Role.handler, FACTS).status
    return status


@pytest.mark.parametrize(
    ("intent", "actions", "end"),
    [
        (Intent.complaint, ("accept", "start_mediation", "resolve", "close"), S.closed),
        (Intent.complaint, ("accept", "start_mediation", "end_mediation", "close"), S.closed),
        (Intent.complaint, ("decline", "close"), S.closed),
        (Intent.complaint, ("accept", "transfer"), S.transferred),
        (Intent.report, ("start_verification", "open_case", "close"), S.closed),
        (Intent.report, ("start_verification", "extend_verification", "no_case", "close"), S.closed),
        (Intent.inquiry, ("answer", "close"), S.closed),
        (Intent.feedback, ("acknowledge", "close"), S.closed),
    ],
)
def test_paths_through_each_lifecycle(intent: Intent, actions: tuple[str, ...], end: CaseStatus) -> None:
    assert walk(intent, *actions) is end


def test_every_status_of_every_workflow_can_reach_closed() -> None:
    for intent, actions in WORKFLOWS.items():
        targets = {a.target for a in actions.values() if a.target} | {S.received}
        for start in targets:
            seen, frontier = {start}, [start]
            while frontier:
                status = frontier.pop()
                # A case with the merchant (ODR) leaves that status by the service's steps, not a handler's.
                moves = [(n, r) for r in (Role.supervisor, Role.system) for n in allowed_actions(intent, status, r)]
                for name, role in moves:
                    nxt = take(intent, status, name, role, FACTS).status
                    if nxt not in seen:
                        seen.add(nxt)
                        frontier.append(nxt)
            assert S.closed in seen or start is S.closed, (intent, start)


def test_declining_needs_a_statutory_ground_and_a_note() -> None:
    with pytest.raises(WorkflowError, match="needs: ground, note") as missing:
        take(Intent.complaint, S.received, "decline", Role.handler, {})
    assert missing.value.code == "missing"
    with pytest.raises(WorkflowError) as bad:
        take(Intent.complaint, S.received, "decline", Role.handler, {"ground": "too busy", "note": "x"})
    assert bad.value.code == "bad_ground"
    with pytest.raises(WorkflowError, match="note"):
        take(Intent.complaint, S.received, "decline", Role.handler, {"ground": "over_three_years", "note": "  "})
    for ground in DeclineGround:
        step = take(Intent.complaint, S.received, "decline", Role.handler, {"ground": ground.value, "note": "依据"})
        assert (step.status, step.facts["ground"]) == (S.declined, ground.value)


def test_actions_out_of_order_are_refused() -> None:
    with pytest.raises(WorkflowError) as early:
        take(Intent.complaint, S.received, "resolve", Role.handler, FACTS)
    assert early.value.code == "not_now"
    with pytest.raises(WorkflowError) as unknown:
        take(Intent.feedback, S.received, "open_case", Role.handler, FACTS)
    assert unknown.value.code == "unknown_action"
    assert allowed_actions(Intent.complaint, S.closed, Role.supervisor) == []


def test_roles() -> None:
    with pytest.raises(WorkflowError) as system:
        take(Intent.complaint, S.received, "accept", Role.system, {})
    assert system.value.code == "forbidden"
    assert take(Intent.inquiry, S.received, "answer", Role.system, FACTS).status is S.answered
    assert take(Intent.feedback, S.received, "acknowledge", Role.system, {}).status is S.acknowledged
    assert allowed_actions(Intent.complaint, S.received, Role.admin) == []
    assert allowed_actions(Intent.complaint, S.received, Role.handler)[:3] == ["accept", "decline", "transfer"]


def test_timeline_only_actions_keep_the_status() -> None:
    paused = History(paused=True)
    for action in ("pause_for_testing", "resume", "note", "reply"):
        history = paused if action == "resume" else History()
        step = take(Intent.complaint, S.mediating, action, Role.handler, FACTS, history)
        assert (step.status, step.status_changed) == (S.mediating, False)
    assert take(Intent.complaint, S.mediating, "note", Role.handler, FACTS).public is False
    assert take(Intent.complaint, S.mediating, "reply", Role.handler, FACTS).public is True
    assert take(Intent.complaint, S.received, "accept", Role.handler, {}).status_changed is True


def _reachable(intent: Intent) -> list[tuple[CaseStatus, tuple[str, ...]]]:
    """Every (status, actions taken) a handler can reach from a new case, each history at most five actions long."""
    seen: list[tuple[CaseStatus, tuple[str, ...]]] = []
    frontier: list[tuple[CaseStatus, tuple[str, ...]]] = [(S.received, ())]
    while frontier:
        status, done = frontier.pop()
        seen.append((status, done))
        if len(done) >= 5:
            continue
        for name in allowed_actions(intent, status, Role.handler, History.of(done)):
            if name not in ("reply", "note", "assign", "reroute"):  # they change nothing the workflow looks at
                step = take(intent, status, name, Role.handler, FACTS, History.of(done))
                frontier.append((step.status, (*done, name)))
    return seen


@pytest.mark.parametrize("intent", list(Intent))
def test_every_action_is_offered_exactly_when_the_workflow_takes_it(intent: Intent) -> None:
    for status, done in _reachable(intent):
        history = History.of(done)
        offered = set(allowed_actions(intent, status, Role.handler, history))
        for name in WORKFLOWS[intent]:
            if name in offered:
                take(intent, status, name, Role.handler, FACTS, history)
                continue
            with pytest.raises(WorkflowError) as refused:
                take(intent, status, name, Role.handler, FACTS, history)
            # The service's own steps (ODR) are refused to a handler whatever the status.
            expected = "not_now" if Role.handler in WORKFLOWS[intent][name].roles else "forbidden"
            assert refused.value.code == expected, (done, name)


def test_resume_is_offered_only_while_the_case_is_paused_for_testing() -> None:
    def offered(*done: str) -> list[str]:
        return allowed_actions(Intent.complaint, S.mediating, Role.handler, History.of(("accept", *done)))

    assert "resume" not in offered("start_mediation")
    assert "pause_for_testing" in offered("start_mediation")
    assert "resume" in offered("start_mediation", "pause_for_testing")
    assert "pause_for_testing" not in offered("start_mediation", "pause_for_testing")
    assert "resume" not in offered("start_mediation", "pause_for_testing", "resume")
    assert "pause_for_testing" in offered("start_mediation", "pause_for_testing", "resume")
    with pytest.raises(WorkflowError) as never_paused:
        take(Intent.complaint, S.mediating, "resume", Role.handler, {}, History())
    assert never_paused.value.code == "not_now"
    assert "not paused for testing" in never_paused.value.english


def test_a_verification_is_extended_once_and_the_intent_changes_only_on_a_new_case() -> None:
    once = History.of(["start_verification", "extend_verification"])
    assert "extend_verification" in allowed_actions(Intent.report, S.verifying, Role.handler)
    assert "extend_verification" not in allowed_actions(Intent.report, S.verifying, Role.handler, once)
    assert "reclassify" in allowed_actions(Intent.complaint, S.received, Role.handler)
    assert "reclassify" not in allowed_actions(Intent.complaint, S.accepted, Role.handler)
