"""The handlers' workplace in the browser: the queue (`/queue`) and a case (`/queue/{ref}`) with its actions.

Plain forms (keyboard and tablet friendly, no JavaScript). Every action posts to one route that goes through
the workflow and redirects back, so a reload never repeats it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from aiohttp import web

from complaints.cases import StaleCase
from complaints.classify.taxonomy import CATEGORIES
from complaints.models import ComplaintPhoto, Priority
from complaints.odr import cases as odr_cases
from complaints.personal_data.access_log import AccessRoute
from complaints.personal_data.holds import hold_of
from complaints.privacy import mask_name, mask_phone, reveals_contact
from complaints.queue.conditions import QueueFilter
from complaints.queue.listing import BadCursor, facet_counts, list_cases
from complaints.queue.reminders import deadline_reminders
from complaints.queue.staff_case import StaffCase, staff_case
from complaints.submission import CASE_CHANNELS
from complaints.workflow import (
    CaseStatus,
    DeclineGround,
    Intent,
    Role,
    WorkflowError,
    allowed_actions,
    clean_facts,
    expected_action,
)
from lookup.identifiers import parse_row_id
from lookup.legal_use import LegalUse
from lookup.models import Station, table_of
from web.auth.access import VIEWER, staff
from web.auth.scope import CASE_WORKERS, SCOPE, Reach, in_scope
from web.casework import act, case_ref, colleagues, deadline_rules, visible_case
from web.contact_log import contacts_shown
from web.errors import status_of
from web.keys import CLOCK, ENGINE, PAGES, SCAN_READER, SETTINGS
from web.queue_filters import FILTER_NAMES, BadFilter, parse_filter
from web.render.staff_pages import render_staff_page

photo_t, station_t = table_of(ComplaintPhoto), table_of(Station)
OUTCOMES = ("refund", "make_up", "apology", "other")
MOVE, OUTSIDE, MOVES = "move", "outside", ("transfer", "reroute")
# Folded actions that end or annotate a case come after the transfer form.
LATE_ACTIONS = ("reply", "note", "assign", "reclassify", "close")
# Reply templates handlers use most; the chosen one is sent when the message box is left empty.
REPLY_TEMPLATES = ("reply.received", "reply.contacted", "reply.testing", "reply.need_contact")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/queue", queue_page)
    app.router.add_get("/queue/{ref}", case_page)
    app.router.add_post("/queue/{ref}/actions", case_action)
    app.router.add_get("/queue/{ref}/photos/{photo_id}", case_photo)


@staff(*CASE_WORKERS, reach=Reach.scope)
async def queue_page(request: web.Request) -> web.Response:
    today = request.app[CLOCK]().date()
    scope = request[SCOPE]
    error = None
    try:
        filters = parse_filter(request.query, zone=request.app[SETTINGS].zone, today=today, me=request[VIEWER].username)
    except BadFilter as bad:
        error, filters = bad.summary, QueueFilter(today=today)
    calendar = (await deadline_rules(request)).calendar
    try:
        async with request.app[ENGINE].connect() as connection:
            page = await list_cases(connection, scope, filters, after=request.query.get("after") or None)
            facets = await facet_counts(connection, scope, filters)
            reminders = await deadline_reminders(connection, scope, today=today, calendar=calendar)
    except BadCursor:
        raise web.HTTPSeeOther(location="/queue") from None
    kept = {name: request.query[name] for name in FILTER_NAMES if request.query.get(name)}
    next_url = f"/queue?{urlencode({**kept, 'after': page.next_cursor})}" if page.next_cursor else None
    return render_staff_page(
        request,
        "queue.html",
        status=400 if error else 200,
        rows=page.rows,
        today=today,
        facets=facets,
        kept=kept,
        next_url=next_url,
        error=error,
        statuses=list(CaseStatus),
        intents=list(Intent),
        categories=CATEGORIES,
        priorities=list(Priority),
        channels=sorted(CASE_CHANNELS),
        uses=list(LegalUse),
        total=sum(facets.get("status", {}).values()),
        done=_done(request.query),
        reminders=reminders,
    )


async def _stations(request: web.Request) -> list[tuple[int, str]]:
    async with request.app[ENGINE].connect() as connection:
        return [
            (i, n)
            for i, n in await connection.execute(sa.select(station_t.c.id, station_t.c.name).order_by(station_t.c.name))
        ]


async def _case_view(
    request: web.Request, complaint_id: int, *, status: int = 200, error: str | None = None
) -> web.Response:
    scope = request[SCOPE]
    async with request.app[ENGINE].connect() as connection:
        case = await staff_case(connection, complaint_id)
        assignable = await colleagues(connection, case.station_id)
    contact_revealed = reveals_contact(case.intent, own_station=scope.handles(case.station_id))
    if not contact_revealed:
        case = replace(case, contact_name=mask_name(case.contact_name), contact_phone=mask_phone(case.contact_phone))
    elif case.contact_name or case.contact_phone:
        await contacts_shown(request, [complaint_id], AccessRoute.case_page)
    card = await request.app[SCAN_READER].card(case.instrument_code) if case.instrument_code else None
    async with request.app[ENGINE].connect() as connection:
        hold = await hold_of(connection, complaint_id)
        odr = await odr_cases.of_case(connection, complaint_id)  # the settlement with the merchant, if it went to one
    return render_staff_page(
        request,
        "staff_case.html",
        odr=odr,
        status=status,
        case=case,
        contact_revealed=contact_revealed,
        card=card,
        today=request.app[CLOCK]().date(),
        zone=request.app[SETTINGS].zone,
        **_action_choices(case, scope.role),
        stations=[(i, name) for i, name in await _stations(request) if i != case.station_id],
        colleagues=assignable,
        done=_done(request.query),
        grounds=list(DeclineGround),
        outcomes=OUTCOMES,
        intents=list(Intent),
        categories=CATEGORIES,
        templates=REPLY_TEMPLATES,
        error=error,
        hold=hold,
        supervising=scope.role is Role.supervisor,
    )


def _action_choices(case: StaffCase, role: Role | None) -> dict[str, Any]:
    """The actions the page offers: the one the case waits for first and open, the rest folded; `transfer` and
    `reroute` are one form (`move`) whose destinations say which of the two it is."""
    allowed = allowed_actions(case.intent, case.status, role, case.history) if role else []
    expected = expected_action(case.intent, allowed)
    folded = [name for name in allowed if name != expected and name not in MOVES]
    if any(name in MOVES for name in allowed):
        folded.insert(len([name for name in folded if name not in LATE_ACTIONS]), MOVE)
    return {"actions": allowed, "expected": expected, "folded": folded, "outside": "transfer" in allowed}


def _done(query: Mapping[str, str]) -> tuple[str, str] | None:
    """The action just taken and whether the consumer was told ("yes", "no", or "" for an internal one)."""
    action = query.get("done", "")
    if not (action.isascii() and action.replace("_", "").isalpha() and len(action) <= 40):
        return None
    return action, query.get("told", "") if query.get("told") in ("yes", "no") else ""


@staff(*CASE_WORKERS)
@in_scope(visible_case)
async def case_page(request: web.Request, complaint_id: int) -> web.Response:
    return await _case_view(request, complaint_id)


def _facts(form: dict[str, str], catalogue: Any) -> dict[str, Any]:
    """Form fields as the workflow's facts: numbers where numbers are meant, a template's words for a reply."""
    facts: dict[str, Any] = {
        k: v.strip() for k, v in form.items() if k not in ("action", "csrf", "template", "version") and v.strip()
    }
    facts = clean_facts(facts)
    template = form.get("template", "")
    if "message" not in facts and template in REPLY_TEMPLATES:
        facts["message"] = catalogue(template)
    return facts


@staff(*CASE_WORKERS)
@in_scope(visible_case)
async def case_action(request: web.Request, complaint_id: int) -> web.Response:
    form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    if any(len(value) > 5000 for value in form.values()):
        return await _case_view(request, complaint_id, status=413, error="staff.error.too_long")
    facts = _facts(form, request.app[PAGES].catalogues["zh"])
    action = form.get("action", "")
    if action == MOVE:
        action, facts = _move(form.get("destination", ""), facts)
    version = form.get("version", "").strip()
    expected = int(version) if version.isdigit() and len(version) < 19 else None
    try:
        step = await act(request, complaint_id, action, facts, expected_version=expected)
    except StaleCase:
        return await _case_view(request, complaint_id, status=409, error="staff.error.stale")
    except WorkflowError as refused:
        return await _case_view(request, complaint_id, status=status_of(refused), error=refused.english)
    told = ("yes" if step.told else "no") if step.public else ""
    done = urlencode({"done": action, "told": told})
    if action == "reroute" and not request[SCOPE].sees_station(facts.get("station_id")):
        raise web.HTTPSeeOther(location=f"/queue?{done}")  # the case has left this queue
    raise web.HTTPSeeOther(location=f"/queue/{case_ref(request)}?{done}")


def _move(destination: str, facts: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The one transfer form as the workflow's action: another station of the service (`reroute`, the case goes
    on in its queue) or a body outside it (`transfer`, the case ends here)."""
    if destination == OUTSIDE:
        return "transfer", facts
    station = destination.removeprefix("station:")
    return "reroute", {**facts, "station_id": int(station) if station.isdigit() else None}


@staff(*CASE_WORKERS)
@in_scope(visible_case)
async def case_photo(request: web.Request, complaint_id: int) -> web.Response:
    photo_id = parse_row_id(request.match_info["photo_id"])
    if photo_id is None:
        raise web.HTTPNotFound
    async with request.app[ENGINE].connect() as connection:
        row = (
            await connection.execute(
                sa.select(photo_t.c.content_type, photo_t.c.data).where(
                    photo_t.c.id == photo_id, photo_t.c.complaint_id == complaint_id
                )
            )
        ).first()
    if row is None:
        raise web.HTTPNotFound
    return web.Response(
        body=row.data, content_type=row.content_type, headers={"Cache-Control": "private, max-age=3600"}
    )
