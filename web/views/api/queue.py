"""The handlers' JSON API: `GET /api/v1/queue/{ref}` and `POST /api/v1/queue/{ref}/actions`.

Another station's case answers 404, exactly like a reference that does not exist: a handler cannot learn which
references are in use elsewhere by guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.cases import take_action
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.models import Complaint
from complaints.privacy import mask_name, mask_phone, reveals_contact
from complaints.queue.listing import DEFAULT_LIMIT, MAX_LIMIT, BadCursor, list_cases
from complaints.queue.staff_case import StaffCase, case_station, staff_case
from complaints.workflow import Role, WorkflowError, allowed_actions
from lookup.models import table_of
from web.auth.access import VIEWER, staff
from web.auth.accounts import Viewer
from web.auth.models import StaffRole, User
from web.db import for_writing
from web.keys import CLOCK, ENGINE, INTAKE, SETTINGS
from web.views.staff.queue_filters import FILTER_NAMES, BadFilter, parse_filter, scope_for

complaint_t, user_t = table_of(Complaint), table_of(User)
CASE_WORKERS = (StaffRole.handler, StaffRole.supervisor)
WORKFLOW_ROLE = {StaffRole.handler: Role.handler, StaffRole.supervisor: Role.supervisor, StaffRole.admin: Role.admin}
# Refusals by the workflow: what the request asked is understood but cannot be done now (409) or is incomplete (422).
_WORKFLOW_STATUS = {"forbidden": 403, "not_now": 409, "unknown_action": 422, "missing": 422}


def may_see(viewer: Viewer, station_id: int | None, queue: str) -> bool:
    """The one rule for cases: a handler sees their own station's queue; a supervisor the whole district's,
    intake queues included."""
    if viewer.role is StaffRole.supervisor:
        return True
    return viewer.role is StaffRole.handler and queue == "station" and station_id == viewer.station_id


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/queue", list_api)
    app.router.add_get("/api/v1/queue/{ref}", case_api)
    app.router.add_post("/api/v1/queue/{ref}/actions", case_action_api)


def _not_found() -> web.Response:
    body = {
        "error": "not_found",
        "message": "No case with this reference in your queue.",
        "message_zh": "您的队列里没有这个编号的案件。",
        "status": 404,
    }
    return web.json_response(body, status=404, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def visible_case_id(request: web.Request) -> int | None:
    ref = request.match_info["ref"].strip().upper()
    if len(ref) > 20:
        return None
    async with request.app[ENGINE].connect() as connection:
        found = await case_station(connection, ref)
    if found is None or not may_see(request[VIEWER], found[1], found[2]):
        return None
    return found[0]


def own_station(case: StaffCase, viewer: Viewer) -> bool:
    return case.station_id is not None and case.station_id == viewer.station_id


def case_json(case: StaffCase, viewer: Viewer) -> dict[str, Any]:
    handling = reveals_contact(case.intent, own_station=own_station(case, viewer))
    return {
        "ref": case.ref,
        "text": case.text,
        "channel": case.channel,
        "received_at": case.received_at.isoformat(),
        "intent": case.intent.value,
        "category": case.category,
        "confidence": case.confidence,
        "needs_triage": case.needs_triage,
        "priority": case.priority,
        "status": case.status.value,
        "queue": case.queue,
        "station": case.station_name,
        "due_on": case.due_on,
        "accept_due": case.accept_due,
        "handle_due": case.handle_due,
        "deadline_approximate": case.deadline_approximate,
        "linked_ref": case.linked_ref,
        "contact": {
            "name": case.contact_name if handling else mask_name(case.contact_name),
            "phone": case.contact_phone if handling else mask_phone(case.contact_phone),
            "consent": case.contact_consent,
        },
        "instrument_code": case.instrument_code,
        "merchant": case.merchant_name,
        "market": case.market_name,
        "photos": len(case.photo_ids),
        "events": [
            {
                "at": event.at.isoformat(),
                "actor_role": event.actor_role,
                "action": event.action,
                "from_status": event.from_status.value,
                "to_status": event.to_status.value,
                "public": event.public,
                "facts": event.facts,
            }
            for event in case.events
        ],
        "allowed_actions": allowed_actions(case.intent, case.status, WORKFLOW_ROLE[viewer.role]),
    }


async def _case_answer(request: web.Request, complaint_id: int, status: int = 200) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        case = await staff_case(connection, complaint_id)
    return web.json_response(case_json(case, request[VIEWER]), status=status, dumps=_dumps)


@staff(*CASE_WORKERS)
async def case_api(request: web.Request) -> web.Response:
    complaint_id = await visible_case_id(request)
    if complaint_id is None:
        return _not_found()
    return await _case_answer(request, complaint_id)


async def deadline_rules(request: web.Request) -> DeadlineRules:
    intake = request.app[INTAKE]
    _, calendar = await intake.reference.get()
    return DeadlineRules(calendar, intake.policy.deadlines, request.app[SETTINGS].zone)


def _problem(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message, "status": status}, status=status, dumps=_dumps)


@staff(*CASE_WORKERS)
async def case_action_api(request: web.Request) -> web.Response:
    complaint_id = await visible_case_id(request)
    if complaint_id is None:
        return _not_found()
    try:
        body = json.loads(await request.read())
    except ValueError:
        return _problem(400, "bad_json", "The body must be a JSON object with an `action`.")
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        return _problem(400, "bad_json", "The body must be a JSON object with an `action`.")
    viewer = request[VIEWER]
    facts = {name: value for name, value in body.items() if name != "action"}
    refusal = await act(request, complaint_id, body["action"], facts, viewer)
    if refusal is not None:
        return _problem(refusal.status, refusal.code, refusal.message)
    return await _case_answer(request, complaint_id)


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


async def act(
    request: web.Request, complaint_id: int, action: str, facts: dict[str, Any], viewer: Viewer
) -> Refusal | None:
    """Take the action; None when it was taken, else why not."""
    rules = await deadline_rules(request)
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            if action == "assign":
                await _check_assignee(connection, complaint_id, facts.get("assignee"))
            await take_action(
                connection,
                complaint_id,
                action,
                role=WORKFLOW_ROLE[viewer.role],
                actor_id=viewer.user_id,
                facts=facts,
                now=request.app[CLOCK](),
                rules=rules,
            )
    except WorkflowError as error:
        return Refusal(_WORKFLOW_STATUS.get(error.code, 422), error.code, str(error))
    return None


async def _check_assignee(connection: AsyncConnection, complaint_id: int, assignee: object) -> None:
    """A case is assigned to an active colleague who can work it: a handler of its station, or a supervisor."""
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
    can_work = user is not None and (
        user.role == StaffRole.supervisor or (user.role == StaffRole.handler and user.station_id == station_id)
    )
    if not can_work:
        raise WorkflowError("bad_assignee", f"{assignee!r} is not a colleague who can work this case")


@staff(*CASE_WORKERS)
async def list_api(request: web.Request) -> web.Response:
    """The caller's visible cases, nearest deadline first; `?after=` the previous answer's `next`."""
    today = request.app[CLOCK]().date()
    try:
        filters = parse_filter(request.query, zone=request.app[SETTINGS].zone, today=today)
        limit = int(request.query.get("limit", DEFAULT_LIMIT))
        async with request.app[ENGINE].connect() as connection:
            page = await list_cases(
                connection, scope_for(request[VIEWER]), filters, after=request.query.get("after"), limit=limit
            )
    except BadFilter as error:
        return _problem(400, "bad_filter", f"{error} (filters: {', '.join(FILTER_NAMES)})")
    except BadCursor:
        return _problem(400, "bad_cursor", "`after` must be the `next` value of a previous answer.")
    except ValueError:
        return _problem(400, "bad_limit", f"`limit` must be a whole number from 1 to {MAX_LIMIT}.")
    cases = [
        {
            "ref": row.ref,
            "received_at": row.received_at.isoformat(),
            "intent": row.intent.value,
            "category": row.category,
            "priority": row.priority.value,
            "status": row.status.value,
            "channel": row.channel,
            "queue": row.queue.value,
            "due_on": row.due_on,
            "urgency": row.urgency(today).value,
            "needs_triage": row.needs_triage,
            "excerpt": row.excerpt,
        }
        for row in page.rows
    ]
    return web.json_response({"cases": cases, "next": page.next_cursor}, dumps=_dumps)
