"""Working a case from the web, shared by the handlers' page and their JSON API: finding the case a path names
within the viewer's scope, and taking an action on it through the workflow."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.cases import take_action
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.models import Complaint
from complaints.queue.staff_case import case_station
from complaints.scope import Scope
from complaints.workflow import Step, WorkflowError
from lookup.identifiers import parse_reference
from lookup.models import table_of
from lookup.problems import Kind, Problem
from web.auth.access import VIEWER
from web.auth.models import StaffRole, User
from web.auth.scope import SCOPE, scope_for
from web.db import for_writing
from web.keys import CLOCK, ENGINE, INTAKE

complaint_t, user_t = table_of(Complaint), table_of(User)


def case_not_found() -> Problem:
    return Problem(
        "not_found",
        "您的队列里没有这个编号的案件。",
        "No case with this reference in your queue.",
        field="ref",
        kind=Kind.not_found,
    )


def case_ref(request: web.Request) -> str:
    return parse_reference(request.match_info["ref"]) or ""


async def visible_case(request: web.Request, scope: Scope) -> int | None:
    """The id of the case the path's `{ref}` names, or None when there is none in the scope: another station's
    case is indistinguishable from a reference never given out."""
    ref = case_ref(request)
    if not ref:
        return None
    async with request.app[ENGINE].connect() as connection:
        found = await case_station(connection, ref)
    if found is None or not scope.sees_case(found[1], found[2]):
        return None
    return found[0]


async def deadline_rules(request: web.Request) -> DeadlineRules:
    return await request.app[INTAKE].deadline_rules()


async def act(
    request: web.Request,
    complaint_id: int,
    action: str,
    facts: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> Step:
    """Take the action as the viewer; raises :class:`WorkflowError` saying why it cannot be taken, and
    :class:`StaleCase` when the case is no longer at ``expected_version`` (None: whatever it is at)."""
    scope, viewer = request[SCOPE], request[VIEWER]
    if scope.role is None:
        raise WorkflowError("forbidden", "您不能办理案件。", "you may not act on cases", kind=Kind.refused)
    rules = await deadline_rules(request)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        if action == "assign":
            await _check_assignee(connection, complaint_id, facts.get("assignee"))
        return await take_action(
            connection,
            complaint_id,
            action,
            role=scope.role,
            actor_id=viewer.user_id,
            facts=facts,
            now=request.app[CLOCK](),
            rules=rules,
            expected_version=expected_version,
        )


async def _check_assignee(connection: AsyncConnection, complaint_id: int, assignee: object) -> None:
    """A case is assigned to an active colleague who can work it: someone whose own scope holds its station."""
    station_id = (
        await connection.execute(sa.select(complaint_t.c.station_id).where(complaint_t.c.id == complaint_id))
    ).scalar()
    user = (
        await connection.execute(
            sa.select(user_t.c.role, user_t.c.station_id).where(
                user_t.c.username == str(assignee or ""), user_t.c.active.is_(True)
            )
        )
    ).first()
    colleague = scope_for(StaffRole(user.role), user.station_id) if user is not None else Scope.nothing()
    if colleague.role is None or not colleague.sees_station(station_id):
        raise WorkflowError(
            "bad_assignee",
            f"{assignee!r} 不是能办理这个案件的同事。",
            f"{assignee!r} is not a colleague who can work this case",
            field="assignee",
        )


async def colleagues(connection: AsyncConnection, station_id: int | None) -> list[tuple[str, str]]:
    """(username, name) of everyone a case at the station may be assigned to: its active handlers, then the
    district's supervisors, by name."""
    active_staff = user_t.c.active.is_(True)
    station_handlers = sa.and_(user_t.c.role == StaffRole.handler, user_t.c.station_id == station_id)
    rows = await connection.execute(
        sa.select(user_t.c.username, user_t.c.display_name)
        .where(active_staff, sa.or_(station_handlers, user_t.c.role == StaffRole.supervisor))
        .order_by(user_t.c.role, user_t.c.display_name, user_t.c.username)
    )
    return [(username, display_name or username) for username, display_name in rows]
