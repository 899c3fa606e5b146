"""The public lookup: what a shopper sees after scanning a sticker, as a page, as JSON and as a QR code."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from lookup.identifiers import parse_row_id
from lookup.market import market_listing
from lookup.pages.models import HTML, HTML_WITH_LANGUAGE, JSON
from lookup.problems import Kind, Problem
from lookup.scan import InstrumentCard
from lookup.typed_code import diagnose
from lookup.vocab import Status
from qr.codes import format_code, normalise_code
from qr.render import qr_png, qr_svg
from web import errors
from web.auth.access import public
from web.http.cache import UNKNOWN_MAX_AGE, cached_response, stored_response
from web.i18n import request_language
from web.keys import ENGINE, FRESHNESS, PAGES, SCAN_READER, SETTINGS
from web.views.public.scan_pages import stored_page

QR_MAX_AGE = 7 * 24 * 3600  # a code and its URL never change
MAX_FILTER_CHARS = 40


def add_routes(app: web.Application) -> None:
    app.router.add_get("/i/{code}", instrument_page)
    app.router.add_get("/i/{code}/qr.svg", instrument_qr_svg)
    app.router.add_get("/i/{code}/qr.png", instrument_qr_png)
    app.router.add_get("/api/v1/instruments/{code}", instrument_api)
    app.router.add_get("/m/{market_id}", market_page)


async def _card_or_none(request: web.Request) -> tuple[str | None, InstrumentCard | None]:
    code = normalise_code(request.match_info["code"])
    if code is None:
        return None, None
    return code, await request.app[SCAN_READER].card(code)


def _canonical_redirect(request: web.Request, code: str, suffix: str = "") -> None:
    if request.match_info["code"] != code:
        target = request.rel_url.with_path(f"/i/{code}{suffix}").with_query(request.rel_url.query)
        raise web.HTTPMovedPermanently(location=str(target))


async def unknown_code_response(request: web.Request, typed: str) -> web.Response:
    """The page for a code that names no instrument: mistyped (with the registry's nearest codes), or unknown."""
    choice = request_language(request)
    async with request.app[ENGINE].connect() as connection:
        found = await diagnose(connection, typed)
    body = request.app[PAGES].render(
        "unknown_code.html", choice.language, typed=typed, found=found, choice=choice, format_code=format_code
    )
    return cached_response(request, body.encode(), content_type="text/html", max_age=UNKNOWN_MAX_AGE, status=404)


@public
async def instrument_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    code = normalise_code(request.match_info["code"])
    format = HTML_WITH_LANGUAGE if choice.explicit else HTML
    today, max_age = request.app[FRESHNESS]()
    page = await stored_page(request, code, choice.language, format, today) if code is not None else None
    if page is None or code is None:
        return await unknown_code_response(request, request.match_info["code"][:40])
    _canonical_redirect(request, code)
    return stored_response(request, page.as_of(today), content_type="text/html", max_age=max_age)


@public
async def instrument_api(request: web.Request) -> web.Response:
    code = normalise_code(request.match_info["code"])
    today, max_age = request.app[FRESHNESS]()
    page = await stored_page(request, code, "", JSON, today) if code is not None else None
    if page is None:
        catalogues = request.app[PAGES].catalogues
        # A code that fails its check was mistyped or is not a code at all: never called forged.
        key = "typed.api_malformed" if code is None else "unknown.warning"
        unknown = Problem(
            "malformed_code" if code is None else "unknown_code",
            catalogues["zh"](key),
            catalogues["en"](key),
            field="code",
            kind=Kind.not_found,
        )
        # Answered here rather than raised: a proxy may keep this answer for a minute, like the page's.
        return errors.answer(request, unknown, headers={"Cache-Control": f"public, max-age={UNKNOWN_MAX_AGE}"})
    return stored_response(request, page.as_of(today), content_type="application/json", max_age=max_age,
                           vary_language=False)  # fmt: skip


async def _qr(request: web.Request, suffix: str) -> tuple[str, str]:
    code, card = await _card_or_none(request)
    if card is None or code is None:
        raise web.HTTPNotFound(text="unknown instrument code")
    _canonical_redirect(request, code, suffix)
    return code, f"{request.app[SETTINGS].public_base_url}/i/{code}"


@public
async def instrument_qr_svg(request: web.Request) -> web.Response:
    _, url = await _qr(request, "/qr.svg")
    return cached_response(request, qr_svg(url), content_type="image/svg+xml", max_age=QR_MAX_AGE, vary_language=False)


@public
async def instrument_qr_png(request: web.Request) -> web.Response:
    _, url = await _qr(request, "/qr.png")
    return cached_response(
        request, qr_png(url), content_type="image/png", max_age=QR_MAX_AGE, vary_language=False, charset=None
    )


@public
async def market_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    pages = request.app[PAGES]
    market_id = parse_row_id(request.match_info["market_id"])
    listing = None
    today, max_age = request.app[FRESHNESS]()
    if market_id is not None:
        async with request.app[ENGINE].connect() as connection:
            listing = await market_listing(connection, market_id, on=today)
    if listing is None:
        body = pages.render("error.html", choice.language, choice=choice, prefix="notfound")
        return cached_response(request, body.encode(), content_type="text/html", max_age=UNKNOWN_MAX_AGE, status=404)
    words = request.query.get("q", "").strip()[:MAX_FILTER_CHARS]
    shown_status = Status.__members__.get(request.query.get("status", ""))
    context: dict[str, Any] = {
        "listing": listing,
        "choice": choice,
        "words": words,
        "shown_status": shown_status,
        "stalls": listing.stalls(words=words, status=shown_status),
    }
    body = pages.render("market.html", choice.language, **context)
    return cached_response(request, body.encode(), content_type="text/html", max_age=max_age)
