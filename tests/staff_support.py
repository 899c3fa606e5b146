"""Staff accounts for tests: users at two stations, signed-in clients, bearer tokens."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support import NOW, ledger_row, make_uscc, seed
from web.auth.accounts import add_user, issue_token
from web.auth.models import StaffRole
from web.db import for_writing

PASSWORD = "correct horse battery"
SOUTH, NORTH = "南门市场监管所", "北门市场监管所"


async def two_stations(engine: AsyncEngine) -> None:
    """南门 with merchant 张记水产 (instrument N-1), 北门 with merchant 李记鲜肉 (instrument B-1)."""
    await seed(
        engine,
        ledger_row(serial_no="N-1"),
        ledger_row(serial_no="B-1", station=NORTH, market="北门市场", merchant="李记鲜肉", uscc=make_uscc(2)),
    )


async def add_staff(engine: AsyncEngine, username: str, role: StaffRole, station: str | None = None) -> None:
    async with for_writing(engine).begin() as connection:
        await add_user(connection, username, role, PASSWORD, station=station)


async def token_for(engine: AsyncEngine, username: str) -> str:
    async with for_writing(engine).begin() as connection:
        return await issue_token(connection, username, label="test", now=NOW)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: TestClient[Any, Any], username: str, password: str = PASSWORD) -> Any:
    form = await (await client.get("/login")).text()
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf": csrf_of(form)}, allow_redirects=False
    )
