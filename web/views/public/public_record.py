"""The public record of a merchant (/merchant/{id}) and the districts' red and black lists (/lists).

Counts only: no consumer's words, name, phone or chat id ever reaches these pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from complaints.odr import enrolment
from complaints.odr.figures import odr_figures
from complaints.reporting.reports import Period, build_report
from complaints.scope import Scope
from complaints.workflow import Intent
from lookup.identifiers import parse_row_id
from lookup.public_record import merchant_record, standing_lists
from qr.codes import format_code
from web.auth.access import public
from web.http.cache import UNKNOWN_MAX_AGE, cached_response
from web.i18n import request_language
from web.keys import ENGINE, FRESHNESS, PAGES, SETTINGS

DISCLOSED_DAYS = 365  # the national disclosure rules publish a merchant's last twelve months


def add_routes(app: web.Application) -> None:
    app.router.add_get("/merchant/{merchant_id}", merchant_page)
    app.router.add_get("/lists", lists_page)


@public
async def merchant_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    pages = request.app[PAGES]
    merchant_id = parse_row_id(request.match_info["merchant_id"])
    today, max_age = request.app[FRESHNESS]()
    record = None
    if merchant_id is not None:
        async with request.app[ENGINE].connect() as connection:
            record = await merchant_record(connection, merchant_id, today=today)
            if record is not None:
                period = Period(today - timedelta(days=DISCLOSED_DAYS - 1), today, request.app[SETTINGS].zone)
                report = await build_report(
                    connection, Scope.everything(), period, merchant_id=record.id, intent=Intent.complaint
                )
                odr = await enrolment.enrolment(connection, record.id)
                since, until = period.bounds()
                odr_counts = await odr_figures(connection, merchant_id=record.id, since=since, until=until)
    if record is None:
        body = pages.render("error.html", choice.language, choice=choice, prefix="notfound")
        return cached_response(request, body.encode(), content_type="text/html", max_age=UNKNOWN_MAX_AGE, status=404)
    context: dict[str, Any] = {
        "record": record,
        "figures": report.total,
        "period": period,
        "choice": choice,
        "format_code": format_code,
        # ODR: whether the merchant settles complaints first, and how that went in the period (no case's details).
        "odr": odr if odr is not None and odr.taking_part else None,
        "odr_figures": odr_counts,
    }
    body = pages.render("merchant.html", choice.language, **context)
    return cached_response(request, body.encode(), content_type="text/html", max_age=max_age)


@public
async def lists_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    _, max_age = request.app[FRESHNESS]()
    async with request.app[ENGINE].connect() as connection:
        lists = await standing_lists(connection)
    body = request.app[PAGES].render("lists.html", choice.language, lists=lists, choice=choice)
    return cached_response(request, body.encode(), content_type="text/html", max_age=max_age)
