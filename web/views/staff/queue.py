"""The handlers' workplace in the browser: the queue (`/queue`) and a case (`/queue/{ref}`) with its actions.

Plain forms (keyboard and tablet friendly, no JavaScript). Every action posts to one route that goes through
the workflow and redirects back, so a reload never repeats it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from aiohttp import web

from complaints.cases import StaleCase
from complaints.classify.taxonomy import CATEGORIES
from complaints.models import ComplaintPhoto, Priority
from complaints.privacy import mask_name, mask_phone, reveals_contact
from complaints.queue.conditions import QueueFilter
from complaints.queue.listing import BadCursor, facet_counts, list_cases
from complaints.queue.staff_case import staff_case
from complaints.submission import CASE_CHANNELS
from complaints.workflow import CaseStatus, DeclineGround, Intent, WorkflowError, allowed_actions
from lookup.models import Station, table_of
from web.auth.access import staff
from web.auth.scope import CASE_WORKERS, SCOPE, Reach, in_scope
from web.casework import act, case_ref, visible_case
from web.errors import status_of
from web.keys import CLOCK, ENGINE, PAGES, SCAN_READER, SETTINGS
from web.queue_filters import FILTER_NAMES, BadFilter, parse_filter
from web.render.staff_pages import render_staff_page

photo_t, station_t = table_of(ComplaintPhoto), table_of(Station)
OUTCOMES = ("refund", "make_up", "apology", "other")
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
        filters = parse_filter(request.query, zone=request.app[SETTINGS].zone, today=today)
    except BadFilter as bad:
        error, filters = bad.summary, QueueFilter(today=today)
    try:
        async with request.app[ENGINE].connect() as connection:
            page = await list_cases(connection, scope, filters, after=request.query.get("after") or None)
            facets = await facet_counts(connection, scope, filters)
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
        total=sum(facets.get("status", {}).values()),
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
    contact_revealed = reveals_contact(case.intent, own_station=scope.handles(case.station_id))
    if not contact_revealed:
        case = replace(case, contact_name=mask_name(case.contact_name), contact_phone=mask_phone(case.contact_phone))
    card = await request.app[SCAN_READER].card(case.instrument_code) if case.instrument_code else None
    return render_staff_page(
        request,
        "staff_case.html",
        status=status,
        case=case,
        contact_revealed=contact_revealed,
        card=card,
        today=request.app[CLOCK]().date(),
        zone=request.app[SETTINGS].zone,
        actions=allowed_actions(case.intent, case.status, scope.role) if scope.role else [],
        stations=await _stations(request),
        grounds=list(DeclineGround),
        outcomes=OUTCOMES,
        intents=list(Intent),
        categories=CATEGORIES,
        templates=REPLY_TEMPLATES,
        error=error,
    )


@staff(*CASE_WORKERS)
@in_scope(visible_case)
async def case_page(request: web.Request, complaint_id: int) -> web.Response:
    return await _case_view(request, complaint_id)


def _facts(form: dict[str, str], catalogue: Any) -> dict[str, Any]:
    """Form fields as the workflow's facts: numbers where numbers are meant, a template's words for a reply."""
    facts: dict[str, Any] = {
        k: v.strip() for k, v in form.items() if k not in ("action", "csrf", "template", "version") and v.strip()
    }
    if "station_id" in facts:
        facts["station_id"] = int(facts["station_id"]) if facts["station_id"].isdigit() else None
    if "refund_yuan" in facts:
        amount = facts["refund_yuan"]
        facts["refund_yuan"] = float(amount) if amount.replace(".", "", 1).isdigit() else None
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
    version = form.get("version", "").strip()
    expected = int(version) if version.isdigit() and len(version) < 19 else None
    try:
        await act(request, complaint_id, form.get("action", ""), facts, expected_version=expected)
    except StaleCase:
        return await _case_view(request, complaint_id, status=409, error="staff.error.stale")
    except WorkflowError as refused:
        return await _case_view(request, complaint_id, status=status_of(refused), error=refused.english)
    raise web.HTTPSeeOther(location=f"/queue/{case_ref(request)}")


@staff(*CASE_WORKERS)
@in_scope(visible_case)
async def case_photo(request: web.Request, complaint_id: int) -> web.Response:
    photo_id = request.match_info["photo_id"]
    if not photo_id.isdigit():
        raise web.HTTPNotFound
    async with request.app[ENGINE].connect() as connection:
        row = (
            await connection.execute(
                sa.select(photo_t.c.content_type, photo_t.c.data).where(
                    photo_t.c.id == int(photo_id), photo_t.c.complaint_id == complaint_id
                )
            )
        ).first()
    if row is None:
        raise web.HTTPNotFound
    return web.Response(
        body=row.data, content_type=row.content_type, headers={"Cache-Control": "private, max-age=3600"}
    )
