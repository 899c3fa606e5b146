"""The due list (`/due`): household meters due for replacement and instruments due for verification, for a
handler's station or, for a supervisor, the district."""

from __future__ import annotations

from aiohttp import web

from lookup.due import due_list
from lookup.legal_use import LegalUse
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
    use = request.query.get("use", "").strip()
    legal_use = LegalUse(use) if use in LegalUse.__members__ else None
    async with request.app[ENGINE].connect() as connection:
        station_ids = request[SCOPE].station_ids
        found = await due_list(connection, station_ids=station_ids, policy=policy, on=today, legal_use=legal_use)
    return render_staff_page(
        request,
        "due.html",
        due=found,
        today=today,
        policy=policy,
        format_code=format_code,
        uses=list(LegalUse),
        use=legal_use.value if legal_use else "",
        status=400 if use and legal_use is None else 200,
    )
