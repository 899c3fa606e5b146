"""The targets scoreboard over HTTP: the supervisors' page and its workbook, figures entered by hand, and the
district's public page."""

from __future__ import annotations

import io
import re
from typing import Any

import html5lib
import pytest
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.programme.target_xlsx import HEADINGS
from tests.staff_support import NORTH, SOUTH, add_staff, csrf_of, sign_in
from tests.targets_support import seed_district
from web.auth.models import StaffRole

Client = TestClient[Any, Any]


def parse(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)


def row_of(page: str, label: str) -> str:
    found = re.search(rf"<tr><t[dh][^>]*>{re.escape(label)}.*?</tr>", page, re.S)
    assert found is not None, label
    return found.group(0)


@pytest.fixture
async def boss(client: Client, engine: AsyncEngine) -> None:
    await seed_district(engine)
    await add_staff(engine, "boss", StaffRole.supervisor)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    complaint = await client.post("/api/v1/complaints", json={"text": "张记水产的秤不准，称的鱼少了二两，要求退钱"})
    assert complaint.status == 201
    await sign_in(client, "south")
    assert (await client.get("/targets")).status == 403  # supervisors only
    client.session.cookie_jar.clear()
    await sign_in(client, "boss")


@pytest.mark.usefixtures("boss")
async def test_a_supervisor_sees_every_target_against_its_figure(client: Client) -> None:
    page = await (await client.get("/targets")).text()
    parse(page)
    market = row_of(page, "集贸市场")
    assert '<td class="unmet"><strong>✖ 50%</strong><br><span class="muted">2 / 4<br>要求 ≥ 100%</span></td>' in market
    assert '<td class="met"><strong>✔ 50%</strong>' in market  # demonstration units: 1 of 2 ≥ 10 %
    assert '<td class="met"><strong>✔ 100%</strong>' in row_of(page, "加油机")
    assert '<td class="nodata">暂无数据<br><span class="muted">要求 ≥ 100%</span></td>' in row_of(page, "出租车计价器")
    assert "✖ 0%" in row_of(page, "投诉举报回复率")  # this year's one complaint has no reply yet
    assert page.count("<svg") >= 37  # a trend for every computed target
    assert f'<th scope="col">{NORTH}</th>' in page
    assert "专项监督检查次数" in page
    assert "未填报" in page
    north = re.search(rf'<option value="(\d+)">{NORTH}</option>', page)
    assert north is not None
    narrowed = await (await client.get("/targets", params={"period": "2026-11", "station": north[1]})).text()
    parse(narrowed)
    assert "各所对比" not in narrowed
    assert "✖ 75%" in row_of(narrowed, "全部服务单位")  # F-1, F-2, R-2 of 4
    for bad in ({"period": "2027"}, {"period": "2026-13"}, {"period": "十一月"}, {"station": "x"},
                {"station": "999"}):  # fmt: skip
        refused = await client.get("/targets", params=bad)
        assert refused.status == 400, bad
        assert "看不懂的期间或范围" in await refused.text()
    english = await (await client.get("/targets", params={"lang": "en"})).text()
    parse(english)
    assert "District targets" in english


@pytest.mark.usefixtures("boss")
async def test_figures_entered_by_hand_show_with_who_entered_them(client: Client) -> None:
    form = await (await client.get("/targets/manual", params={"period": "2026"})).text()
    parse(form)
    bad = await client.post("/targets/manual?period=2026", data={"csrf": csrf_of(form), "results_posted": "很多"})
    assert bad.status == 400
    assert "“公示器具检定结果的服务单位比率”的值看不懂" in await bad.text()
    saved = await client.post(
        "/targets/manual?period=2026",
        data={
            "csrf": csrf_of(form),
            "special_inspections": "5",
            "special_inspections.note": "中秋、国庆、元旦、春节、315",
            "results_posted": "85%",
        },
        allow_redirects=False,
    )
    assert saved.status == 303
    page = await (await client.get("/targets")).text()
    assert '<td class="met"><strong>✔ 5</strong></td><td>boss · 2026-11-23' in row_of(page, "专项监督检查次数")
    assert "✖ 85%" in row_of(page, "公示器具检定结果的服务单位比率")
    again = await (await client.get("/targets/manual", params={"period": "2026"})).text()
    assert 'value="85%"' in again


@pytest.mark.usefixtures("boss")
async def test_the_workbook_has_the_target_tables_columns_and_each_stations_figures(client: Client) -> None:
    await client.post(
        "/targets/manual?period=2026",
        data={"csrf": csrf_of(await (await client.get("/targets/manual")).text()), "public_standards": "219"},
    )
    response = await client.get("/targets.xlsx")
    assert response.status == 200
    sheet = load_workbook(io.BytesIO(await response.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "计量惠民目标完成情况"
    assert rows[2] == (*HEADINGS, NORTH, SOUTH, "说明")
    by_label = {row[3] + "|" + row[2]: row for row in rows[3:]}
    market = next(row for key, row in by_label.items() if key.startswith("集贸市场|集贸市场计价秤……检定率"))
    assert market[:8] == ("服务单位落实主体责任", "依法检定", "集贸市场计价秤……检定率100%", "集贸市场", "≥ 100%",
                          "50%", "2/4", "未达标")  # fmt: skip
    assert market[8:10] == ("—", "50%")  # 北门 has no market scale
    standards = next(row for row in rows[3:] if row[2] == "2022年9月底前建立219个社会公用标准。")
    assert standards[4:8] == ("≥ 219", "219", None, "达标")
    assert standards[-1].startswith("手工填报：boss 2026-11-23")


async def test_the_district_page_is_public_and_names_no_station(client: Client, engine: AsyncEngine) -> None:
    await seed_district(engine)
    page = await (await client.get("/district")).text()
    parse(page)
    assert "本区计量惠民目标 · 2026 年" in page
    assert '<td class="unmet"><strong>✖ 50%</strong>' in row_of(page, "集贸市场")
    for name in (NORTH, SOUTH, "张记水产"):
        assert name not in page
    english = await (await client.get("/district", params={"lang": "en", "year": "2025"})).text()
    parse(english)
    assert "The district&#39;s targets · 2025" in english
