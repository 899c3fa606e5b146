"""The handlers' JSON API: `GET /api/v1/queue`, `GET /api/v1/queue/{ref}` and `POST /api/v1/queue/{ref}/actions`.

Another station's case answers 404, exactly like a reference that does not exist: a handler cannot learn which
references are in use elsewhere by guessing. A case is answered with its version as ``ETag``; an action sent with
``If-Match: <that ETag>`` is taken only if the case is still at that version, else it answers 409 with the case as
it now stands (and its new ETag). Without If-Match an action applies to whatever version is stored. Refusals (a bad
filter, cursor or limit, an action the workflow does not allow) are problems that web/errors.py answers.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from complaints.cases import StaleCase
from complaints.personal_data.access_log import AccessRoute
from complaints.privacy import mask_name, mask_phone, reveals_contact
from complaints.queue.listing import list_cases
from complaints.queue.staff_case import StaffCase, staff_case
from complaints.scope import Scope
from complaints.workflow import allowed_actions, clean_facts
from lookup.problems import Problem
from web.auth.access import VIEWER, staff
from web.auth.scope import CASE_WORKERS, SCOPE, Reach, in_scope
from web.casework import act, case_not_found, visible_case
from web.contact_log import contacts_shown
from web.http.json_body import read_json
from web.keys import CLOCK, ENGINE, SETTINGS
from web.queue_filters import parse_filter, parse_limit


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/queue", list_api)
    app.router.add_get("/api/v1/queue/{ref}", case_api)
    app.router.add_post("/api/v1/queue/{ref}/actions", case_action_api)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def case_json(case: StaffCase, scope: Scope) -> dict[str, Any]:
    handling = reveals_contact(case.intent, own_station=scope.handles(case.station_id))
    return {
        "ref": case.ref,
        "text": case.text,
        "channel": case.channel,
        "received_at": case.received_at.isoformat(),
        "intent": case.intent.value,
        "classifier_intent": case.classifier_intent.value if case.classifier_intent else None,
        "consumer_intent": case.consumer_intent.value if case.consumer_intent else None,
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
        "assignee": case.assignee,
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
        "allowed_actions": allowed_actions(case.intent, case.status, scope.role, case.history) if scope.role else [],
    }


def etag(case: StaffCase) -> str:
    return f'"{case.version}"'


def _if_match(request: web.Request) -> int | None:
    """The case version an action names in ``If-Match`` (None: no header, or ``*``)."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    tag = raw.removeprefix("W/")
    number = tag[1:-1] if len(tag) > 2 and tag[0] == tag[-1] == '"' else ""
    if not number.isdigit() or len(number) > 18:
        raise Problem(
            "bad_if_match",
            'If-Match 必须是这个案件的 ETag，例如 "123"。',
            'If-Match must be the case\'s ETag, such as "123".',
            field="If-Match",
        )
    return int(number)


async def _case_answer(
    request: web.Request,
    complaint_id: int,
    route: AccessRoute,
    status: int = 200,
    problem: Problem | None = None,
) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        case = await staff_case(connection, complaint_id)
    scope = request[SCOPE]
    if (case.contact_name or case.contact_phone) and reveals_contact(
        case.intent, own_station=scope.handles(case.station_id)
    ):
        await contacts_shown(request, [complaint_id], route)
    body = case_json(case, scope)
    if problem is not None:  # the refusal, with the case as it now stands
        problem_fields = {"error": problem.code, "status": status, "message": problem.english}
        body = {**problem_fields, "message_zh": problem.chinese, "field": problem.field, "case": body}
    return web.json_response(body, status=status, headers={"ETag": etag(case)}, dumps=_dumps)


@staff(*CASE_WORKERS)
@in_scope(visible_case, missing=case_not_found)
async def case_api(request: web.Request, complaint_id: int) -> web.Response:
    return await _case_answer(request, complaint_id, AccessRoute.case_api)


def _bad_body() -> Problem:
    return Problem(
        "bad_json", "请求必须是带 `action` 的 JSON 对象。", "The body must be a JSON object with an `action`."
    )


@staff(*CASE_WORKERS)
@in_scope(visible_case, missing=case_not_found)
async def case_action_api(request: web.Request, complaint_id: int) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("action"), str):
        raise _bad_body()
    facts = clean_facts({name: value for name, value in body.items() if name != "action"})
    expected = _if_match(request)
    try:
        await act(request, complaint_id, body["action"], facts, expected_version=expected)
    except StaleCase as stale:
        return await _case_answer(request, complaint_id, AccessRoute.case_action_api, status=409, problem=stale)
    return await _case_answer(request, complaint_id, AccessRoute.case_action_api)


@staff(*CASE_WORKERS, reach=Reach.scope)
async def list_api(request: web.Request) -> web.Response:
    """The caller's visible cases, nearest deadline first; `?after=` the previous answer's `next`."""
    today = request.app[CLOCK]().date()
    filters = parse_filter(request.query, zone=request.app[SETTINGS].zone, today=today, me=request[VIEWER].username)
    limit = parse_limit(request.query.get("limit"))
    async with request.app[ENGINE].connect() as connection:
        page = await list_cases(connection, request[SCOPE], filters, after=request.query.get("after"), limit=limit)
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
            "merchant": row.merchant,
            "market": row.market,
            "assignee": row.assignee,
            "linked_ref": row.linked_ref,
        }
        for row in page.rows
    ]
    return web.json_response({"cases": cases, "next": page.next_cursor}, dumps=_dumps)
