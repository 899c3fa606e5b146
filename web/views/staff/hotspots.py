"""Hotspots in the browser: the list (`/hotspots`), the inspection form (`/hotspots/{id}/inspect`), and the registry
edits a supervisor makes from there (a merchant's standing, suspending an instrument).

A handler sees and inspects their own station's hotspots (another station's answers 404, like one that does not
exist); a supervisor the district's (the viewer's scope, web/auth/scope.py), and only a supervisor edits the
registry (handlers get 403 from the access middleware). Every form posts the session's CSRF token; a bad figure
answers 400 with the form shown again.
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
from complaints.scope import Scope
from lookup.free_text import clean_block
from lookup.registry_edits import (
    RegistryChange,
    RegistryEditError,
    instrument_station,
    merchant_station,
    set_instrument_state,
    set_standing,
)
from lookup.vocab import InstrumentState, Standing
from qr.codes import normalise_code
from web.auth.access import VIEWER, staff
from web.auth.models import StaffRole
from web.auth.scope import CASE_WORKERS, SCOPE, Reach, digits, in_scope
from web.db import for_writing
from web.errors import status_of
from web.keys import CLOCK, ENGINE, SETTINGS
from web.render.staff_pages import render_staff_page

log = logging.getLogger(__name__)

NUMBERS: tuple[str, ...] = ("inspectors", "instruments_checked", "unverified", "tampered", "fine_yuan")
NUMBERS += ("product_fine_yuan", "quantity_fine_yuan")
CHECKBOXES = ("short_weight_found", "case_opened", "product_failed_handled", "quantity_failed_handled", "clear")
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
    scope = request[SCOPE]
    async with request.app[ENGINE].connect() as connection:
        hotspots = await open_hotspots(connection, scope)
    return _render(
        request,
        "hotspots.html",
        status=status,
        hotspots=hotspots,
        standings=list(Standing),
        may_edit=request[VIEWER].role is StaffRole.supervisor,  # the roles of change_standing and change_state
        show_station=scope.whole_district,
        error=error,
        error_values=values,
    )


@staff(*CASE_WORKERS, reach=Reach.scope)
async def hotspots_page(request: web.Request) -> web.Response:
    return await _list(request)


async def visible_hotspot(request: web.Request, scope: Scope) -> HotspotView | None:
    hotspot_id = digits(request, "hotspot_id")
    if hotspot_id is None:
        return None
    async with request.app[ENGINE].connect() as connection:
        return await hotspot_in_scope(connection, hotspot_id, scope)


async def visible_merchant(request: web.Request, scope: Scope) -> int | None:
    merchant_id = digits(request, "merchant_id")
    if merchant_id is None:
        return None
    async with request.app[ENGINE].connect() as connection:
        station_id = await merchant_station(connection, merchant_id)
    return merchant_id if station_id is not None and scope.sees_station(station_id) else None


async def visible_instrument(request: web.Request, scope: Scope) -> str | None:
    code = normalise_code(request.match_info["code"])
    if code is None:
        return None
    async with request.app[ENGINE].connect() as connection:
        station_id = await instrument_station(connection, code)
    return code if station_id is not None and scope.sees_station(station_id) else None


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
@in_scope(visible_hotspot)
async def inspect_form(request: web.Request, hotspot: HotspotView) -> web.Response:
    today = request.app[CLOCK]().date()
    values = {"inspected_on": today.isoformat(), "inspectors": "2", "clear": "yes" if hotspot.is_open else ""}
    return await _form_page(request, hotspot, values)


def _number(values: dict[str, str], name: str, default: int) -> int:
    text = values.get(name, "").strip()
    if not text:
        return default
    if not _NUMBER.fullmatch(text):
        raise InspectionError("not_a_number", f"{name} 必须是整数。", f"{name} must be a whole number", field=name)
    return int(text)


def figures_from(values: dict[str, str]) -> InspectionFigures:
    """The form's fields as figures; InspectionError for a field that is not what it should be."""
    for name, most in FIELD_CHARS.items():
        if len(values.get(name, "")) > most:
            raise InspectionError(
                "too_long", f"{name} 最多 {most} 个字。", f"{name} is at most {most} characters", field=name
            )
    try:
        inspected_on = date.fromisoformat(values.get("inspected_on", "").strip())
    except ValueError as exc:
        raise InspectionError(
            "bad_date", "检查日期的格式是 YYYY-MM-DD。", "the inspection date must be YYYY-MM-DD", field="inspected_on"
        ) from exc
    return InspectionFigures(
        inspected_on=inspected_on,
        inspectors=_number(values, "inspectors", 1),
        instruments_checked=_number(values, "instruments_checked", 0),
        unverified=_number(values, "unverified", 0),
        tampered=_number(values, "tampered", 0),
        short_weight_found=values.get("short_weight_found") == "yes",
        case_opened=values.get("case_opened") == "yes",
        fine_yuan=_number(values, "fine_yuan", 0),
        notes=clean_block(values.get("notes", "")),
        product_failed_handled=values.get("product_failed_handled") == "yes",
        product_fine_yuan=_number(values, "product_fine_yuan", 0),
        quantity_failed_handled=values.get("quantity_failed_handled") == "yes",
        quantity_fine_yuan=_number(values, "quantity_fine_yuan", 0),
    )


async def _posted(request: web.Request) -> dict[str, str]:
    return {key: value for key, value in (await request.post()).items() if isinstance(value, str) and key != "csrf"}


@staff(*CASE_WORKERS)
@in_scope(visible_hotspot)
async def inspect(request: web.Request, hotspot: HotspotView) -> web.Response:
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
@in_scope(visible_merchant)
async def change_standing(request: web.Request, merchant_id: int) -> web.Response:
    posted = await _posted(request)
    wanted, reason = posted.get("standing", ""), posted.get("reason", "")
    if wanted not in Standing.__members__:
        return await _list(request, status=400, error="hotspots.error.bad_standing", value=wanted[:40])
    today = request.app[CLOCK]().date()
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            change = await set_standing(connection, merchant_id, Standing(wanted), reason=reason, on=today)
    except RegistryEditError as error:
        return await _list(request, status=status_of(error), error=f"hotspots.error.{error.code}", value=wanted)
    if change is None:
        raise web.HTTPNotFound
    _log_change(request, change)
    raise web.HTTPSeeOther(location="/hotspots")


@staff(StaffRole.supervisor)
@in_scope(visible_instrument)
async def change_state(request: web.Request, code: str) -> web.Response:
    wanted = (await _posted(request)).get("state", "")
    if wanted not in {state.value for state in SETTABLE_STATES}:
        return await _list(request, status=400, error="hotspots.error.bad_state", value=wanted[:40])
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            change = await set_instrument_state(connection, code, InstrumentState(wanted))
    except RegistryEditError as error:
        return await _list(request, status=status_of(error), error=f"hotspots.error.{error.code}", value=code)
    if change is None:
        raise web.HTTPNotFound
    _log_change(request, change)
    raise web.HTTPSeeOther(location="/hotspots")
