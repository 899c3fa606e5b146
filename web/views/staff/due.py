"""The due list (`/due`): household meters due for replacement and instruments due for verification, for a
handler's station or, for a supervisor, the district."""

from __future__ import annotations

from aiohttp import web

from lookup.due import due_list
from qr.codes import format_code
from web.auth.access import staff
from web.auth.models import StaffRole
from web.auth.scope import SCOPE, Reach
from web.keys import CLOCK, ENGINE, ROTATION, SETTINGS
from web.render.staff_pages import render_staff_page


def add_routes(app: web.Application) -> None:
    app.router.add_get("/due", due_page)


@staff(StaffRole.handler, StaffRole.supervisor, reach=Reach.scope)
async def due_page(request: web.Request) -> web.Response:
    today = request.app[CLOCK]().astimezone(request.app[SETTINGS].zone).date()
    policy = request.app[ROTATION]
    async with request.app[ENGINE].connect() as connection:
        found = await due_list(connection, station_ids=request[SCOPE].station_ids, policy=policy, on=today)
    return render_staff_page(request, "due.html", due=found, today=today, policy=policy, format_code=format_code)
