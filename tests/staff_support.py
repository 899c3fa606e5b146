"""Staff accounts for tests: users at two stations, signed-in clients, bearer tokens."""

from __future__ import annotations

import io
import re
from typing import Any

import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher, profiles
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import EarlyWarning
from complaints.programme.monitoring import ITEMS
from lookup.models import table_of
from tests.support import NOW, code_of, ledger_row, make_uscc, seed
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


# Test accounts' passwords are hashed with argon2's cheapest parameters: signing in verifies a hash by the parameters
# stored in it, so the same code runs, and the suite's ~1,000 hashes and sign-ins cost milliseconds instead of ~50 s.
CHEAP_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)


async def add_staff(engine: AsyncEngine, username: str, role: StaffRole, station: str | None = None) -> None:
    async with for_writing(engine).begin() as connection:
        await add_user(connection, username, role, PASSWORD, station=station, hasher=CHEAP_HASHER)


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


async def _one(engine: AsyncEngine, sql: str) -> str:
    async with engine.connect() as connection:
        return str((await connection.execute(sa.text(sql))).scalar_one())


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


async def one_of_each_in_the_south(engine: AsyncEngine, client: TestClient[Any, Any]) -> dict[str, str]:
    """南门's things, each of a kind a staff route's path can name, and a case at 北门 so its pages are not empty:
    a case with a photo and a reporter's contact, a hotspot (three complaints about one scale), a monitoring point
    with a filed self-check. Staff: `south` and `north` handlers, `boss`, `admin`, `volunteer`.
    Returns the path parameters by name."""
    await two_stations(engine)
    for username, role, station in (
        ("south", StaffRole.handler, SOUTH),
        ("north", StaffRole.handler, NORTH),
        ("boss", StaffRole.supervisor, None),
        ("admin", StaffRole.admin, None),
        ("volunteer", StaffRole.volunteer, None),
    ):
        await add_staff(engine, username, role, station)
    code = await code_of(engine, "N-1")
    for words in ("称的鱼少了二两", "称的虾少了三两"):
        text = f"张记水产的秤不准，{words}，要求退钱"
        contact = {"name": "王芳", "phone": "13800138000"}
        response = await client.post("/api/v1/complaints", json={"text": text, "code": code, "contact": contact})
        assert response.status == 201
    form = FormData()
    # 举报 chosen: the words alone read either way (0.54), and a complaint about a rigged scale is split in two
    text = "张记水产的秤被改过，称的蟹少了一两"
    for name, value in (("code", code), ("text", text), ("phone", "13800138000"), ("intent", "report")):
        form.add_field(name, value)
    form.add_field("photos", io.BytesIO(_jpeg()), filename="IMG_1.jpg", content_type="image/jpeg")
    assert (await client.post("/complain", data=form, allow_redirects=False)).status == 303
    north = await client.post("/api/v1/complaints", json={"text": "李记鲜肉的秤不准，称的肉少了二两"})
    assert (await north.json())["station"] == NORTH
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    assert (await client.post("/monitoring", data={"code": code}, headers=boss, allow_redirects=False)).status == 303
    merchant_id = await _one(engine, "SELECT merchant_id FROM hotspot")
    page = await (await client.get("/monitoring", headers=boss)).text()
    link = re.search(r'value="http://fairweigh\.test(/monitoring/\d+/self-check\?token=[0-9a-f]+)"', page)
    assert link is not None
    filed = await client.post(link.group(1), data=dict.fromkeys(ITEMS, "yes"))
    assert filed.status == 200
    await _a_warning_about(engine, merchant_id)
    return {
        "ref": await _one(engine, "SELECT c.ref FROM complaint c JOIN complaintphoto p ON p.complaint_id = c.id"),
        "photo_id": await _one(engine, "SELECT id FROM complaintphoto"),
        "hotspot_id": await _one(engine, "SELECT id FROM hotspot"),
        "check_id": await _one(engine, "SELECT id FROM self_check"),
        "merchant_id": merchant_id,
        "market_id": await _one(engine, f"SELECT market_id FROM merchant WHERE id = {int(merchant_id)}"),
        "code": code,
        "user_id": await _one(engine, "SELECT id FROM staff_user WHERE username = 'south'"),
        "area_id": "1",
        "warning_id": await _one(engine, "SELECT id FROM early_warning"),
    }


async def _a_warning_about(engine: AsyncEngine, merchant_id: str) -> None:
    """An open early warning about the south merchant, as the nightly run would raise it."""
    async with engine.begin() as connection:
        query = sa.text("SELECT station_id FROM merchant WHERE id = :id")
        station_id = (await connection.execute(query, {"id": int(merchant_id)})).scalar_one()
        await connection.execute(
            sa.insert(table_of(EarlyWarning)).values(
                merchant_id=int(merchant_id), station_id=station_id, signal="complaints", category="short_weight",
                raised_on=NOW.date(), checked_on=NOW.date(), observed=4, expected=0.5, p_value=0.0001, evidence={},
            )
        )  # fmt: skip
