"""The home page `/` (what the service is, a box to type a sticker's code, the hotline, the lists, the index and the
complaint form) and `/find?code=`, where that box leads (lookup/codes/resolve.py reads any code: ours, GS1, 识别编码,
资产编号, a nameplate serial): to the instrument, to a choice when several instruments share a serial, or to the
page for a code that names none (a slip of the finger, with the nearest codes of the registry; a sticker that may be
forged; a product barcode; a code nobody registered), saying what it is and what to do.

`/01/{gtin}/21/{serial}` serves our lookup as GS1 Digital Link paths on PUBLIC_BASE_URL, for instruments the ledger
gave a GTIN and serial: a label can carry one code that GS1 tools and shoppers' phones both understand."""

from __future__ import annotations

import functools

from aiohttp import web

from lookup.codes.resolve import MAX_TEXT, Outcome, Resolution, resolve
from lookup.market import market_choices
from web.auth.access import public
from web.http.cache import UNKNOWN_MAX_AGE, cached_response
from web.http.protective_headers import allow_scanner
from web.i18n import request_language
from web.keys import ENGINE, FRESHNESS, PAGES, SETTINGS
from web.render.pages import STATIC
from web.views.public.lookup import unknown_code_response

# 扫一扫 (web/templates/scan_button.html): our script and the decoder vendored from npm
# (web/static/scanner/VENDOR.md), served from here, never from a CDN. Only the pages that offer it may run them
# (allow_scanner): the home page, the complaint form and the volunteer's visit form.
SCANNER_FILES = {
    "scan.js": "text/javascript",
    "barcode-detector-3.2.2.js": "text/javascript",
    "zxing_reader-3.1.3.wasm": "application/wasm",
}
SCANNER_MAX_AGE = 7 * 24 * 3600  # versioned names: a new decoder gets a new name


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home_page)
    app.router.add_get("/find", find_code)
    app.router.add_get("/scanner/{name}", scanner_file)
    # {serial:.+}: a percent-encoded "/" in a serial (%2F) arrives decoded; the raw path is what is read.
    app.router.add_get("/01/{gtin}/21/{serial:.+}", digital_link)


@public
async def home_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    _, max_age = request.app[FRESHNESS]()
    async with request.app[ENGINE].connect() as connection:
        markets = await market_choices(connection)
    body = request.app[PAGES].render("home.html", choice.language, choice=choice, markets=markets)
    response = cached_response(request, body.encode(), content_type="text/html", max_age=max_age)
    allow_scanner(request, response)
    return response


@functools.cache
def _scanner_body(name: str) -> bytes:
    return (STATIC / "scanner" / name).read_bytes()


@public
async def scanner_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content_type = SCANNER_FILES.get(name)
    if content_type is None:
        raise web.HTTPNotFound(text="no such file")
    body = _scanner_body(name)
    charset = "utf-8" if content_type.startswith("text/") else None
    return cached_response(
        request, body, content_type=content_type, max_age=SCANNER_MAX_AGE, vary_language=False, charset=charset
    )


@public
async def find_code(request: web.Request) -> web.StreamResponse:
    choice = request_language(request)
    typed = request.query.get("code", "").strip()[:MAX_TEXT]
    if not typed:
        raise web.HTTPSeeOther(location="/" + (f"?lang={choice.language}" if choice.explicit else ""))
    return await _answer(request, typed)


@public
async def digital_link(request: web.Request) -> web.StreamResponse:
    """A GS1 Digital Link path on our host: the instrument with that GTIN and serial, or what the code is."""
    base = request.app[SETTINGS].public_base_url
    return await _answer(request, f"{base}{request.raw_path.split('?', 1)[0]}")


async def _answer(request: web.Request, text: str) -> web.StreamResponse:
    choice = request_language(request)
    suffix = f"?lang={choice.language}" if choice.explicit else ""
    async with request.app[ENGINE].connect() as connection:
        found = await resolve(connection, text)
    if found.code is not None:
        raise web.HTTPSeeOther(location=f"/i/{found.code}{suffix}")
    if found.outcome is Outcome.ours:
        return await unknown_code_response(request, found.text[:40])
    return _code_page(request, found)


def _code_page(request: web.Request, found: Resolution) -> web.Response:
    choice = request_language(request)
    body = request.app[PAGES].render("code_answer.html", choice.language, choice=choice, found=found)
    status = 200 if found.outcome is Outcome.several else 404
    return cached_response(request, body.encode(), content_type="text/html", max_age=UNKNOWN_MAX_AGE, status=status)
