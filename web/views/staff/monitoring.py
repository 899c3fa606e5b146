"""Monitoring points over HTTP: a station enrols merchants and hands them a self-check link; the merchant files
the quarterly self-check on a phone; a handler verifies it item by item; the year's summary report."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from complaints.programme import code_checks, monitoring
from complaints.programme.monitoring import ITEMS, MonitoringError
from complaints.scope import Scope
from lookup.identifiers import parse_row_id
from qr.codes import normalise_code
from web.auth.access import VIEWER, public, staff
from web.auth.scope import CASE_WORKERS, SCOPE, Reach, digits, in_scope
from web.db import for_writing
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES, SCAN_READER, SETTINGS
from web.render.staff_pages import render_staff_page


def add_routes(app: web.Application) -> None:
    app.router.add_get("/monitoring", points_page)
    app.router.add_post("/monitoring", enrol)
    app.router.add_get("/monitoring/report", report)
    app.router.add_get("/monitoring/checks/{check_id}", check_page)
    app.router.add_post("/monitoring/checks/{check_id}", verify)
    app.router.add_get("/monitoring/{merchant_id}/self-check", self_check_form)
    app.router.add_post("/monitoring/{merchant_id}/self-check", file_self_check)


def _link(request: web.Request, merchant_id: int) -> str:
    settings = request.app[SETTINGS]
    token = monitoring.point_token(settings.secret(), merchant_id)
    return f"{settings.public_base_url}/monitoring/{merchant_id}/self-check?token={token}"


async def _points_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        found = await monitoring.points(connection, request[SCOPE])
        checks = {p.merchant_id: await monitoring.checks_of(connection, p.merchant_id) for p in found}
    links = {p.merchant_id: _link(request, p.merchant_id) for p in found}
    return render_staff_page(
        request, "monitoring.html", status=status, points=found, checks=checks, links=links, error=error
    )


@staff(*CASE_WORKERS, reach=Reach.scope)
async def points_page(request: web.Request) -> web.Response:
    return await _points_page(request)


@staff(*CASE_WORKERS, reach=Reach.scope)
async def enrol(request: web.Request) -> web.Response:
    posted = await request.post()
    raw = posted.get("code")
    code = normalise_code(raw) if isinstance(raw, str) else None
    card = await request.app[SCAN_READER].card(code) if code else None
    if card is None:
        return await _points_page(request, error="monitoring.error.code", status=400)
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await monitoring.enrol(connection, card.merchant_id, request[SCOPE], on=request.app[CLOCK]().date())
    except MonitoringError as error:
        if error.code != "other_station":
            raise
        return await _points_page(request, error="monitoring.error.station", status=403)
    raise web.HTTPSeeOther(location="/monitoring")


async def _point_for_token(request: web.Request) -> monitoring.Point:
    merchant_id, token = parse_row_id(request.match_info["merchant_id"]), request.query.get("token", "")
    secret = request.app[SETTINGS].secret()
    if merchant_id is None or not monitoring.token_matches(secret, merchant_id, token):
        raise web.HTTPNotFound
    async with request.app[ENGINE].connect() as connection:
        found = await monitoring.point(connection, merchant_id)
    if found is None:
        raise web.HTTPNotFound
    return found


def _self_check_page(request: web.Request, found: monitoring.Point, **context: Any) -> web.Response:
    choice = request_language(request)
    quarter = monitoring.quarter_of(request.app[CLOCK]().date())
    body = request.app[PAGES].render(
        "self_check.html", choice.language, choice=choice, point=found, items=ITEMS, quarter=quarter,
        token=request.query.get("token", ""), **({"values": {}, "error": None, "filed": False} | context),
    )  # fmt: skip
    status = 400 if context.get("error") else 200
    # The link carries the merchant's token: never cached, never sent on as a Referer.
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return web.Response(text=body, content_type="text/html", status=status, headers=headers)


@public
async def self_check_form(request: web.Request) -> web.Response:
    return _self_check_page(request, await _point_for_token(request))


@public
async def file_self_check(request: web.Request) -> web.Response:
    found = await _point_for_token(request)
    posted = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    english = request_language(request).language == "en"
    try:
        answers = monitoring.clean_answers(posted)
        async with for_writing(request.app[ENGINE]).begin() as connection:
            now = request.app[CLOCK]()
            await monitoring.file_check(
                connection, found.merchant_id, monitoring.quarter_of(now.date()), answers, now=now
            )
    except MonitoringError as error:
        return _self_check_page(request, found, values=posted, error=error.english if english else error.chinese)
    return _self_check_page(request, found, filed=True)


async def visible_check(request: web.Request, scope: Scope) -> tuple[Any, monitoring.Point] | None:
    """The check and its point; None for another station's check, like a reference never given out."""
    check_id = digits(request, "check_id")
    if check_id is None:
        return None
    async with request.app[ENGINE].connect() as connection:
        row = await monitoring.check(connection, check_id)
        found = await monitoring.point(connection, row.merchant_id) if row is not None else None
    if row is None or found is None or not scope.sees_station(found.station_id):
        return None
    return row, found


async def _verify_page(
    request: web.Request, row: Any, found: monitoring.Point, *, error: str | None = None, status: int = 200
) -> web.Response:
    """The handler's sheet; its GM2D item shows the quarter's visits' codes, and is pre-selected from them."""
    start, end = code_checks.quarter_span(row.quarter)
    async with request.app[ENGINE].connect() as connection:
        codes = await code_checks.share(connection, found.merchant_id, start, end)
    return render_staff_page(
        request, "self_check_verify.html", status=status, check=row, point=found, items=ITEMS, error=error,
        codes=codes, gm2d_item=code_checks.GM2D_ITEM,
    )  # fmt: skip


@staff(*CASE_WORKERS)
@in_scope(visible_check)
async def check_page(request: web.Request, visible: tuple[Any, monitoring.Point]) -> web.Response:
    row, found = visible
    return await _verify_page(request, row, found)


@staff(*CASE_WORKERS)
@in_scope(visible_check)
async def verify(request: web.Request, visible: tuple[Any, monitoring.Point]) -> web.Response:
    row, found = visible
    posted = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    try:
        verified = monitoring.clean_verification(posted)
    except MonitoringError as error:
        return await _verify_page(request, row, found, error=error.chinese, status=400)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await monitoring.verify_check(
            connection, row.id, verified, by=request[VIEWER].user_id, now=request.app[CLOCK]()
        )
    raise web.HTTPSeeOther(location="/monitoring")


@staff(*CASE_WORKERS, reach=Reach.scope)
async def report(request: web.Request) -> web.Response:
    raw, this_year = request.query.get("year", ""), request.app[CLOCK]().year
    year = int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= this_year else this_year
    async with request.app[ENGINE].connect() as connection:
        lines = await monitoring.year_summary(connection, year, request[SCOPE])
    return render_staff_page(request, "monitoring_report.html", year=year, lines=lines)
