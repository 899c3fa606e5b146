"""`/admin/users`: an administrator adds staff, switches accounts off and on, and revokes API tokens.

The same operations as `fairweigh users …`, for a district that has no one at a server console. Switching an
account off also ends its sessions; its tokens stop working at once (both are checked per request).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web

from lookup.identifiers import parse_row_id
from lookup.models import Station, table_of
from web.auth.access import VIEWER, staff
from web.auth.accounts import AccountError, add_user, revoke_tokens
from web.auth.models import ApiToken, StaffRole, User, WebSession
from web.auth.scope import Reach
from web.db import for_writing
from web.keys import CLOCK, ENGINE
from web.render.staff_pages import render_staff_page

user_t, token_t, session_t, station_t = table_of(User), table_of(ApiToken), table_of(WebSession), table_of(Station)
MAX_FIELD = 200


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/users", users_page)
    app.router.add_post("/admin/users", create_user)
    app.router.add_post("/admin/users/{user_id}/active", set_active)
    app.router.add_post("/admin/users/{user_id}/revoke", revoke)


async def _render(
    request: web.Request, *, status: int = 200, error: str | None = None, values: Any = None
) -> web.Response:
    tokens = (
        sa.select(sa.func.count())
        .where(token_t.c.user_id == user_t.c.id, token_t.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    async with request.app[ENGINE].connect() as connection:
        users = (
            await connection.execute(
                sa.select(user_t, station_t.c.name.label("station"), tokens.label("tokens"))
                .outerjoin(station_t, station_t.c.id == user_t.c.station_id)
                .order_by(user_t.c.username)
            )
        ).all()
        stations = [
            name for (name,) in await connection.execute(sa.select(station_t.c.name).order_by(station_t.c.name))
        ]
    return render_staff_page(
        request,
        "admin_users.html",
        status,
        users=users,
        stations=stations,
        roles=list(StaffRole),
        error=error,
        values=values or {},
    )


@staff(StaffRole.admin, reach=Reach.none)
async def users_page(request: web.Request) -> web.Response:
    return await _render(request)


@staff(StaffRole.admin, reach=Reach.none)
async def create_user(request: web.Request) -> web.Response:
    form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    if any(len(value) > MAX_FIELD for value in form.values()):
        return await _render(request, status=400, error="too long", values=form)
    try:
        role = StaffRole(form.get("role", ""))
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await add_user(
                connection,
                form.get("username", ""),
                role,
                form.get("password", ""),
                station=form.get("station") or None,
                display_name=form.get("display_name", "").strip(),
            )
    except (AccountError, ValueError) as error:
        return await _render(request, status=400, error=str(error), values=form)
    raise web.HTTPSeeOther(location="/admin/users")


def _user_id(request: web.Request) -> int:
    user_id = parse_row_id(request.match_info["user_id"])
    if user_id is None:
        raise web.HTTPNotFound
    return user_id


@staff(StaffRole.admin, reach=Reach.none)
async def set_active(request: web.Request) -> web.Response:
    user_id = _user_id(request)
    active = (await request.post()).get("active") == "yes"
    if user_id == request[VIEWER].user_id and not active:
        return await _render(request, status=400, error="admin.error.self")
    async with for_writing(request.app[ENGINE]).begin() as connection:
        changed = await connection.execute(sa.update(user_t).where(user_t.c.id == user_id).values(active=active))
        if not changed.rowcount:
            raise web.HTTPNotFound
        if not active:
            await connection.execute(sa.delete(session_t).where(session_t.c.user_id == user_id))
    raise web.HTTPSeeOther(location="/admin/users")


@staff(StaffRole.admin, reach=Reach.none)
async def revoke(request: web.Request) -> web.Response:
    user_id = _user_id(request)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        username = (await connection.execute(sa.select(user_t.c.username).where(user_t.c.id == user_id))).scalar()
        if username is None:
            raise web.HTTPNotFound
        await revoke_tokens(connection, username, now=request.app[CLOCK]())
    raise web.HTTPSeeOther(location="/admin/users")
