"""The market page (issue 15, item 7: stalls in natural order, grouped by merchant, counts by status, a filter that
works without JavaScript) and the red and black lists with their dates and reasons (item 6), on the demo district."""

from __future__ import annotations

import re
from typing import Any

import html5lib
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.demo import STANDINGS, seed_demo
from lookup.market import natural_key
from lookup.vocab import Standing
from tests.support import TODAY, ledger_row, make_uscc, seed
from tests.test_lookup_http import visible_text

Client = TestClient[Any, Any]


def test_stalls_sort_as_people_count_them() -> None:
    stalls = ["10号摊位", "", "2号摊位", "1号摊位", "A区3号", "A区12号", "20号摊位", "19号摊位"]
    assert sorted(stalls, key=natural_key) == [
        "1号摊位", "2号摊位", "10号摊位", "19号摊位", "20号摊位", "A区3号", "A区12号", "",
    ]  # fmt: skip


@pytest.fixture
async def market(engine: AsyncEngine) -> int:
    rows = [
        ledger_row(merchant=f"商户{n}", uscc=make_uscc(100 + n), stall=f"{n}号摊位", serial_no=f"SN{n:04d}")
        for n in (10, 2, 1, 11)
    ]
    rows.append(
        ledger_row(merchant="商户2", uscc=make_uscc(102), stall="2号摊位", serial_no="SN9002", verification=None)
    )
    await seed(engine, *rows)
    async with engine.connect() as connection:
        found: int = (await connection.execute(sa.text("SELECT id FROM market"))).scalar_one()
    return found


async def test_the_market_page_groups_by_stall_in_natural_order_with_counts(client: Client, market: int) -> None:
    page = await (await client.get(f"/m/{market}")).text()
    html5lib.HTMLParser(strict=True).parse(page)
    text = visible_text(page)
    order = [text.index(f"{n}号摊位 · 商户{n}") for n in (1, 2, 10, 11)]
    assert order == sorted(order)
    assert text.count("2号摊位 · 商户2") == 1  # one entry for the stall, both its instruments under it
    counts = dict(re.findall(r'<span class="pill \w+">([^<]+)</span> (\d+)</a>', page))
    assert counts == {"合格 · 在有效期内": "4", "无检定记录": "1"}
    assert f'href="/complain?market={market}"' in page


async def test_the_market_page_filters_by_words_and_status_without_javascript(client: Client, market: int) -> None:
    page = await (await client.get(f"/m/{market}", params={"q": "2号"})).text()
    text = visible_text(page)
    assert "2号摊位 · 商户2" in text
    assert "商户10" not in text
    assert "找到 1 个摊位" in text
    assert 'value="2号"' in page
    serial = visible_text(await (await client.get(f"/m/{market}", params={"q": "sn0011"})).text())
    assert "11号摊位 · 商户11" in serial
    assert "商户1 " not in serial
    red = visible_text(await (await client.get(f"/m/{market}", params={"status": "unverified"})).text())
    assert "2号摊位 · 商户2" in red
    assert "商户10" not in red
    english = await (await client.get(f"/m/{market}", params={"q": "nothing", "lang": "en"})).text()
    assert "0 stalls found" in english
    assert f'href="/m/{market}?lang=en"' in english  # show all again, in English
    ignored = await client.get(f"/m/{market}", params={"status": "nonsense"})
    assert ignored.status == 200
    assert "商户10" in await ignored.text()


async def test_the_demo_lists_show_a_date_and_a_reason_for_every_listed_merchant(
    client: Client, engine: AsyncEngine
) -> None:
    await seed_demo(engine, today=TODAY, base_url="http://demo.test")
    async with engine.connect() as connection:
        listed = (
            await connection.execute(
                sa.text("SELECT name, standing_since, standing_reason FROM merchant WHERE standing <> 'ordinary'")
            )
        ).all()
    assert len(listed) == len(STANDINGS)
    assert all(row.standing_since is not None and row.standing_reason for row in listed)
    page = await (await client.get("/lists")).text()
    html5lib.HTMLParser(strict=True).parse(page)
    text = visible_text(page)
    on_lists = [
        reason for standing, _, reason in STANDINGS.values() if standing in (Standing.red_list, Standing.black_list)
    ]
    for reason in on_lists:
        assert reason in text
    assert text.count("评定日期：") == sum(
        s in (Standing.red_list, Standing.black_list) for s, _, _ in STANDINGS.values()
    )
    assert "未登记" not in text
    english = visible_text(await (await client.get("/lists?lang=en")).text())
    assert "Listed on:" in english
    assert "Reason:" in english
