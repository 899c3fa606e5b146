"""The district's page (`/district`): how the district stands against its targets this year (or `?year=`), in
public. Figures for the whole district only, never a station's or a merchant's, and no one's name."""

from __future__ import annotations

from aiohttp import web

from complaints.programme.target_board import BadPeriod, build_board, spans_for
from complaints.programme.target_xlsx import shown
from web.auth.access import public
from web.http.cache import cached_response
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, FRESHNESS, PAGES, ROTATION, SETTINGS, TARGETS


def add_routes(app: web.Application) -> None:
    if TARGETS in app:  # the targets file could be read (web/views/staff/targets.py)
        app.router.add_get("/district", district_page)


@public
async def district_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    today, max_age = request.app[FRESHNESS]()
    raw = request.query.get("year", "").strip()
    year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else request.app[CLOCK]().year
    try:
        period, trend = spans_for(year=year, month=None, today=today)
    except BadPeriod:
        period, trend = spans_for(year=today.year, month=None, today=today)
    async with request.app[ENGINE].connect() as connection:
        board = await build_board(
            connection, request.app[TARGETS], period=period, trend=trend, station_id=None,
            policy=request.app[ROTATION], zone=request.app[SETTINGS].zone,
        )  # fmt: skip
    body = request.app[PAGES].render("district.html", choice.language, choice=choice, board=board, show=shown)
    return cached_response(request, body.encode(), content_type="text/html", max_age=max_age)
