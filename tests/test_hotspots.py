"""Hotspots as stations work them, through the real app: three complaints about one merchant raise a hotspot,
its station's handler inspects it and clears it, a supervisor black-lists the merchant and suspends the
instrument, and the public lookup shows that on the next scan."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import html5lib
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import NORTH, SOUTH, add_staff, csrf_of, sign_in, two_stations
from tests.support import NOW, code_of
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings

Client = TestClient[Any, Any]
WORDS = ("称的鱼少了二两", "称的虾少了三两", "称的蟹少了一两")


@pytest.fixture
async def hotspot(engine: AsyncEngine, client: Client) -> dict[str, Any]:
    """Three complaints about 张记水产's scale N-1 (南门): one open hotspot. Staff at both stations and the district."""
    await two_stations(engine)
    for username, role, station in (
        ("south", StaffRole.handler, SOUTH),
        ("north", StaffRole.handler, NORTH),
        ("boss", StaffRole.supervisor, None),
    ):
        await add_staff(engine, username, role, station)
    code = await code_of(engine, "N-1")
    for n, words in enumerate(WORDS):
        text = f"张记水产的秤不准，{words}，要求退钱"
        contact = {"name": "王芳", "phone": f"1380013800{n}"}
        response = await client.post("/api/v1/complaints", json={"text": text, "code": code, "contact": contact})
        assert response.status == 201
        assert (await response.json())["intent"] == "complaint"
    async with engine.connect() as connection:
        row = (await connection.execute(sa.text("SELECT id, merchant_id, complaint_count FROM hotspot"))).one()
    assert row.complaint_count == 3
    return {"id": row.id, "merchant_id": row.merchant_id, "code": code}


def parse(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)


async def query(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(sa.text(sql)))


async def test_the_station_sees_its_hotspot_inspects_it_and_clears_it(
    client: Client, engine: AsyncEngine, hotspot: dict[str, Any]
) -> None:
    await sign_in(client, "south")
    listing = await client.get("/hotspots")
    assert listing.status == 200
    page = await listing.text()
    parse(page)
    assert "张记水产" in page
    assert hotspot["code"] in page
    assert f"/hotspots/{hotspot['id']}/inspect" in page
    assert "/merchants/" not in page  # a handler gets no registry forms

    form = await client.get(f"/hotspots/{hotspot['id']}/inspect")
    assert form.status == 200
    form_page = await form.text()
    parse(form_page)
    csrf = csrf_of(form_page)
    url = f"/hotspots/{hotspot['id']}/inspect"
    good = {"csrf": csrf, "inspected_on": "2026-11-23", "inspectors": "2", "instruments_checked": "4"}

    refused = await client.post(url, data={**good, "unverified": "5"}, allow_redirects=False)
    assert refused.status == 400
    shown = await refused.text()
    parse(shown)
    assert "不能多于检查的计量器具数" in shown
    assert 'name="unverified" min="0" step="1" inputmode="numeric" value="5" aria-invalid="true"' in shown
    assert "商品量抽查不合格，已对该企业作出处理" in shown
    assert await query(engine, "SELECT id FROM inspection") == []

    done = await client.post(
        url,
        data={
            **good,
            "unverified": "1",
            "short_weight_found": "yes",
            "notes": "一台秤超差",
            "clear": "yes",
            "quantity_failed_handled": "yes",
            "quantity_fine_yuan": "2000",
            "product_fine_yuan": "0",
        },
        allow_redirects=False,
    )
    assert done.status == 303
    [follow_up] = await query(
        engine, "SELECT product_failed_handled, quantity_failed_handled, quantity_fine_yuan FROM inspection"
    )
    assert tuple(follow_up) == (False, True, 2000)  # what the monthly report's closing rows count
    assert done.headers["Location"] == "/hotspots"
    [inspection] = await query(
        engine, "SELECT merchant_id, hotspot_id, inspectors, instruments_checked, unverified, notes FROM inspection"
    )
    assert tuple(inspection) == (hotspot["merchant_id"], hotspot["id"], 2, 4, 1, "一台秤超差")
    [(cleared_at,)] = await query(engine, "SELECT cleared_at FROM hotspot")
    assert cleared_at is not None
    after = await (await client.get("/hotspots")).text()
    assert "张记水产" not in after
    assert "目前没有投诉热点" in after
    # The cleared hotspot's page still opens, with the inspection on record.
    again = await (await client.get(url)).text()
    assert "已于 2026-11-23" in again
    assert "检查器具 4 台" in again


