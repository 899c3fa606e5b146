"""Hotspots in the browser: the list (`/hotspots`), the inspection form (`/hotspots/{id}/inspect`), and the registry
edits a supervisor makes from there (a merchant's standing, suspending an instrument).

A handler sees and inspects their own station's hotspots (another station's answers 404, like one that does not
exist); a supervisor the district's, and only a supervisor edits the registry (handlers get 403 from the access
middleware). Every form posts the session's CSRF token; a bad figure answers 400 with the form shown again.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

from aiohttp import web

from complaints.inspections import (
    MAX_NOTES_CHARS,
    HotspotView,
    InspectionError,
    InspectionFigures,
    hotspot_in_scope,
    inspections_of,
    open_hotspots,
    record_inspection,
)
from lookup.registry_edits import RegistryChange, RegistryEditError, set_instrument_state, set_standing
from lookup.vocab import InstrumentState, Standing
from qr.codes import normalise_code
from web.auth.access import VIEWER, staff
from web.auth.models import StaffRole
from web.db import for_writing
from web.keys import CLOCK, ENGINE, SETTINGS
from web.render.staff_pages import render_staff_page
from web.views.api.queue import CASE_WORKERS
from web.views.staff.queue_filters import scope_for

log = logging.getLogger(__name__)

NUMBERS = ("inspectors", "instruments_checked", "unverified", "tampered", "fine_yuan")
CHECKBOXES = ("short_weight_found", "case_opened", "clear")
FIELD_CHARS = {"notes": MAX_NOTES_CHARS, "inspected_on": 10, **dict.fromkeys(NUMBERS, 12)}
_NUMBER = re.compile(r"-?[0-9]{1,12}")
# What a supervisor may set an instrument to from here; retiring one is the ledger's business.
SETTABLE_STATES = (InstrumentState.in_use, InstrumentState.suspended)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/hotspots", hotspots_page)
    app.router.add_get("/hotspots/{hotspot_id}/inspect", inspect_form)
    app.router.add_post("/hotspots/{hotspot_id}/inspect", inspect)
    app.router.add_post("/merchants/{merchant_id}/standing", change_standing)
    app.router.add_post("/instruments/{code}/state", change_state)


def _render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    zone, today = request.app[SETTINGS].zone, request.app[CLOCK]().date()
    return render_staff_page(request, template, status, zone=zone, today=today, **context)


async def _list(request: web.Request, *, status: int = 200, error: str | None = None, **values: Any) -> web.Response:
    viewer = request[VIEWER]
    async with request.app[ENGINE].connect() as connection:
        hotspots = await open_hotspots(connection, scope_for(viewer))
    return _render(
        request,
        "hotspots.html",
        status=status,
        hotspots=hotspots,
        standings=list(Standing),
        may_edit=viewer.role is StaffRole.supervisor,
        show_station=viewer.role is not StaffRole.handler,
        error=error,
        error_values=values,
    )


@staff(*CASE_WORKERS)
async def hotspots_page(request: web.Request) -> web.Response:
    return await _list(request)


async def _visible_hotspot(request: web.Request) -> HotspotView:
    raw = request.match_info["hotspot_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound
    async with request.app[ENGINE].connect() as connection:
        hotspot = await hotspot_in_scope(connection, int(raw), scope_for(request[VIEWER]))
    if hotspot is None:
        raise web.HTTPNotFound
    return hotspot


async def _form_page(
    request: web.Request,
    hotspot: HotspotView,
    values: dict[str, str],
    *,
    status: int = 200,
    error: InspectionError | None = None,
) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        past = await inspections_of(connection, hotspot.id)
    return _render(
        request,
        "inspect.html",
        status=status,
        hotspot=hotspot,
        past=past,
        values=values,
        numbers=NUMBERS,
        checkboxes=CHECKBOXES,
        max_notes=MAX_NOTES_CHARS,
        error=error,
    )


@staff(*CASE_WORKERS)
async def inspect_form(request: web.Request) -> web.Response:
    hotspot = await _visible_hotspot(request)
    today = request.app[CLOCK]().date()
    values = {"inspected_on": today.isoformat(), "inspectors": "2", "clear": "yes" if hotspot.is_open else ""}
    return await _form_page(request, hotspot, values)


def _number(values: dict[str, str], name: str, default: int) -> int:
    text = values.get(name, "").strip()
    if not text:
        return default
    if not _NUMBER.fullmatch(text):
        raise InspectionError(name, "not_a_number", f"{name} must be a whole number")
    return int(text)


def figures_from(values: dict[str, str]) -> InspectionFigures:
    """The form's fields as figures; InspectionError for a field that is not what it should be."""
    for name, most in FIELD_CHARS.items():
        if len(values.get(name, "")) > most:
            raise InspectionError(name, "too_long", f"{name} is at most {most} characters")
    try:
        inspected_on = date.fromisoformat(values.get("inspected_on", "").strip())
    except ValueError as exc:
        raise InspectionError("inspected_on", "bad_date", "the inspection date must be YYYY-MM-DD") from exc
    return InspectionFigures(
        inspected_on=inspected_on,
        inspectors=_number(values, "inspectors", 1),
        instruments_checked=_number(values, "instruments_checked", 0),
        unverified=_number(values, "unverified", 0),
        tampered=_number(values, "tampered", 0),
        short_weight_found=values.get("short_weight_found") == "yes",
        case_opened=values.get("case_opened") == "yes",
        fine_yuan=_number(values, "fine_yuan", 0),
        notes=values.get("notes", "").replace("\x00", "").strip(),
    )


