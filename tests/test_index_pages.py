"""The integrity index over HTTP: areas from the command line, values the service knows, an assessor's entries,
the public ranking and the printable sheet."""

from __future__ import annotations

from typing import Any

import html5lib
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in
from web.auth.models import StaffRole
from web.cli.main import main

Client = TestClient[Any, Any]


def parse(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)


@pytest.fixture
def area(monkeypatch: pytest.MonkeyPatch, database_url: str, codes: dict[str, str]) -> None:
    """南门街区 (a street, id 1) and 南门古街景区 (a scenic area, id 2), both made of 南门农贸市场 and its six
    instruments: valid, expiring, expired, failed, unverified and suspended; a fair scale; a commitment."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FAIRWEIGH_SECRET", "index-test-secret-" + "z" * 32)
    argv = ["index", "area", "南门街区", "--kind", "street", "--district", "鼓楼区", "--market", "南门农贸市场"]
    assert main(argv) == 0
    assert main([*argv[:3], "--kind", "street", "--market", "没有这个市场"]) == 2
    assert main(["index", "area", "南门古街景区", "--kind", "scenic", "--market", "南门农贸市场"]) == 0


OFFICIAL_COLUMNS = ("项目", "对象", "序号", "检查内容", "考评标准", "分值", "得分")


@pytest.mark.usefixtures("area")
async def test_each_area_is_scored_by_the_official_sheet_of_its_kind(client: Client) -> None:
    # Street, counted by the service: 2 of 6 instruments may be trusted (10 × 2/6 = 3.33), 5 of 6 records complete
    # (the unverified one lacks its verification: 5 × 5/6 = 4.17 and 4 × 5/6 = 3.33), the merchant's commitment is
    # in force (4); no visit (0 of 6 points for the volunteers' activity), no monitoring point, no inspection.
    ranking = await (await client.get("/index")).text()
    parse(ranking)
    assert "<strong>14.83</strong>" in ranking
    assert "18 项待评" in ranking  # 14 assessor's items, and 4 measured ones with nothing to measure this year
    street = await (await client.get("/index/1")).text()
    parse(street)
    assert "重点街区诚信计量指数" in street
    assert all(f'<th scope="col">{column}</th>' in street for column in OFFICIAL_COLUMNS)
    assert '<th scope="rowgroup" rowspan="20">基础项目</th>' in street
    assert '<td rowspan="6">放心计量</td>' in street  # 序号 9's six standards under one heading
    assert "本服务统计：33.3 %" in street
    assert "基本 14.83 + 加分 0.00 − 扣分 0.00" in street

    # Scenic: the same market by the scenic sheet. 5 of 6 records complete (3 × 5/6 = 2.5), three instruments out
    # of their period (6 − 3 × 2 = 0), the fair scale (2), the commitment (3).
    scenic = await (await client.get("/index/2")).text()
    parse(scenic)
    assert "重点景区诚信计量指数" in scenic
    assert '<th scope="rowgroup" rowspan="31">基本项</th>' in scenic
    assert "景区使用的计量器具100%在有效检定期内。每发现1台件脱离检定周期扣2分。" in scenic
    assert "本服务统计：3 · 在用器具中已过期、检定不合格或无检定记录的台数" in scenic
    assert "基本 7.50 + 加分 0.00 − 扣分 0.00" in scenic
    english = await (await client.get("/index/2", params={"lang": "en"})).text()
    parse(english)
    assert all(f'<th scope="col">{column}</th>' in english for column in ("Section", "Standard", "Points", "Score"))


@pytest.mark.usefixtures("area")
async def test_a_supervisor_enters_what_the_service_cannot_count(client: Client, engine: AsyncEngine) -> None:
    await add_staff(engine, "boss", StaffRole.supervisor)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    assert (await client.get("/index/1/assess")).status == 403
    client.session.cookie_jar.clear()
    await sign_in(client, "boss")
    form = await (await client.get("/index/1/assess")).text()
    parse(form)
    assert 'name="pass_rate"' not in form  # counted by the service
    assert 'name="disputes_handled"' in form  # measured, but no complaint was decided this year
    entries = {"rules_published": "1", "staff_trained": "96%", "complaint_phone": "1", "disputes_handled": "90%",
               "media": "2"}  # fmt: skip
    bad = await client.post("/index/1/assess", data={"csrf": csrf_of(form), **entries, "staff_trained": "很多"})
    assert bad.status == 400
    assert "街区内商家工作人员接受计量培训的比例达95%以上。”的值看不懂" in await bad.text()
    tiny = {"csrf": csrf_of(form), **entries, "compensation_fund": "1e-999999"}  # zero, however written
    assert (await client.post("/index/1/assess", data=tiny, allow_redirects=False)).status == 303
    saved = await client.post("/index/1/assess", data={"csrf": csrf_of(form), **entries}, allow_redirects=False)
    assert saved.status == 303

    # Basic 14.83 + 5 + 5 (96 % ≥ 95 %) + 5 + 4.5 (5 × 90 %) = 34.33; bonus 2 × 2 = 4.
    sheet = await (await client.get("/index/1")).text()
    parse(sheet)
    assert "基本 34.33 + 加分 4.00 − 扣分 0.00" in sheet
    assert "<strong>38.33</strong>" in sheet
    assert "评价人员录入：90.0 %" in sheet
    english = await (await client.get("/index", params={"lang": "en"})).text()
    parse(english)
    assert "Measurement integrity index" in english
    assert (await client.get("/index/99")).status == 404
