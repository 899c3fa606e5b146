"""What some actions change on the case besides its status: its station (reroute) and its reading (reclassify).

Checked before anything is written, so a refused change leaves neither the case nor its timeline touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa

from complaints.classify.taxonomy import CATEGORIES
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.deadlines.policy import acceptance_deadline, verification_deadline
from complaints.models import Complaint, Queue
from complaints.workflow import STATION, CaseStatus, Intent, WorkflowError
from lookup.identifiers import parse_row_id
from lookup.models import Station, table_of
from lookup.problems import Kind

complaint_t, station_t = table_of(Complaint), table_of(Station)


def check_effects(connection: sa.Connection, action: str, status: CaseStatus, facts: Mapping[str, object]) -> None:
    if action == "reroute":
        station_id = facts.get(STATION)
        known = (
            isinstance(station_id, int)
            and parse_row_id(station_id) is not None
            and connection.execute(sa.select(station_t.c.id).where(station_t.c.id == station_id)).scalar()
        )
        if not known:
            raise WorkflowError(
                "bad_station", f"没有编号为 {station_id!r} 的监管所。", f"no station with id {station_id!r}"
            )
    if action == "reclassify":
        intent, category = facts.get("intent"), facts.get("category")
        if intent not in Intent.__members__ or category not in CATEGORIES:
            raise WorkflowError(
                "bad_label",
                f"不认识的类型和类别：{intent!r}，{category!r}。",
                f"not a known intent and category: {intent!r}, {category!r}",
            )
        if status is not CaseStatus.received:
            raise WorkflowError(
                "not_now",
                "只有刚收到的案件才能改类型。",
                "the intent can only change while the case is still just received",
                kind=Kind.conflict,
            )


def apply_effects(
    connection: sa.Connection,
    complaint_id: int,
    action: str,
    facts: Mapping[str, object],
    *,
    rules: DeadlineRules | None,
    received_on: date,
) -> None:
    case = complaint_t.c.id == complaint_id
    if action == "reroute":
        # A new station's own colleagues take it up: the assignment at the old one ends with the move.
        connection.execute(
            sa.update(complaint_t).where(case).values(station_id=facts[STATION], queue=Queue.station, assignee=None)
        )
    elif action == "assign":
        connection.execute(sa.update(complaint_t).where(case).values(assignee=str(facts["assignee"])[:50]))
    elif action == "reclassify":
        intent = Intent(str(facts["intent"]))
        changes: dict[str, object] = {"intent": intent, "category": facts["category"], "needs_triage": False}
        if rules is not None:
            accept_due = handle_due = None
            if intent is Intent.complaint:
                accept_due = acceptance_deadline(rules.calendar, rules.policy, received_on).due
            elif intent is Intent.report:
                handle_due = verification_deadline(rules.calendar, rules.policy, received_on, extended=False).due
            changes |= {"accept_due": accept_due, "handle_due": handle_due, "due_on": accept_due or handle_due}
        connection.execute(sa.update(complaint_t).where(case).values(**changes))
