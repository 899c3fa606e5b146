"""Monitoring points: enrolled by their station, they file the quarterly self-check through their link on a
phone; a handler verifies each item; the year's summary counts what was filed and found."""

from __future__ import annotations

import re
from typing import Any

import html5lib
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.programme.monitoring import ITEMS
from tests.staff_support import NORTH, SOUTH, add_staff, csrf_of, sign_in, two_stations
from tests.support import code_of
from web.auth.models import StaffRole

Client = TestClient[Any, Any]


def parse(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)


async def test_a_quarter_from_enrolment_to_the_years_summary(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    page = await (await client.get("/monitoring")).text()
    parse(page)
    refused = await client.post("/monitoring", data={"csrf": csrf_of(page), "code": "ABCDE-12345"})
    assert refused.status == 400
    assert "没有这个器具编码" in await refused.text()
    enrolled = await client.post("/monitoring", data={"csrf": csrf_of(page), "code": codes["valid"]})
    listing = await enrolled.text()
    assert "张记水产" in listing
    found = re.search(r'value="http://fairweigh\.test(/monitoring/\d+/self-check\?token=[0-9a-f]+)"', listing)
    assert found is not None
    link = found.group(1)

    client.session.cookie_jar.clear()  # the merchant has no account: only the link
    form = await (await client.get(link)).text()
    parse(form)
    assert "诚信计量自查（2026-Q4）" in form
    forged = link[:-4] + "0000"
    assert (await client.get(forged)).status == 404
    answers = dict.fromkeys(ITEMS, "yes") | {"seals_intact": "no", "seals_intact_note": "一台秤的铅封脱落"}
    incomplete = await client.post(link, data={"instruments_in_date": "yes"})
    assert incomplete.status == 400
    assert "请回答每一项" in await incomplete.text()
    filed = await client.post(link, data=answers)
    assert "已提交，南门市场监管所会逐项核实" in await filed.text()

    await sign_in(client, "south")
    listing = await (await client.get("/monitoring")).text()
    check = re.search(r'href="(/monitoring/checks/\d+)">2026-Q4', listing)
    assert check is not None
    verify_page = await (await client.get(check.group(1))).text()
    parse(verify_page)
    assert "一台秤的铅封脱落" in verify_page
    verdict = dict.fromkeys(ITEMS, "confirmed") | {"no_short_weight": "rejected", "csrf": csrf_of(verify_page)}
    assert (await client.post(check.group(1), data=verdict, allow_redirects=False)).status == 303

    summary = await (await client.get("/monitoring/report")).text()
    parse(summary)
    # One quarter filed and verified; one problem declared (seals); 14 items confirmed, 1 not as declared.
    assert "<td>1 / 4</td><td>1</td><td>1</td><td>14</td><td>1</td>" in summary
    refile = await client.post(link, data=answers)
    assert "已经核实，不能再修改" in await refile.text()


async def test_another_stations_handler_can_neither_enrol_nor_verify(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    await add_staff(engine, "north", StaffRole.handler, NORTH)
    await sign_in(client, "north")
    page = await (await client.get("/monitoring")).text()
    code = await code_of(engine, "N-1")  # 南门's merchant
    refused = await client.post("/monitoring", data={"csrf": csrf_of(page), "code": code})
    assert refused.status == 403
    assert "不归本所管辖" in await refused.text()
    assert (await client.get("/monitoring/checks/1")).status == 404