async def test_another_stations_handler_neither_sees_nor_touches_the_hotspot(
    client: Client, engine: AsyncEngine, hotspot: dict[str, Any]
) -> None:
    await sign_in(client, "north")
    page = await (await client.get("/hotspots")).text()
    assert "张记水产" not in page
    url = f"/hotspots/{hotspot['id']}/inspect"
    assert (await client.get(url)).status == 404
    posted = await client.post(url, data={"csrf": csrf_of(page), "inspected_on": "2026-11-23", "clear": "yes"})
    assert posted.status == 404
    for path in ("/hotspots/999999/inspect", "/hotspots/abc/inspect"):
        assert (await client.get(path)).status == 404
    assert await query(engine, "SELECT id FROM inspection") == []
    assert await query(engine, "SELECT cleared_at FROM hotspot") == [(None,)]


BAD_FIGURES = [
    ({"instruments_checked": "-1"}, "不能是负数"),
    ({"fine_yuan": "-100", "case_opened": "yes"}, "不能是负数"),
    ({"inspectors": "0"}, "至少为 1"),
    ({"inspectors": "two"}, "必须是整数"),
    ({"instruments_checked": "1.5"}, "必须是整数"),
    ({"instruments_checked": "2", "tampered": "3"}, "不能多于检查的计量器具数"),
    ({"fine_yuan": "500"}, "有罚没款必须先立案"),
    ({"inspected_on": "2026-11-24"}, "不能晚于今天"),
    ({"inspected_on": "23/11/2026"}, "不是有效日期"),
    ({"instruments_checked": "1" * 13}, "填写的内容太长"),
    ({"instruments_checked": "999999999999"}, "数值太大"),
    ({"notes": "很" * 2001}, "填写的内容太长"),
]


async def test_every_bad_figure_is_refused_with_the_form_shown_again(
    client: Client, engine: AsyncEngine, hotspot: dict[str, Any]
) -> None:
    await sign_in(client, "south")
    url = f"/hotspots/{hotspot['id']}/inspect"
    csrf = csrf_of(await (await client.get(url)).text())
    for fields, message in BAD_FIGURES:
        data = {"csrf": csrf, "inspected_on": "2026-11-23", "clear": "yes", **fields}
        response = await client.post(url, data=data, allow_redirects=False)
        assert response.status == 400, fields
        page = await response.text()
        parse(page)
        assert message in page, fields
        assert 'name="inspected_on"' in page  # the form again, with what was typed
    assert await query(engine, "SELECT id FROM inspection") == []
    assert await query(engine, "SELECT cleared_at FROM hotspot") == [(None,)]
    missing_csrf = await client.post(url, data={"inspected_on": "2026-11-23"}, allow_redirects=False)
    assert missing_csrf.status == 403
    assert await query(engine, "SELECT id FROM inspection") == []


async def lookup(client: Client, code: str) -> tuple[str, dict[str, Any]]:
    page = await client.get(f"/i/{code}")
    answer = await client.get(f"/api/v1/instruments/{code}")
    assert (page.status, answer.status) == (200, 200)
    return await page.text(), await answer.json()


async def test_a_supervisor_black_lists_the_merchant_and_suspends_the_scale_and_the_lookup_shows_it_at_once(
    client: Client, hotspot: dict[str, Any]
) -> None:
    code = hotspot["code"]
    page, answer = await lookup(client, code)
    assert "黑榜" not in page
    assert (answer["status"], answer["merchant"]["standing"]) == ("valid", "ordinary")

    await sign_in(client, "boss")
    listing = await (await client.get("/hotspots")).text()
    parse(listing)
    assert SOUTH in listing  # the district view names each hotspot's station
    csrf = csrf_of(listing)
    standing = await client.post(
        f"/merchants/{hotspot['merchant_id']}/standing",
        data={"csrf": csrf, "standing": "black_list", "reason": "三次复秤均短秤，拒不整改"},
        allow_redirects=False,
    )
    assert standing.status == 303
    page, answer = await lookup(client, code)
    assert "黑榜（计量失信）" in page
    assert answer["merchant"]["standing"] == "black_list"

    suspended = await client.post(
        f"/instruments/{code}/state", data={"csrf": csrf, "state": "suspended"}, allow_redirects=False
    )
    assert suspended.status == 303
    page, answer = await lookup(client, code)
    assert "已停用" in page
    assert (answer["status"], answer["state"]) == ("suspended", "suspended")
    listing = await (await client.get("/hotspots")).text()
    assert "恢复使用" in listing

    back = await client.post(f"/instruments/{code}/state", data={"csrf": csrf, "state": "in_use"})
    assert back.status == 200  # followed to the list
    _, answer = await lookup(client, code)
    assert (answer["status"], answer["state"]) == ("valid", "in_use")


