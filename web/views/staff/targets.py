"""The targets scoreboard (`/targets`, supervisors): every target of the district's targets file for a year or a
month, for the district or one station, against its figure, with the trend by month and each station's figures;
its workbook (`/targets.xlsx`); and the form for the figures the service cannot compute (`/targets/manual`)."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from aiohttp import web

from complaints.programme.target_board import (
    BadPeriod,
    Board,
    Line,
    build_board,
    manual_lines,
    record_entries,
    spans_for,
)
from complaints.programme.target_facts import Span
from complaints.programme.target_xlsx import shown, targets_xlsx
from complaints.programme.targets import Target, TargetsError, load_targets
from complaints.reporting.charts import sparkline
from complaints.reporting.exports import XLSX_TYPE
from lookup.models import table_of
from web.auth.access import VIEWER, staff
from web.auth.models import StaffRole, User
from web.auth.scope import Reach
from web.db import for_writing
from web.keys import CLOCK, ENGINE, ROTATION, SETTINGS, TARGETS
from web.render.staff_pages import render_staff_page

log = logging.getLogger(__name__)
user_t = table_of(User)
_PERIOD = re.compile(r"(\d{4})(?:-(\d{2}))?")
MAX_NOTE_CHARS = 500


def add_routes(app: web.Application) -> None:
    try:
        app[TARGETS] = load_targets(app[SETTINGS].fairweigh_targets)
    except (TargetsError, OSError) as error:
        log.error("The district's targets cannot be used (%s): the targets pages are OFF.", error)
        return
    app.router.add_get("/targets", board_page)
    app.router.add_get("/targets.xlsx", board_workbook)
    app.router.add_get("/targets/manual", manual_form)
    app.router.add_post("/targets/manual", record_manual)


def today_of(request: web.Request) -> date:
    return request.app[CLOCK]().astimezone(request.app[SETTINGS].zone).date()


def parse_period(raw: str, today: date) -> tuple[int, int | None]:
    """(year, month or None) from ``2026`` or ``2026-11``; this year when empty. Raises BadPeriod."""
    found = _PERIOD.fullmatch(raw.strip()) if raw.strip() else None
    if raw.strip() and found is None:
        raise BadPeriod(raw[:20])
    year, month = (int(found[1]), int(found[2]) if found[2] else None) if found else (today.year, None)
    spans_for(year=year, month=month, today=today)  # raises for a period that has not begun
    return year, month


def period_choices(today: date) -> list[str]:
    """This year and the two before, then the last 24 months, newest first."""
    months, y, m = [], today.year, today.month
    for _ in range(24):
        months.append(f"{y}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return [str(today.year - n) for n in range(3)] + months


async def board_for(request: web.Request, *, station_id: int | None) -> Board:
    """The board of the period in the query, for the district (None) or a station."""
    today = today_of(request)
    year, month = parse_period(request.query.get("period", ""), today)
    period, trend = spans_for(year=year, month=month, today=today)
    async with request.app[ENGINE].connect() as connection:
        return await build_board(
            connection, request.app[TARGETS], period=period, trend=trend, station_id=station_id,
            policy=request.app[ROTATION], zone=request.app[SETTINGS].zone,
        )  # fmt: skip


def _station(request: web.Request) -> int | None:
    raw = request.query.get("station", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        raise BadPeriod(raw[:20])
    return int(raw)


async def _names(request: web.Request, board: Board) -> dict[int, str]:
    ids = {line.entry.entered_by for line in board.lines if line.entry and line.entry.entered_by is not None}
    if not ids:
        return {}
    async with request.app[ENGINE].connect() as connection:
        rows = await connection.execute(
            sa.select(user_t.c.id, user_t.c.display_name, user_t.c.username).where(user_t.c.id.in_(ids))
        )
    return {row.id: row.display_name or row.username for row in rows}


def _bad(request: web.Request, value: str) -> web.Response:
    return render_staff_page(request, "targets.html", status=400, board=None, error=value[:40], choices=[])


def trends(board: Board) -> dict[str, str]:
    months = [span.key for span in board.trend]
    return {
        line.target.code: sparkline(
            line.target.label, months, [None if f.value is None else float(f.value) for f in line.trend],
            target=float(line.target.target),
        )
        for line in board.lines
        if line.target.computed
    }  # fmt: skip


@staff(StaffRole.supervisor, reach=Reach.district)
async def board_page(request: web.Request) -> web.Response:
    try:
        station_id = _station(request)
        board = await board_for(request, station_id=station_id)
    except BadPeriod as bad:
        return _bad(request, str(bad))
    if station_id is not None and station_id not in dict(board.stations):
        return _bad(request, request.query.get("station", ""))
    return render_staff_page(
        request, "targets.html", board=board, error=None, show=shown, trends=trends(board),
        names=await _names(request, board), choices=period_choices(today_of(request)),
        query=request.query_string, zone=request.app[SETTINGS].zone,
    )  # fmt: skip


@staff(StaffRole.supervisor, reach=Reach.district)
async def board_workbook(request: web.Request) -> web.Response:
    try:
        station_id = _station(request)
        board = await board_for(request, station_id=station_id)
    except BadPeriod as bad:
        return _bad(request, str(bad))
    stations = dict(board.stations)
    if station_id is not None and station_id not in stations:
        return _bad(request, request.query.get("station", ""))
    scope = stations[station_id] if station_id is not None else "全区"
    names = await _names(request, board)
    body = await asyncio.to_thread(targets_xlsx, board, scope, names=names, made_on=today_of(request))
    headers = {"Content-Disposition": f'attachment; filename="targets-{board.period.key}.xlsx"',
               "Cache-Control": "no-store"}  # fmt: skip
    return web.Response(body=body, content_type=XLSX_TYPE, headers=headers)


def parse_value(raw: str, target: Target) -> Decimal | None:
    """A share as a decimal or a percentage (96% or 0.96), a count as a number; None when it cannot be read."""
    text = raw.strip().replace("％", "%")
    try:
        value = Decimal(text.rstrip("%"))
    except InvalidOperation:
        return None
    if text.endswith("%") or (target.unit == "share" and value > 1):
        value /= 100
    ceiling = Decimal(1) if target.unit == "share" else Decimal(10**9)
    return value if value.is_finite() and Decimal(0) <= value <= ceiling else None


async def _manual(request: web.Request) -> tuple[Span, list[Line]]:
    today = today_of(request)
    year, month = parse_period(request.query.get("period", ""), today)
    period, _ = spans_for(year=year, month=month, today=today)
    async with request.app[ENGINE].connect() as connection:
        return period, await manual_lines(connection, request.app[TARGETS], period)


def _manual_page(request: web.Request, period: Span, lines: list[Line], *, values: dict[str, str],
                 error: str | None = None, status: int = 200) -> web.Response:  # fmt: skip
    return render_staff_page(
        request, "targets_manual.html", status=status, period=period, lines=lines, values=values, error=error,
        max_note=MAX_NOTE_CHARS, show=shown,
    )  # fmt: skip


@staff(StaffRole.supervisor, reach=Reach.district)
async def manual_form(request: web.Request) -> web.Response:
    try:
        period, lines = await _manual(request)
    except BadPeriod as bad:
        return _bad(request, str(bad))
    values: dict[str, str] = {}
    for line in lines:
        if line.entry is not None:
            values[line.target.code] = shown(line.target, line.entry.value)
            values[f"{line.target.code}.note"] = line.entry.note
    return _manual_page(request, period, lines, values=values)


@staff(StaffRole.supervisor, reach=Reach.district)
async def record_manual(request: web.Request) -> web.Response:
    try:
        period, lines = await _manual(request)
    except BadPeriod as bad:
        return _bad(request, str(bad))
    posted = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    entered: dict[str, tuple[Decimal, str]] = {}
    for line in lines:
        target = line.target
        raw = posted.get(target.code, "").strip()
        if not raw:
            continue
        value = parse_value(raw, target)
        note = posted.get(f"{target.code}.note", "").strip()
        if value is None or len(note) > MAX_NOTE_CHARS:
            return _manual_page(request, period, lines, values=posted, error=target.label, status=400)
        entered[target.code] = (value, note)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await record_entries(connection, period.key, entered, by=request[VIEWER].user_id, now=request.app[CLOCK]())
    raise web.HTTPSeeOther(location=f"/targets?period={period.key}")
