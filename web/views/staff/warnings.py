"""Early warnings in the browser (`/warnings`): the open warnings of a handler's station or, for a supervisor, the
district, each with its evidence; acting on one asks for an inspection of the merchant (through a hotspot, whose
inspection form follows) and dismissing one closes it. Another station's warning answers 404."""

from __future__ import annotations

from aiohttp import web

from complaints.scope import Scope
from complaints.warnings.store import (
    OPEN,
    WarningView,
    act_on,
    dismiss,
    merchants_of_market,
    open_warnings,
    warning_in_scope,
)
from web.auth.access import VIEWER, staff
from web.auth.models import StaffRole
from web.auth.scope import CASE_WORKERS, SCOPE, Reach, digits, in_scope
from web.db import for_writing
from web.keys import CLOCK, ENGINE
from web.render.staff_pages import render_staff_page


def add_routes(app: web.Application) -> None:
    app.router.add_get("/warnings", warnings_page)
    app.router.add_get("/warnings/{warning_id}", warning_page)
    app.router.add_post("/warnings/{warning_id}/inspect", inspect)
    app.router.add_post("/warnings/{warning_id}/dismiss", dismiss_warning)


@staff(*CASE_WORKERS, reach=Reach.scope)
async def warnings_page(request: web.Request) -> web.Response:
    viewer = request[VIEWER]
    async with request.app[ENGINE].connect() as connection:
        found = await open_warnings(connection, request[SCOPE])
    return render_staff_page(request, "warnings.html", warnings=found, show_station=viewer.role is StaffRole.supervisor)


async def visible_warning(request: web.Request, scope: Scope) -> WarningView | None:
    warning_id = digits(request, "warning_id")
    if warning_id is None:
        return None
    async with request.app[ENGINE].connect() as connection:
        return await warning_in_scope(connection, warning_id, scope)


@staff(*CASE_WORKERS)
@in_scope(visible_warning)
async def warning_page(request: web.Request, warning: WarningView) -> web.Response:
    merchants: list[tuple[int, str, str]] = []
    if warning.market_id is not None:
        async with request.app[ENGINE].connect() as connection:
            merchants = await merchants_of_market(connection, warning.market_id)
    return render_staff_page(request, "warning.html", warning=warning, merchants=merchants, error=None)


@staff(*CASE_WORKERS)
@in_scope(visible_warning)
async def inspect(request: web.Request, warning: WarningView) -> web.Response:
    merchant_id = warning.merchant_id
    if merchant_id is None and warning.market_id is not None:
        raw = (await request.post()).get("merchant_id")
        async with request.app[ENGINE].connect() as connection:
            market = {id_ for id_, _, _ in await merchants_of_market(connection, warning.market_id)}
        merchant_id = int(raw) if isinstance(raw, str) and raw.isdigit() and int(raw) in market else None
    if merchant_id is None or warning.state != OPEN:
        error = "warnings.error.merchant" if warning.state == OPEN else "warnings.error.closed"
        return render_staff_page(request, "warning.html", status=400, warning=warning, merchants=[], error=error)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        hotspot_id = await act_on(
            connection, warning, merchant_id, by=request[VIEWER].user_id, now=request.app[CLOCK]()
        )
    raise web.HTTPSeeOther(location=f"/hotspots/{hotspot_id}/inspect")


@staff(*CASE_WORKERS)
@in_scope(visible_warning)
async def dismiss_warning(request: web.Request, warning: WarningView) -> web.Response:
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await dismiss(connection, warning.id, by=request[VIEWER].user_id, now=request.app[CLOCK]())
    raise web.HTTPSeeOther(location="/warnings")