async def test_registry_edits_refuse_bad_input_unknown_rows_and_forms_without_csrf(
    client: Client, engine: AsyncEngine, hotspot: dict[str, Any]
) -> None:
    await sign_in(client, "boss")
    csrf = csrf_of(await (await client.get("/hotspots")).text())
    merchant = f"/merchants/{hotspot['merchant_id']}/standing"
    state = f"/instruments/{hotspot['code']}/state"

    bad_standing = await client.post(merchant, data={"csrf": csrf, "standing": "黑名单<b>"})
    assert bad_standing.status == 400
    shown = await bad_standing.text()
    parse(shown)
    assert "没有这种诚信评价：“黑名单&lt;b&gt;”" in shown
    assert 'name="standing"' in shown  # the forms again
    bad_state = await client.post(state, data={"csrf": csrf, "state": "retired"})
    assert bad_state.status == 400
    assert "器具状态只能设为" in await bad_state.text()

    no_reason = await client.post(merchant, data={"csrf": csrf, "standing": "black_list", "reason": "  "})
    assert no_reason.status == 400
    assert "需要写明理由" in await no_reason.text()
    praised = {"csrf": csrf, "standing": "red_list", "reason": "连续一年零投诉"}
    assert (await client.post("/merchants/999999/standing", data=praised)).status == 404
    assert (await client.post("/instruments/NOTACODE/state", data={"csrf": csrf, "state": "suspended"})).status == 404

    no_csrf = await client.post(merchant, data={"standing": "black_list"})
    wrong_csrf = await client.post(state, data={"csrf": "guess", "state": "suspended"})
    assert (no_csrf.status, wrong_csrf.status) == (403, 403)
    assert await query(engine, "SELECT standing FROM merchant WHERE id = " + str(hotspot["merchant_id"])) == [
        ("ordinary",)
    ]

    async with engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE instrument SET state = 'retired' WHERE code = :c"), {"c": hotspot["code"]}
        )
    retired = await client.post(state, data={"csrf": csrf, "state": "in_use"})
    assert retired.status == 409
    assert "已报废" in await retired.text()


async def test_a_handler_may_not_edit_the_registry(
    client: Client, engine: AsyncEngine, hotspot: dict[str, Any]
) -> None:
    await sign_in(client, "south")
    csrf = csrf_of(await (await client.get("/hotspots")).text())
    standing = await client.post(
        f"/merchants/{hotspot['merchant_id']}/standing", data={"csrf": csrf, "standing": "black_list"}
    )
    state = await client.post(f"/instruments/{hotspot['code']}/state", data={"csrf": csrf, "state": "suspended"})
    assert (standing.status, state.status) == (403, 403)
    assert await query(engine, "SELECT standing, state FROM merchant JOIN instrument ON merchant_id = merchant.id") == [
        ("ordinary", "in_use"),
        ("ordinary", "in_use"),
    ]


async def test_complaints_answered_by_an_inspection_do_not_raise_the_hotspot_again(
    aiohttp_client: Any, settings: Settings, engine: AsyncEngine, client: Client, hotspot: dict[str, Any]
) -> None:
    await sign_in(client, "south")
    url = f"/hotspots/{hotspot['id']}/inspect"
    csrf = csrf_of(await (await client.get(url)).text())
    form = {"csrf": csrf, "inspected_on": "2026-11-23", "inspectors": "1", "instruments_checked": "1", "clear": "yes"}
    assert (await client.post(url, data=form, allow_redirects=False)).status == 303
    later: Client = await aiohttp_client(create_app(settings, clock=lambda: NOW + timedelta(hours=2)))
    for n in range(2):
        text = f"张记水产又缺斤少两，第{n + 1}次，要求退钱"
        contact = {"phone": f"1370000000{n}"}
        assert (
            await later.post("/api/v1/complaints", json={"text": text, "code": hotspot["code"], "contact": contact})
        ).status == 201
    # Two new complaints after the inspection: below the threshold of three, so no new hotspot.
    assert [tuple(row) for row in await query(engine, "SELECT complaint_count, cleared_at IS NULL FROM hotspot")] == [
        (3, False)
    ]
