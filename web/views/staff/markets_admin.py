"""`/admin/markets`: an administrator sees every market and sets or corrects where it is (as read off Gaode, Tencent
or Baidu maps or a GPS, stored in GCJ-02), so that a shopper's shared location in the chat finds it. A ledger's
纬度/经度 columns do the same in bulk."""

from __future__ import annotations

from aiohttp import web

from lookup.geo.coordinates import parse_coordinates
from lookup.geo.placing import markets_with_points, place_market
from lookup.identifiers import parse_row_id
from web.auth.access import staff
from web.auth.models import StaffRole
from web.auth.scope import Reach
from web.db import for_writing
from web.keys import ENGINE
from web.render.staff_pages import render_staff_page

MAX_FIELD = 40


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/markets", markets_page)
    app.router.add_post("/admin/markets/{market_id}/point", set_point)


async def _render(request: web.Request, *, status: int = 200, errors: list[str] | None = None) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        markets = await markets_with_points(connection)
    return render_staff_page(request, "admin_markets.html", status, markets=markets, errors=errors or [])


@staff(StaffRole.admin, reach=Reach.none)
async def markets_page(request: web.Request) -> web.Response:
    return await _render(request)


@staff(StaffRole.admin, reach=Reach.none)
async def set_point(request: web.Request) -> web.Response:
    market_id = parse_row_id(request.match_info["market_id"])
    if market_id is None:
        raise web.HTTPNotFound
    form = await request.post()
    fields = (form.get("latitude"), form.get("longitude"), form.get("datum"))
    latitude, longitude, datum = (value if isinstance(value, str) else "" for value in fields)
    if any(len(cell) > MAX_FIELD for cell in (latitude, longitude, datum)):
        return await _render(request, status=400, errors=["admin.markets.too_long"])
    point, reasons = parse_coordinates(latitude, longitude, datum=datum)
    if reasons:
        return await _render(request, status=400, errors=["admin.markets.bad_point", *reasons])
    async with for_writing(request.app[ENGINE]).begin() as connection:
        if not await place_market(connection, market_id, point):
            raise web.HTTPNotFound
    raise web.HTTPSeeOther(location="/admin/markets")
