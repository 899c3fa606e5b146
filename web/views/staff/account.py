"""`/account/second-factor`: every member of staff may enrol a second factor (TOTP) here; an account whose role
requires one (FAIRWEIGH_SECOND_FACTOR_ROLES) is sent here after its password until it has.

The page shows the pending secret as a QR code (drawn on the server, no request leaves the machine) and as text,
and takes a code made from it; then the ten recovery codes are shown, once. An enrolled account sees when it
enrolled and how many recovery codes are left, and may make new ones (the old ones stop working).
"""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from lookup.models import table_of
from web.auth.access import ENROLMENT_PATH, VIEWER, before_enrolment, staff
from web.auth.login import remote_of
from web.auth.models import User
from web.auth.scope import Reach
from web.auth.second_factor import (
    confirm_enrolment,
    grouped,
    new_recovery_codes,
    pending_secret,
    provisioning_uri,
    qr_svg,
    recovery_codes_left,
)
from web.auth.throttle import record_attempt
from web.db import for_writing
from web.keys import CLOCK, ENGINE, SETTINGS
from web.render.staff_pages import render_staff_page

user_t = table_of(User)


def add_routes(app: web.Application) -> None:
    app.router.add_get(ENROLMENT_PATH, second_factor_page)
    app.router.add_post(ENROLMENT_PATH, enrol)
    app.router.add_post(f"{ENROLMENT_PATH}/recovery-codes", renew_recovery_codes)


async def _render(request: web.Request, *, status: int = 200, error: str | None = None) -> web.Response:
    viewer = request[VIEWER]
    required = viewer.role.value in request.app[SETTINGS].second_factor_roles
    async with for_writing(request.app[ENGINE]).begin() as connection:
        enrolled_at = (
            await connection.execute(sa.select(user_t.c.totp_enrolled_at).where(user_t.c.id == viewer.user_id))
        ).scalar()
        if enrolled_at is not None:
            left = await recovery_codes_left(connection, viewer.user_id)
            secret = uri = None
        else:
            left = 0
            secret = await pending_secret(connection, viewer.user_id)
            uri = provisioning_uri(secret, viewer.username)
    return render_staff_page(
        request,
        "second_factor.html",
        status,
        enrolled_at=enrolled_at,
        zone=request.app[SETTINGS].zone,
        left=left,
        required=required,
        secret=grouped(secret) if secret else None,
        qr=qr_svg(uri) if uri else None,
        uri=uri,
        error=error,
        codes=None,
    )


@staff(reach=Reach.none)
@before_enrolment
async def second_factor_page(request: web.Request) -> web.Response:
    return await _render(request)


@staff(reach=Reach.none)
@before_enrolment
async def enrol(request: web.Request) -> web.Response:
    code = (await request.post()).get("code")
    viewer, now = request[VIEWER], request.app[CLOCK]()
    if not isinstance(code, str) or len(code) > 40:
        return await _render(request, status=400, error="factor.error.code")
    async with for_writing(request.app[ENGINE]).begin() as connection:
        codes = await confirm_enrolment(connection, viewer.user_id, code, now=now)
        if codes is not None:
            await record_attempt(connection, viewer.username, "factor_enrolled", remote=remote_of(request), now=now)
    if codes is None:
        return await _render(request, status=400, error="factor.error.code")
    return _codes_page(request, codes)


@staff(reach=Reach.none)
async def renew_recovery_codes(request: web.Request) -> web.Response:
    viewer = request[VIEWER]
    async with for_writing(request.app[ENGINE]).begin() as connection:
        enrolled = (
            await connection.execute(sa.select(user_t.c.totp_secret).where(user_t.c.id == viewer.user_id))
        ).scalar()
        if not enrolled:
            raise web.HTTPSeeOther(location=ENROLMENT_PATH)
        codes = await new_recovery_codes(connection, viewer.user_id)
        now = request.app[CLOCK]()
        await record_attempt(connection, viewer.username, "recovery_codes_renewed", remote=remote_of(request), now=now)
    return _codes_page(request, codes)


def _codes_page(request: web.Request, codes: list[str]) -> web.Response:
    return render_staff_page(request, "second_factor.html", codes=codes, error=None)
