"""An action names the case version its handler saw (`If-Match` in the API, a hidden field in the forms): taken on a
view that is no longer current it answers 409 with the case as it now stands, and nothing is written. Two
handlers on two processes (each app below has its own engine) racing on one case: one wins, one is told."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in, token_for, two_stations
from tests.support import code_of
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings

Client = TestClient[Any, Any]


async def a_case(engine: AsyncEngine, client: Client) -> str:
    await two_stations(engine)
    for name in ("south", "south2"):
        await add_staff(engine, name, StaffRole.handler, SOUTH)
    body = {"text": "张记水产的秤不准，称的鱼少了二两，要求退钱", "code": await code_of(engine, "N-1")}
    body["contact"] = {"name": "王芳", "phone": "13800138000"}
    response = await client.post("/api/v1/complaints", json=body)
    assert response.status == 201
    return str((await response.json())["ref"])


async def events(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.execute(sa.text("SELECT action FROM complaintevent ORDER BY id"))).scalars())


async def test_an_api_action_on_a_stale_etag_answers_409_with_the_case_as_it_stands(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    first, second = [await aiohttp_client(create_app(settings, clock=clock)) for _ in range(2)]
    ref = await a_case(engine, first)
    headers = [{"Authorization": f"Bearer {await token_for(engine, name)}"} for name in ("south", "south2")]
    seen = await first.get(f"/api/v1/queue/{ref}", headers=headers[0])
    etag = seen.headers["ETag"]
    assert (await second.get(f"/api/v1/queue/{ref}", headers=headers[1])).headers["ETag"] == etag

    accepted = await first.post(
        f"/api/v1/queue/{ref}/actions", json={"action": "accept"}, headers={**headers[0], "If-Match": etag}
    )
    assert accepted.status == 200
    assert accepted.headers["ETag"] != etag

    stale = await second.post(
        f"/api/v1/queue/{ref}/actions",
        json={"action": "decline", "ground": "missing_facts", "note": "缺少摊位"},
        headers={**headers[1], "If-Match": etag},
    )
    assert stale.status == 409
    body = await stale.json()
    assert (body["error"], body["status"]) == ("stale_case", 409)
    assert body["case"]["status"] == "accepted"
    assert stale.headers["ETag"] == accepted.headers["ETag"]
    assert "decline" not in await events(engine)

    fresh = await second.post(
        f"/api/v1/queue/{ref}/actions",
        json={"action": "note", "note": "已电话联系"},
        headers={**headers[1], "If-Match": stale.headers["ETag"]},
    )
    assert fresh.status == 200
    malformed = await second.post(
        f"/api/v1/queue/{ref}/actions", json={"action": "note", "note": "x"}, headers={**headers[1], "If-Match": "v1"}
    )
    assert (malformed.status, (await malformed.json())["field"]) == (400, "If-Match")


async def test_two_handlers_acting_at_once_on_one_version_one_wins_one_is_told(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    first, second = [await aiohttp_client(create_app(settings, clock=clock)) for _ in range(2)]
    ref = await a_case(engine, first)
    headers = [{"Authorization": f"Bearer {await token_for(engine, name)}"} for name in ("south", "south2")]
    etag = (await first.get(f"/api/v1/queue/{ref}", headers=headers[0])).headers["ETag"]

    async def note(client: Client, auth: dict[str, str], words: str) -> int:
        url = f"/api/v1/queue/{ref}/actions"
        response = await client.post(url, json={"action": "note", "note": words}, headers={**auth, "If-Match": etag})
        return response.status

    statuses = await asyncio.gather(note(first, headers[0], "甲"), note(second, headers[1], "乙"))

    assert sorted(statuses) == [200, 409]
    assert (await events(engine)).count("note") == 1


async def test_a_form_sent_from_a_stale_page_shows_the_case_as_it_stands(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    ref = await a_case(engine, client)
    assert (await sign_in(client, "south")).status == 303
    page = await (await client.get(f"/queue/{ref}")).text()
    assert 'name="version" value="' in page
    form = {"csrf": csrf_of(page), "action": "accept", "version": page.split('name="version" value="')[1].split('"')[0]}
    token = await token_for(engine, "south2")
    moved = await client.post(
        f"/api/v1/queue/{ref}/actions",
        json={"action": "note", "note": "先记一笔"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert moved.status == 200

    stale = await client.post(f"/queue/{ref}/actions", data=form, allow_redirects=False)

    assert stale.status == 409
    text = await stale.text()
    assert "已有人办理过它" in text
    assert "先记一笔" in text  # the case as it now stands
    assert "accept" not in await events(engine)
