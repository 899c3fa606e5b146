"""The integrity index in public: the ranking of streets and scenic areas (/index), each area's printable score
sheet (/index/{id}), and the assessor's form for the items the service cannot know (/index/{id}/assess)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from complaints.programme.index_layout import layout
from complaints.programme.index_metrics import Area, areas, assess, values_of
from complaints.programme.integrity_index import Item, Score, Sheet, SheetError, load_sheets, score
from lookup.identifiers import parse_row_id
from web.auth.access import VIEWER, public, staff
from web.auth.models import StaffRole
from web.auth.scope import Reach
from web.db import for_writing
from web.http.cache import cached_response
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, FRESHNESS, PAGES, SETTINGS
from web.render.staff_pages import render_staff_page

log = logging.getLogger(__name__)

INDEX_SHEETS: web.AppKey[dict[str, Sheet]] = web.AppKey("index_sheets")


def add_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    try:
        app[INDEX_SHEETS] = load_sheets(settings.fairweigh_index_sheet, settings.fairweigh_scenic_sheet)
    except (SheetError, OSError) as error:
        log.error("The integrity index's sheets cannot be used (%s): the index pages are OFF.", error)
        return
    app.router.add_get("/index", ranking)
    app.router.add_get("/index/{area_id}", sheet_page)
    app.router.add_get("/index/{area_id}/assess", assess_form)
    app.router.add_post("/index/{area_id}/assess", record_assessment)


@dataclass(frozen=True)
class Ranked:
    area: Area
    sheet: Sheet  # the sheet of the area's kind
    score: Score


def _year(request: web.Request) -> int:
    raw, this_year = request.query.get("year", ""), request.app[CLOCK]().year
    return int(raw) if raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= this_year else this_year


async def _scored(request: web.Request, year: int) -> list[Ranked]:
    sheets, today, zone = request.app[INDEX_SHEETS], request.app[CLOCK]().date(), request.app[SETTINGS].zone
    async with request.app[ENGINE].connect() as connection:
        found = []
        for area in await areas(connection):
            sheet = sheets[area.kind]
            values, measured = await values_of(connection, sheet, area, year=year, today=today, zone=zone)
            found.append(Ranked(area, sheet, score(sheet, values, measured=measured)))
    return sorted(found, key=lambda ranked: (-ranked.score.total, ranked.area.name))


def _render(request: web.Request, template: str, **context: Any) -> web.Response:
    choice = request_language(request)
    _, max_age = request.app[FRESHNESS]()
    body = request.app[PAGES].render(template, choice.language, choice=choice, **context)
    return cached_response(request, body.encode(), content_type="text/html", max_age=max_age)


@public
async def ranking(request: web.Request) -> web.Response:
    year = _year(request)
    return _render(request, "index_ranking.html", year=year, ranked=await _scored(request, year))


async def _area(request: web.Request, year: int) -> Ranked:
    area_id = parse_row_id(request.match_info["area_id"])
    found = [r for r in await _scored(request, year) if area_id is not None and r.area.id == area_id]
    if not found:
        raise web.HTTPNotFound
    return found[0]


@public
async def sheet_page(request: web.Request) -> web.Response:
    year = _year(request)
    ranked = await _area(request, year)
    t = request.app[PAGES].catalogues[request_language(request).language]
    rows = layout(ranked.sheet, ranked.score, lambda section: t(f"index.section.{section}"))
    return _render(request, "index_sheet.html", year=year, ranked=ranked, sheet=ranked.sheet, rows=rows)


def _assessor_items(ranked: Ranked) -> list[Item]:
    """The items an assessor enters: the assessor's own, and measured ones with nothing to measure this year."""
    return [s.item for s in ranked.score.items if s.by != "auto"]


@staff(StaffRole.supervisor, reach=Reach.district)
async def assess_form(request: web.Request) -> web.Response:
    year = _year(request)
    ranked = await _area(request, year)
    items = _assessor_items(ranked)
    values = {s.item.code: str(s.value) for s in ranked.score.items if s.value is not None}
    return render_staff_page(request, "index_assess.html", ranked=ranked, year=year, items=items, values=values)


def _value(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip().rstrip("%"))
    except InvalidOperation:
        return None
    if raw.strip().endswith("%"):
        value /= 100
    if not (value.is_finite() and Decimal(0) <= value <= Decimal(1_000_000)):
        return None
    # The column keeps four decimal places; PostgreSQL's driver refuses a far smaller exponent outright.
    return value.quantize(Decimal("0.0001"))


@staff(StaffRole.supervisor, reach=Reach.district)
async def record_assessment(request: web.Request) -> web.Response:
    year = _year(request)
    ranked = await _area(request, year)
    items = _assessor_items(ranked)
    posted = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    entered: dict[str, Decimal] = {}
    for item in items:
        raw = posted.get(item.code, "").strip()
        if not raw:
            continue
        value = _value(raw)
        if value is None:
            return render_staff_page(
                request, "index_assess.html", status=400, ranked=ranked, year=year, items=items, values=posted,
                error=item.text,
            )  # fmt: skip
        entered[item.code] = value
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await assess(connection, ranked.area.id, year, entered, by=request[VIEWER].user_id)
    raise web.HTTPSeeOther(location=f"/index/{ranked.area.id}?year={year}")
