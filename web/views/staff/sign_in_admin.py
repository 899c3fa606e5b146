"""`/admin/locks` and the second-factor reset: an administrator sees which usernames and addresses sign-in
throttling holds now, lifts a lock, and resets a member of staff's second factor (a lost phone).

Each act is logged twice: a row in the login audit naming the administrator (reason ``unlocked`` or
``factor_reset``, kept as long as sign-in attempts are) and a warning in the service log.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from aiohttp import web

from lookup.identifiers import parse_row_id
from lookup.models import table_of
from web.auth.access import VIEWER, staff
from web.auth.login import remote_of
from web.auth.models import StaffRole, User, WebSession
from web.auth.scope import Reach
from web.auth.second_factor import reset_factor
from web.auth.throttle import (
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_PAIR,
    MAX_FAILURES_PER_USERNAME,
    current_locks,
    record_attempt,
    unlock,
)
from web.db import for_writing
from web.keys import CLOCK, ENGINE, SETTINGS
from web.render.staff_pages import render_staff_page

log = logging.getLogger(__name__)
user_t, session_t = table_of(User), table_of(WebSession)
KINDS = ("username", "address")
LIMITS = {"pair": MAX_FAILURES_PER_PAIR, "username": MAX_FAILURES_PER_USERNAME, "address": MAX_FAILURES_PER_ADDRESS}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/locks", locks_page)
    app.router.add_post("/admin/locks/unlock", unlock_one)
    app.router.add_post("/admin/users/{user_id}/second-factor/reset", reset_second_factor)


@staff(StaffRole.admin, reach=Reach.none)
async def locks_page(request: web.Request) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        locks = await current_locks(connection, now=request.app[CLOCK]())
    return render_staff_page(
        request,
        "admin_locks.html",
        locks=locks,
        zone=request.app[SETTINGS].zone,
        limits=LIMITS,
    )


@staff(StaffRole.admin, reach=Reach.none)
async def unlock_one(request: web.Request) -> web.Response:
    form = await request.post()
    kind, key = form.get("kind"), form.get("key")
    if kind not in KINDS or not isinstance(key, str) or not key.strip() or len(key) > 64:
        raise web.HTTPBadRequest(text="kind=username|address and key")
    admin = request[VIEWER].username
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await unlock(connection, str(kind), key.strip(), actor=admin, now=request.app[CLOCK]())
    log.warning("Sign-in lock on %s %r lifted by the administrator %s", kind, key.strip(), admin)
    raise web.HTTPSeeOther(location="/admin/locks")


@staff(StaffRole.admin, reach=Reach.none)
async def reset_second_factor(request: web.Request) -> web.Response:
    user_id = parse_row_id(request.match_info["user_id"])
    if user_id is None:
        raise web.HTTPNotFound
    admin, now = request[VIEWER].username, request.app[CLOCK]()
    async with for_writing(request.app[ENGINE]).begin() as connection:
        username = (await connection.execute(sa.select(user_t.c.username).where(user_t.c.id == user_id))).scalar()
        if username is None or not await reset_factor(connection, user_id):
            raise web.HTTPNotFound
        # Sessions opened with the old factor end: the account signs in again (and enrols, if its role must).
        await connection.execute(sa.delete(session_t).where(session_t.c.user_id == user_id))
        await record_attempt(connection, username, "factor_reset", remote=remote_of(request), now=now, actor=admin)
    log.warning("Second factor of %s reset by the administrator %s", username, admin)
    raise web.HTTPSeeOther(location="/admin/users")
