"""The complaint form without a scan (issue 15, item 9: the sticker's code, the market as a choice, the stall) and
the anonymous complaint's name and phone added on its status page (item 8), over the real app and database."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import NORTH, SOUTH, add_staff, sign_in, two_stations
from tests.test_complaint_form import form, stored
from tests.test_lookup_http import bad_check, visible_text
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
WORDS = "秤不准，买的排骨少了二两，要求退钱"


async def market_id(engine: AsyncEngine, name: str) -> int:
    async with engine.connect() as connection:
        found: int = (
            await connection.execute(sa.text("SELECT id FROM market WHERE name = :n"), {"n": name})
        ).scalar_one()
    return found


async def test_the_form_without_a_scan_asks_for_the_code_the_market_and_the_stall(
    client: Client, engine: AsyncEngine
) -> None:
    await two_stations(engine)
    page = await (await client.get("/complain")).text()
    assert 'name="code" value=""' in page
    assert re.search(r'<select id="market" name="market">\s*<option value="">不在市场 / 不清楚</option>', page)
    for name in ("南门农贸市场", "北门市场"):
        assert f">{name}" in page
    assert 'name="stall"' in page
    north = await market_id(engine, "北门市场")
    chosen = await (await client.get("/complain", params={"market": str(north)})).text()
    assert f'<option value="{north}" selected>北门市场' in chosen


async def test_the_lookup_page_fills_in_the_code_market_and_stall(client: Client, codes: dict[str, str]) -> None:
    page = await (await client.get(f"/complain?code={codes['valid']}")).text()
    assert f'name="code" value="{codes["valid"]}"' in page
    assert re.search(r'<option value="\d+" selected>南门农贸市场', page)
    assert 'name="stall" maxlength="50" value="12号摊位"' in page


async def test_a_complaint_naming_a_market_and_stall_goes_to_that_markets_station(
    client: Client, engine: AsyncEngine
) -> None:
    await two_stations(engine)
    north = await market_id(engine, "北门市场")
    data = form(WORDS, market=str(north), stall="7号摊位", name="王芳", phone="13800138000")
    response = await client.post("/complain", data=data, allow_redirects=False)
    assert response.status == 303
    [case] = await stored(engine, "complaint")
    assert case.market_id == north
    assert case.text == f"{WORDS}\n市场：北门市场\n摊位：7号摊位"
    assert visible_text(await (await client.get(response.headers["Location"])).text()).count(NORTH) == 1
    await add_staff(engine, "north", StaffRole.handler, NORTH)
    await sign_in(client, "north")
    staff_page = await (await client.get(f"/queue/{case.ref}")).text()
    assert "市场：北门市场" in staff_page
    assert "摊位：7号摊位" in staff_page


async def test_a_scanned_complaint_repeats_nothing_the_sticker_says(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    page = await (await client.get(f"/complain?code={codes['valid']}")).text()
    market = re.search(r'<option value="(\d+)" selected>', page).group(1)  # type: ignore[union-attr]
    data = form(WORDS, code=codes["valid"], market=market, stall="12号摊位")
    assert (await client.post("/complain", data=data, allow_redirects=False)).status == 303
    [case] = await stored(engine, "complaint")
    assert case.text == WORDS


async def test_a_market_not_in_the_list_or_a_mistyped_code_is_refused_kindly(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    refused = await client.post("/complain", data=form(WORDS, market="999999"), allow_redirects=False)
    assert refused.status == 400
    assert "请在列表中选市场" in await refused.text()
    typo = await client.post("/complain", data=form(WORDS, code=bad_check(codes["valid"]).lower()))
    assert typo.status == 400
    said = await typo.text()
    assert "可能输错了" in said
    assert "伪造" not in said
    assert await stored(engine, "complaint") == []


async def anonymous_case(client: Client, codes: dict[str, str]) -> str:
    response = await client.post("/complain", data=form(WORDS, code=codes["valid"]), allow_redirects=False)
    location: str = response.headers["Location"]
    return location


async def test_an_anonymous_complaint_adds_its_name_and_phone_on_the_status_page(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    location = await anonymous_case(client, codes)
    page = await (await client.get(location)).text()
    assert "请补充您的姓名和电话" in page
    action = re.search(r'<form method="post" action="(/c/[^"]+/contact\?token=[^"]+)"', page)
    assert action is not None
    added = await client.post(
        action.group(1).replace("&amp;", "&"),
        data={"name": "王芳", "phone": "138 0013 8000", "consent": "yes"},
        allow_redirects=False,
    )
    assert added.status == 303
    after = visible_text(await (await client.get(added.headers["Location"])).text())
    assert "您补充了联系方式" in after
    assert "请补充您的姓名和电话" not in after
    assert "13800138000" not in after  # never shown back, not even to its owner
    [contact] = await stored(engine, "complaintcontact")
    assert (contact.name, contact.phone, bool(contact.consent_to_contact)) == ("王芳", "13800138000", True)

    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    ref = location.split("/c/")[1].split("?")[0]
    staff_page = await (await client.get(f"/queue/{ref}")).text()
    assert "消费者补充了联系方式" in staff_page
    assert "13800138000" in staff_page


async def test_adding_a_contact_needs_the_token_and_something_new(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    location = await anonymous_case(client, codes)
    ref = location.split("/c/")[1].split("?")[0]
    wrong = await client.post(f"/c/{ref}/contact?token=guess", data={"name": "王芳"}, allow_redirects=False)
    assert wrong.status == 404
    path = location.replace(f"/c/{ref}?", f"/c/{ref}/contact?")
    empty = await client.post(path, data={"name": " ", "phone": ""}, allow_redirects=False)
    assert empty.status == 400
    assert "请填写姓名或电话" in await empty.text()
    bad_phone = await client.post(path, data={"name": "王芳", "phone": "12"}, allow_redirects=False)
    assert bad_phone.status == 400
    assert 'value="王芳"' in await bad_phone.text()  # what was typed survives
    [contact] = await stored(engine, "complaintcontact")
    assert (contact.name, contact.phone) == ("", "")
    english = await client.post(path + "&lang=en", data={"phone": "13800138000"}, allow_redirects=False)
    assert english.headers["Location"].endswith("&lang=en#h-timeline")
    assert "You added your contact details" in await (await client.get(english.headers["Location"])).text()
