"""Supervisors' side of personal-data care: the log of who was shown a consumer's contact (per case and per staff
member, as a page and as JSON), and legal holds on a case's personal data."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from complaints.personal_data.access_log import Access, accesses_by_user, accesses_of_case
from complaints.personal_data.holds import release_hold, set_hold
from complaints.queue.staff_case import case_station
from lookup.free_text import clean_line
from lookup.identifiers import parse_reference
from lookup.models import table_of
from lookup.problems import Kind, Problem
from web.auth.access import VIEWER, staff
from web.auth.models import StaffRole, User
from web.auth.scope import Reach, in_scope
from web.casework import case_ref, visible_case
from web.db import for_writing
from web.keys import CLOCK, ENGINE, SETTINGS
from web.render.staff_pages import render_staff_page

user_t = table_of(User)
LOG_PATH, LOG_API = "/audit/contact-access", "/api/v1/audit/contact-access"


def add_routes(app: web.Application) -> None:
    app.router.add_get(LOG_PATH, access_page)
    app.router.add_get(LOG_API, access_api)
    app.router.add_post("/queue/{ref}/hold", hold)


def _asked_for() -> Problem:
    return Problem(
        "missing",
        "请给出案件编号（case=）或工作人员用户名（user=）。",
        "Give a case reference (case=) or a staff member's username (user=).",
        field="case",
        kind=Kind.unprocessable,
    )


async def _log(request: web.Request) -> tuple[str, str, list[Access], dict[int, tuple[str, str]]]:
    """(what was asked: "case" or "user", its value, the rows, user id → (username, display name))."""
    # Through the one cleaning rule: a NUL or a control character never reaches the database (PostgreSQL refuses
    # NUL in text); a reference that cannot be one finds nothing rather than being looked up.
    ref = clean_line(request.query.get("case", "")).upper()[:20]
    username = clean_line(request.query.get("user", ""))[:50]
    async with request.app[ENGINE].connect() as connection:
        if ref:
            found = await case_station(connection, ref) if parse_reference(ref) else None
            rows = await accesses_of_case(connection, found[0]) if found else []
            asked = ("case", ref)
        elif username:
            user_id = (await connection.execute(sa.select(user_t.c.id).where(user_t.c.username == username))).scalar()
            rows = await accesses_by_user(connection, user_id) if user_id is not None else []
            asked = ("user", username)
        else:
            raise _asked_for()
        ids = sorted({row.user_id for row in rows})
        names = {
            user_id: (name, display)
            for user_id, name, display in await connection.execute(
                sa.select(user_t.c.id, user_t.c.username, user_t.c.display_name).where(user_t.c.id.in_(ids))
            )
        }
    return asked[0], asked[1], rows, names


@staff(StaffRole.supervisor, reach=Reach.district)
async def access_page(request: web.Request) -> web.Response:
    asked: str | None
    rows: list[Access] = []
    names: dict[int, tuple[str, str]] = {}
    if not request.query.get("case") and not request.query.get("user"):
        asked, value = None, ""
    else:
        asked, value, rows, names = await _log(request)
    zone = request.app[SETTINGS].zone
    return render_staff_page(
        request, "contact_access.html", asked=asked, value=value, rows=rows, names=names, zone=zone
    )


@staff(StaffRole.supervisor, reach=Reach.district)
async def access_api(request: web.Request) -> web.Response:
    asked, value, rows, names = await _log(request)
    body: dict[str, Any] = {
        asked: value,
        "accesses": [
            {
                "at": row.at.isoformat(),
                "user": names.get(row.user_id, ("", ""))[0],
                "ref": row.ref,
                "route": row.route.value,
                "reason": row.reason,
            }
            for row in rows
        ],
    }
    return web.json_response(body, dumps=lambda value: json.dumps(value, ensure_ascii=False))


@staff(StaffRole.supervisor)
@in_scope(visible_case)
async def hold(request: web.Request, complaint_id: int) -> web.Response:
    """Set a legal hold with its reason, or release it (``release=yes``); back to the case page."""
    form = await request.post()
    now, actor = request.app[CLOCK](), request[VIEWER].user_id
    async with for_writing(request.app[ENGINE]).begin() as connection:
        if form.get("release") == "yes":
            await release_hold(connection, complaint_id, actor_id=actor, now=now)
        else:
            await set_hold(connection, complaint_id, reason=form.get("reason"), actor_id=actor, now=now)
    raise web.HTTPSeeOther(location=f"/queue/{case_ref(request)}")