async def _posted(request: web.Request) -> dict[str, str]:
    return {key: value for key, value in (await request.post()).items() if isinstance(value, str) and key != "csrf"}


@staff(*CASE_WORKERS)
async def inspect(request: web.Request) -> web.Response:
    hotspot = await _visible_hotspot(request)
    values = await _posted(request)
    now = request.app[CLOCK]()
    try:
        figures = figures_from(values)
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await record_inspection(
                connection,
                hotspot,
                figures,
                recorded_by=request[VIEWER].user_id,
                clear=values.get("clear") == "yes",
                today=now.date(),
                now=now,
            )
    except InspectionError as error:
        shown = {name: value[: FIELD_CHARS.get(name, 20)] for name, value in values.items()}
        return await _form_page(request, hotspot, shown, status=400, error=error)
    raise web.HTTPSeeOther(location="/hotspots")


def _log_change(request: web.Request, change: RegistryChange) -> None:
    viewer = request[VIEWER]
    if change.changed:
        log.info(
            "registry edit by %s (user %d): %s %s %s -> %s",
            viewer.username,
            viewer.user_id,
            change.subject,
            change.field,
            change.before,
            change.after,
        )


@staff(StaffRole.supervisor)
async def change_standing(request: web.Request) -> web.Response:
    raw = request.match_info["merchant_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound
    posted = await _posted(request)
    wanted, reason = posted.get("standing", ""), posted.get("reason", "")
    if wanted not in Standing.__members__:
        return await _list(request, status=400, error="hotspots.error.bad_standing", value=wanted[:40])
    today = request.app[CLOCK]().date()
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            change = await set_standing(connection, int(raw), Standing(wanted), reason=reason, on=today)
    except RegistryEditError as error:
        return await _list(request, status=400, error=f"hotspots.error.{error.code}", value=wanted)
    if change is None:
        raise web.HTTPNotFound
    _log_change(request, change)
    raise web.HTTPSeeOther(location="/hotspots")


@staff(StaffRole.supervisor)
async def change_state(request: web.Request) -> web.Response:
    code = normalise_code(request.match_info["code"])
    if code is None:
        raise web.HTTPNotFound
    wanted = (await _posted(request)).get("state", "")
    if wanted not in {state.value for state in SETTABLE_STATES}:
        return await _list(request, status=400, error="hotspots.error.bad_state", value=wanted[:40])
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            change = await set_instrument_state(connection, code, InstrumentState(wanted))
    except RegistryEditError:
        return await _list(request, status=409, error="hotspots.error.retired", value=code)
    if change is None:
        raise web.HTTPNotFound
    _log_change(request, change)
    raise web.HTTPSeeOther(location="/hotspots")
