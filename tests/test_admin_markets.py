"""An administrator sets and corrects where markets are (`/admin/markets`), so that a shopper's shared location
finds them; nobody else may."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import html5lib
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.geo.coordinates import Point
from tests.fake_wechat import push, say, wechat
from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in, two_stations
from tests.test_ledger_coordinates import to_bd09
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings

Client = TestClient[Any, Any]
NEAR_BEIMEN = {"Location_X": "26.10010", "Location_Y": "119.30020", "Scale": "16", "Label": "北门路口"}


@pytest.fixture
async def app_client(aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime]) -> Client:
    client: Client = await aiohttp_client(create_app(wechat(settings), clock=clock))
    return client


async def signed_in_admin(client: Client, engine: AsyncEngine) -> str:
    """Two stations' markets, an administrator signed in on ``client``; returns the markets page."""
    await two_stations(engine)
    await add_staff(engine, "root", StaffRole.admin)
    await sign_in(client, "root")
    return await (await client.get("/admin/markets")).text()


def market_ids(page: str) -> dict[str, str]:
    return {name: id_ for id_, name in re.findall(r'<a href="/m/(\d+)">([^<]+)</a>', page)}


async def test_an_admin_places_a_market_and_a_shopper_s_location_then_finds_it(
    app_client: Client, engine: AsyncEngine
) -> None:
    page = await signed_in_admin(app_client, engine)
    html5lib.HTMLParser(strict=True).parse(page)
    assert page.count("未设置") == 2
    beimen = market_ids(page)["北门市场"]

    follower = push()
    await say(app_client, follower, follower.text("买了两斤排骨回家一称只有一斤七两，要求退钱"))
    assert (
        "附近 500 米内没有登记的市场" in (await say(app_client, follower, follower.xml("location", **NEAR_BEIMEN)))[1]
    )

    saved = await app_client.post(
        f"/admin/markets/{beimen}/point",
        data={"csrf": csrf_of(page), "latitude": "26.1000", "longitude": "119.3000"},
        allow_redirects=False,
    )
    assert (saved.status, saved.headers["Location"]) == (303, "/admin/markets")
    page = await (await app_client.get("/admin/markets")).text()
    assert 'value="26.100000"' in page
    assert page.count("未设置") == 1

    said = (await say(app_client, follower, follower.xml("location", **NEAR_BEIMEN)))[1]
    assert "地点记为：北门市场（相距约 20 米）" in said


async def test_a_point_read_off_baidu_maps_is_saved_in_gcj02_and_a_shopper_s_location_finds_the_market(
    app_client: Client, engine: AsyncEngine
) -> None:
    page = await signed_in_admin(app_client, engine)
    assert '<option value="bd09">百度地图（BD-09）</option>' in page
    beimen, csrf = market_ids(page)["北门市场"], csrf_of(page)
    baidu = to_bd09(Point(26.1000, 119.3000))  # what Baidu Maps shows for the market
    cells = {"csrf": csrf, "latitude": f"{baidu.latitude:.6f}", "longitude": f"{baidu.longitude:.6f}"}
    follower = push()
    await say(app_client, follower, follower.text("买了两斤排骨回家一称只有一斤七两，要求退钱"))

    # Saved as if read off Gaode, Baidu's numbers put the market some 700 m off: the shopper beside it is not near it.
    await app_client.post(f"/admin/markets/{beimen}/point", data={**cells, "datum": "gcj02"})
    far = (await say(app_client, follower, follower.xml("location", **NEAR_BEIMEN)))[1]
    assert "附近 500 米内没有登记的市场" in far

    saved = await app_client.post(
        f"/admin/markets/{beimen}/point", data={**cells, "datum": "bd09"}, allow_redirects=False
    )
    assert saved.status == 303
    said = (await say(app_client, follower, follower.xml("location", **NEAR_BEIMEN)))[1]
    assert "地点记为：北门市场（相距约 20 米）" in said


async def test_a_bad_point_is_refused_with_its_reason_and_an_empty_one_clears(
    client: Client, engine: AsyncEngine
) -> None:
    page = await signed_in_admin(client, engine)
    nanmen, csrf = market_ids(page)["南门农贸市场"], csrf_of(page)
    action = f"/admin/markets/{nanmen}/point"

    swapped = await client.post(action, data={"csrf": csrf, "latitude": "119.299", "longitude": "26.079"})
    assert swapped.status == 400
    refusal = await swapped.text()
    assert "位置没有保存" in refusal
    assert "纬度超出中国范围：119.299" in refusal
    half = await client.post(action, data={"csrf": csrf, "latitude": "26.079", "longitude": ""})
    assert "纬度和经度须同时填写" in await half.text()
    assert (await (await client.get("/admin/markets")).text()).count("未设置") == 2

    await client.post(action, data={"csrf": csrf, "latitude": "26.079", "longitude": "119.299"})
    assert (await (await client.get("/admin/markets")).text()).count("未设置") == 1
    await client.post(action, data={"csrf": csrf, "latitude": "", "longitude": ""})
    assert (await (await client.get("/admin/markets")).text()).count("未设置") == 2
    missing = await client.post("/admin/markets/999999/point", data={"csrf": csrf, "latitude": "", "longitude": ""})
    assert missing.status == 404


async def test_a_handler_may_not_see_or_set_market_locations(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    await add_staff(engine, "li", StaffRole.handler, station=SOUTH)
    await add_staff(engine, "wang", StaffRole.supervisor)
    for username in ("li", "wang"):
        await sign_in(client, username)
        assert (await client.get("/admin/markets", allow_redirects=False)).status == 403
        queue = await (await client.get("/queue")).text()
        assert "/admin/markets" not in queue
        refused = await client.post(
            "/admin/markets/1/point",
            data={"csrf": csrf_of(queue), "latitude": "26.1", "longitude": "119.3"},
            allow_redirects=False,
        )
        assert refused.status == 403
        await client.post("/logout", data={"csrf": csrf_of(queue)})
