"""Every refusal of every API and webhook has one shape: `{"error", "status", "message", "message_zh", "field"}`,
with the HTTP status repeated in the body, an English and a Chinese message, and the field at fault or null."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from qr.codes import check_symbol
from tests.fake_wechat import push, wechat
from tests.staff_support import SOUTH, add_staff, token_for, two_stations
from tests.support import code_of
from tests.telegram_support import SECRET
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings
from web.views.bots.telegram import PATH, SECRET_HEADER

Client = TestClient[Any, Any]
TEXT = "张记水产的秤不准，称的鱼少了二两，要求退钱"


@pytest.fixture
async def api(
    aiohttp_client: Any, bot_settings: Settings, clock: Callable[[], datetime], engine: AsyncEngine
) -> dict[str, Any]:
    """The app with both bots on, a case at 南门, its handler's token and an administrator's."""
    client: Client = await aiohttp_client(create_app(wechat(bot_settings), clock=clock))
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "admin", StaffRole.admin)
    created = await client.post("/api/v1/complaints", json={"text": TEXT, "contact": {"phone": "13800138000"}})
    return {
        "client": client,
        "ref": (await created.json())["ref"],
        "code": await code_of(engine, "N-1"),
        "south": {"Authorization": f"Bearer {await token_for(engine, 'south')}"},
        "admin": {"Authorization": f"Bearer {await token_for(engine, 'admin')}"},
    }


async def refusal(response: Any, status: int, error: str, field: str | None = None) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {"error", "status", "message", "message_zh", "field"}
    assert (body["error"], body["status"], body["field"]) == (error, status, field)
    assert body["message"].strip()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message_zh"])
    return dict(body)


async def test_the_complaints_api(api: dict[str, Any]) -> None:
    client = api["client"]
    headers = {"Content-Type": "application/json"}
    await refusal(
        await client.post("/api/v1/complaints", data=b'{"text": "unterminated', headers=headers), 400, "bad_json"
    )
    phone = {"text": TEXT, "contact": {"phone": "call me"}}
    await refusal(await client.post("/api/v1/complaints", json=phone), 422, "bad_phone", "phone")
    padded = json.dumps({"text": TEXT, "padding": "x" * (2 * 1024 * 1024)}).encode()
    too_large = await client.post("/api/v1/complaints", data=io.BytesIO(padded), headers=headers)
    await refusal(too_large, 413, "request_entity_too_large")
    missing = await client.get(f"/api/v1/complaints/{api['ref']}", params={"token": "not-the-token"})
    await refusal(missing, 404, "not_found", "ref")


async def test_the_queue_api(api: dict[str, Any]) -> None:
    client, south = api["client"], api["south"]
    await refusal(
        await client.get("/api/v1/queue", params={"status": "lost"}, headers=south), 400, "bad_filter", "status"
    )
    cursor = await client.get("/api/v1/queue", params={"after": "not-a-cursor"}, headers=south)
    await refusal(cursor, 400, "bad_cursor", "after")
    for limit in ("0", "ten", "100000"):
        await refusal(
            await client.get("/api/v1/queue", params={"limit": limit}, headers=south), 400, "bad_limit", "limit"
        )
    anonymous = await client.get("/api/v1/queue")
    await refusal(anonymous, 401, "unauthenticated")
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    await refusal(await client.get("/api/v1/queue", headers=api["admin"]), 403, "forbidden")
    await refusal(await client.get("/api/v1/queue/JL20261123-9999", headers=south), 404, "not_found", "ref")


async def test_the_case_actions_api(api: dict[str, Any]) -> None:
    client, south = api["client"], api["south"]
    url = f"/api/v1/queue/{api['ref']}/actions"
    assert (await client.post(url, json={"action": "accept"}, headers=south)).status == 200
    await refusal(await client.post(url, json={"action": "accept"}, headers=south), 409, "not_now")
    await refusal(await client.post(url, json={"action": "fly"}, headers=south), 422, "unknown_action")
    await refusal(await client.post(url, data=b"[1, 2]", headers=south), 400, "bad_json")


async def test_the_instruments_api(api: dict[str, Any]) -> None:
    client = api["client"]
    unknown = await client.get(f"/api/v1/instruments/{'2' * 9 + check_symbol('2' * 9)}")
    await refusal(unknown, 404, "unknown_code", "code")
    assert unknown.headers["Cache-Control"] == "public, max-age=60"
    await refusal(await client.get("/api/v1/instruments/not%20a%20code"), 404, "malformed_code", "code")
    await refusal(await client.get("/api/v1/nothing-here"), 404, "not_found")


async def test_the_bot_webhooks(api: dict[str, Any]) -> None:
    client = api["client"]
    forged = await client.post(PATH, json={"update_id": 1}, headers={SECRET_HEADER: "not-the-secret"})
    await refusal(forged, 403, "forbidden", SECRET_HEADER)
    unreadable = await client.post(PATH, data=b"{not json", headers={SECRET_HEADER: SECRET})
    await refusal(unreadable, 400, "malformed_update")
    query, body = push().signed(push().text("你好"))
    await refusal(
        await client.post("/bot/wechat", params=query | {"signature": "0" * 40}, data=body), 403, "bad_signature"
    )
    await refusal(await client.post("/bot/wechat", params=query, data=b"<xml><a>"), 400, "malformed_xml")
