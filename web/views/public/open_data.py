"""Open data over HTTP: a read-only Open311 GeoReport v2 view of the cases, and daily counts as CSV.

GeoReport errors are a JSON list of ``{"code", "description"}``, as the specification asks; dates are ISO 8601.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from complaints.classify.taxonomy import CATEGORIES, CATEGORY_NAMES
from complaints.programme.open_data import (
    DEFAULT_DAYS,
    MAX_DAILY_DAYS,
    RequestQuery,
    ServiceRequest,
    daily_counts,
    services,
)
from complaints.programme.open_data import service_requests as find_requests
from lookup.identifiers import parse_reference
from web.auth.access import public
from web.http.cache import cached_response
from web.keys import CLOCK, ENGINE, FRESHNESS, PAGES, SETTINGS

MAX_LISTED = 50  # codes or references in one query parameter
FIRST_YEAR, LAST_YEAR = 2000, 2199


def add_routes(app: web.Application) -> None:
    app.router.add_get("/open311/v2/services.json", services_json)
    app.router.add_get("/open311/v2/requests.json", requests_json)
    app.router.add_get("/open311/v2/requests/{ref}.json", request_json)
    app.router.add_get("/open-data/cases-daily.csv", daily_csv)


class _BadQuery(Exception):
    pass


def _georeport_error(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


def _json(request: web.Request, body: Any) -> web.Response:
    _, max_age = request.app[FRESHNESS]()
    payload = json.dumps(body, ensure_ascii=False).encode()
    return cached_response(request, payload, content_type="application/json", max_age=min(max_age, 60))


@public
async def services_json(request: web.Request) -> web.Response:
    return _json(request, services())


def _moment(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _BadQuery(f"{name} must be an ISO 8601 date and time, e.g. 2026-11-01T00:00:00+08:00") from None
    _within_years(moment.date(), name)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _within_years(day: date, name: str) -> None:
    # Far-off dates are no case's, and at the calendar's ends a day's bounds or a 90-day default overflow.
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _BadQuery(f"{name} must be in the years {FIRST_YEAR}–{LAST_YEAR}")


def _listed(raw: str, name: str) -> tuple[str, ...]:
    values = tuple(value.strip() for value in raw.split(",") if value.strip())
    if len(values) > MAX_LISTED:
        raise _BadQuery(f"at most {MAX_LISTED} values in {name}")
    return values


def _query(request: web.Request) -> RequestQuery:
    params, now = request.query, request.app[CLOCK]()
    end = _moment(params["end_date"], "end_date") if params.get("end_date") else now
    start = _moment(params["start_date"], "start_date") if params.get("start_date") else end - timedelta(DEFAULT_DAYS)
    if end < start:
        raise _BadQuery("start_date must not be after end_date")
    categories = _listed(params.get("service_code", ""), "service_code")
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise _BadQuery(f"unknown service_code {unknown[0]!r}; see services.json")
    status = params.get("status", "")
    if status not in {"", "open", "closed"}:
        raise _BadQuery("status is open or closed")
    listed = _listed(params.get("service_request_id", ""), "service_request_id")
    refs = tuple(ref for ref in map(parse_reference, listed) if ref is not None)
    if len(refs) < len(listed):
        raise _BadQuery("service_request_id holds references such as JL20261123-0001")
    return RequestQuery(start, end, categories, {"": None, "open": True, "closed": False}[status], refs)


def _as_georeport(case: ServiceRequest, request: web.Request) -> dict[str, Any]:
    labels = request.app[PAGES].catalogues["zh"]
    zone = request.app[SETTINGS].zone
    expected = datetime.combine(case.expected, time(23, 59, 59), zone).isoformat() if case.expected else None
    return {
        "service_request_id": case.ref,
        "status": "open" if case.is_open else "closed",
        "status_notes": labels(f"case_status.{case.status.value}"),
        "service_name": CATEGORY_NAMES.get(case.category, case.category),
        "service_code": case.category,
        "description": None,  # a consumer's words are never published
        "agency_responsible": case.station,
        "service_notice": None,
        "requested_datetime": case.requested.astimezone(zone).isoformat(),
        "updated_datetime": case.updated.astimezone(zone).isoformat(),
        "expected_datetime": expected,
        "address": case.market,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


@public
async def requests_json(request: web.Request) -> web.Response:
    try:
        query = _query(request)
    except _BadQuery as problem:
        return _georeport_error(400, str(problem))
    async with request.app[ENGINE].connect() as connection:
        found = await find_requests(connection, query)
    return _json(request, [_as_georeport(case, request) for case in found])


@public
async def request_json(request: web.Request) -> web.Response:
    ref = parse_reference(request.match_info["ref"])
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    found = []
    if ref is not None:
        async with request.app[ENGINE].connect() as connection:
            found = await find_requests(connection, RequestQuery(epoch, epoch, refs=(ref,)))
    if not found:
        return _georeport_error(404, f"no service request {ref or ''}".strip())
    return _json(request, [_as_georeport(found[0], request)])


def _day(raw: str | None, default: date, name: str) -> date:
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise _BadQuery(f"{name} must be a date such as 2026-11-01") from None
    _within_years(day, name)
    return day


@public
async def daily_csv(request: web.Request) -> web.Response:
    yesterday = request.app[CLOCK]().date() - timedelta(days=1)
    try:
        start = _day(request.query.get("from"), yesterday, "from")
        end = _day(request.query.get("to"), start if request.query.get("from") else yesterday, "to")
        if end < start or (end - start).days >= MAX_DAILY_DAYS:
            raise _BadQuery(f"from must not be after to, and a range is at most {MAX_DAILY_DAYS} days")
    except _BadQuery as problem:
        raise web.HTTPBadRequest(text=str(problem)) from None
    async with request.app[ENGINE].connect() as connection:
        counts = await daily_counts(connection, start, end, request.app[SETTINGS].zone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "station", "intent", "category", "received", "still_open"])
    for row in counts:
        writer.writerow([row.day.isoformat(), row.station, row.intent, row.category, row.received, row.still_open])
    response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="fairweigh-cases-{start}-{end}.csv"'
    return response
