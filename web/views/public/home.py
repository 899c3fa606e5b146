"""The home page `/` (what the service is, a box to type a sticker's code, the hotline, the lists, the index and the
complaint form) and `/find?code=`, where that box leads: to the instrument, or to the page for a code that names
none (a slip of the finger, with the nearest codes of the registry, or a sticker that may be forged)."""

from __future__ import annotations

from aiohttp import web

from lookup.market import market_choices
from qr.codes import normalise_code
from web.auth.access import public
from web.http.cache import cached_response
from web.i18n import request_language
from web.keys import ENGINE, FRESHNESS, PAGES, SCAN_READER
from web.views.public.lookup import unknown_code_response

MAX_TYPED = 40


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home_page)
    app.router.add_get("/find", find_code)


@public
async def home_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    _, max_age = request.app[FRESHNESS]()
    async with request.app[ENGINE].connect() as connection:
        markets = await market_choices(connection)
    body = request.app[PAGES].render("home.html", choice.language, choice=choice, markets=markets)
    return cached_response(request, body.encode(), content_type="text/html", max_age=max_age)


@public
async def find_code(request: web.Request) -> web.StreamResponse:
    choice = request_language(request)
    typed = request.query.get("code", "").strip()[:MAX_TYPED]
    suffix = f"?lang={choice.language}" if choice.explicit else ""
    if not typed:
        raise web.HTTPSeeOther(location=f"/{suffix}")
    code = normalise_code(typed)
    if code is not None and await request.app[SCAN_READER].card(code) is not None:
        raise web.HTTPSeeOther(location=f"/i/{code}{suffix}")
    return await unknown_code_response(request, typed)
