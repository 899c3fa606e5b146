"""An administrator manages staff accounts in the browser; nobody else may."""

from __future__ import annotations

import re
from typing import Any

import html5lib
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in, token_for, two_stations
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings

Client = TestClient[Any, Any]
NEW_PASSWORD = "a fresh long password"


async def test_an_admin_adds_a_handler_who_can_then_work_and_switching_off_ends_their_access(
    aiohttp_client: Any, settings: Settings, clock: Any, client: Client, engine: AsyncEngine
) -> None:
    await two_stations(engine)
    await add_staff(engine, "root", StaffRole.admin)
    await sign_in(client, "root")
    page = await (await client.get("/admin/users")).text()
    html5lib.HTMLParser(strict=True).parse(page)
    csrf = csrf_of(page)
    short = await client.post(
        "/admin/users",
        data={"csrf": csrf, "username": "li", "role": "handler", "station": SOUTH, "password": "short"},
        allow_redirects=False,
    )
    assert short.status == 400
    assert "10" in await short.text()
    added = await client.post(
        "/admin/users",
        data={"csrf": csrf, "username": "li", "role": "handler", "station": SOUTH, "password": NEW_PASSWORD},
        allow_redirects=False,
    )
    assert added.status == 303

    handler: Client = await aiohttp_client(create_app(settings, clock=clock))
    assert (await sign_in(handler, "li", NEW_PASSWORD)).status == 303
    assert (await handler.get("/queue")).status == 200
    assert (await handler.get("/admin/users", allow_redirects=False)).status == 403
    token = await token_for(engine, "li")

    async with engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT id FROM staff_user WHERE username = 'li'"))
        user_id = found.scalar_one()
    off = await client.post(
        f"/admin/users/{user_id}/active", data={"csrf": csrf, "active": "no"}, allow_redirects=False
    )
    assert off.status == 303
    assert (await handler.get("/queue", allow_redirects=False)).status == 303  # signed out: back to /login
    api = await handler.get("/api/v1/queue", headers={"Authorization": f"Bearer {token}"})
    assert api.status == 401
    assert "已停用" in await (await client.get("/admin/users")).text()


async def test_an_admin_cannot_switch_themself_off_and_forms_need_csrf(client: Client, engine: AsyncEngine) -> None:
    await add_staff(engine, "root", StaffRole.admin)
    await sign_in(client, "root")
    page = await (await client.get("/admin/users")).text()
    [own_id] = re.findall(r'action="/admin/users/(\d+)/active"', page)
    refused = await client.post(f"/admin/users/{own_id}/active", data={"csrf": csrf_of(page), "active": "no"})
    assert refused.status == 400
    assert "不能停用自己的账号" in await refused.text()
    forged = await client.post("/admin/users", data={"username": "x", "role": "admin", "password": NEW_PASSWORD})
    assert forged.status == 403
