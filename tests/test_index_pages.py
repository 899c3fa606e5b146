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
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FAIRWEIGH_SECRET", "index-test-secret-" + "z" * 32)
    argv = ["index", "area", "南门街区", "--kind", "street", "--district", "鼓楼区", "--market", "南门农贸市场"]
    assert main(argv) == 0
    assert main([*argv[:3], "--kind", "street", "--market", "没有这个市场"]) == 2


@pytest.mark.usefixtures("area")
async def test_the_ranking_adds_what_the_service_knows_to_what_an_assessor_entered(
    client: Client, engine: AsyncEngine
) -> None:
    # Known: 2 of the market's 6 instruments may be trusted (20 × 2/6 = 6.67), instruments registered (10), a fair
    # scale in its one market (10); no complaint decided, no visit, no inspection. Five items await an assessor.
    ranking = await (await client.get("/index")).text()
    parse(ranking)
    assert "南门街区" in ranking
    assert "<strong>26.67</strong>" in ranking
    assert "5 项待评" in ranking

    await add_staff(engine, "boss", StaffRole.supervisor)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    assert (await client.get("/index/1/assess")).status == 403
    client.session.cookie_jar.clear()
    await sign_in(client, "boss")
    form = await (await client.get("/index/1/assess")).text()
    parse(form)
    entries = {"rules_published": "1", "staff_trained": "96%", "complaint_phone": "1", "compensation_fund": "0",
               "satisfaction_survey": "1"}  # fmt: skip
    bad = await client.post("/index/1/assess", data={"csrf": csrf_of(form), **entries, "staff_trained": "很多"})
    assert bad.status == 400
    assert "经营者计量知识培训率达到 95 % 以上”的值看不懂" in await bad.text()
    tiny = {"csrf": csrf_of(form), **entries, "compensation_fund": "1e-999999"}  # zero, however written
    assert (await client.post("/index/1/assess", data=tiny, allow_redirects=False)).status == 303
    saved = await client.post("/index/1/assess", data={"csrf": csrf_of(form), **entries}, allow_redirects=False)
    assert saved.status == 303

    # Basic 6.67 + 10 + 10 + 10 (96 % ≥ 95 %) + 0 + 5 + 10 = 51.67; bonus 0 + 5 + 0 = 5; no deductions.
    sheet = await (await client.get("/index/1")).text()
    parse(sheet)
    assert "基本 51.67 + 加分 5.00 − 扣分 0" in sheet
    assert "<strong>56.67</strong>" in sheet
    assert "33.3 %" in sheet  # the pass rate the service counted
    assert "暂无数据" in sheet  # no complaint decided in the area yet
    english = await (await client.get("/index", params={"lang": "en"})).text()
    parse(english)
    assert "Measurement integrity index" in english
    assert (await client.get("/index/99")).status == 404
