"""A shopper who does not know the market's name shares their location, in Telegram (WGS-84) or WeChat (GCJ-02),
on the demo district's registry: near a market, that market is the place and its station gets the case; far from
every market, the location is kept and the shopper is asked the market's name; at the greeting, the nearest
market's page answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint
from lookup.demo import seed_demo
from lookup.models import Market, table_of
from tests.fake_wechat import ANSWERS, REF, WeChatPush, push, say, wechat
from tests.support import NOW, TODAY
from tests.telegram_support import STORY, Shopper
from web.app import create_app
from web.settings import Settings

Client = TestClient[Any, Any]
# Where a phone's GPS puts a shopper standing at the demo's 南门农贸市场 (GCJ-02 26.0790, 119.2990): WGS-84, some
# 590 m from the market's stored point until converted.
AT_NANMEN_WGS84 = {"latitude": 26.08211, "longitude": 119.29420}
AT_XIHU_GCJ02 = {"Location_X": "26.09315", "Location_Y": "119.28930", "Scale": "16", "Label": "湖滨路31号附近"}
FAR_GCJ02 = {"Location_X": "26.12000", "Location_Y": "119.35000", "Scale": "15", "Label": "晋安区某小区门口"}


@pytest.fixture
async def demo(engine: AsyncEngine) -> dict[str, int]:
    await seed_demo(engine, today=TODAY, base_url="http://fairweigh.test")
    async with engine.connect() as connection:
        rows = await connection.execute(sa.select(table_of(Market).c.name, table_of(Market).c.id))
        return {str(row.name): int(row.id) for row in rows}


async def _case_text(engine: AsyncEngine, ref: str) -> str:
    async with engine.connect() as connection:
        found = await connection.execute(sa.select(table_of(Complaint).c.text).where(table_of(Complaint).c.ref == ref))
        return str(found.scalar_one())


async def test_telegram_location_at_the_place_question_routes_to_the_market_s_station(
    shopper: Shopper, demo: dict[str, int]
) -> None:
    await shopper.say(STORY)
    asked = await shopper.tap("done")
    assert "是哪家店" in asked

    said = await shopper.deliver(shopper.message(location=AT_NANMEN_WGS84))

    assert "地点记为：南门农贸市场（相距约 10 米）" in said
    assert "是什么时候" in said  # the next question: where is answered
    for _ in ("when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("王芳")
    summary = await shopper.say("13800138000")
    assert "南门农贸市场" in summary
    receipt = await shopper.tap("submit")
    assert "由南门市场监管所处理" in receipt


async def test_telegram_location_at_the_greeting_links_the_nearest_market_s_page(
    shopper: Shopper, demo: dict[str, int]
) -> None:
    said = await shopper.deliver(shopper.message(location=AT_NANMEN_WGS84))

    assert "离您最近的登记市场是南门农贸市场（约 10 米），由南门市场监管所管辖" in said
    assert "公平秤：市场东门管理处旁" in said
    assert shopper.keyboard() == [f"http://fairweigh.test/m/{demo['南门农贸市场']}"]
    page = await shopper.client.get(f"/m/{demo['南门农贸市场']}")
    assert page.status == 200
    assert "南门农贸市场" in await page.text()


async def test_telegram_story_after_a_location_at_the_greeting_happened_at_that_market(
    shopper: Shopper, demo: dict[str, int]
) -> None:
    await shopper.deliver(shopper.message(location=AT_NANMEN_WGS84))
    await shopper.say(STORY)  # names no market

    asked = await shopper.tap("done")

    assert "是哪家店" not in asked
    for _ in ("when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("王芳")
    summary = await shopper.say("13800138000")
    assert "南门农贸市场" in summary
    assert "由南门市场监管所处理" in await shopper.tap("submit")


async def test_wechat_story_naming_its_market_wins_over_a_location_shared_before(
    wx: Client, engine: AsyncEngine, demo: dict[str, int]
) -> None:
    follower = push()
    await say(wx, follower, follower.xml("location", **AT_XIHU_GCJ02))
    await say(wx, follower, follower.text("在南门农贸市场买了两斤虾，回家一称只有一斤六两，老板的秤有问题，要求退钱"))

    said = (await say(wx, follower, follower.text("说完了")))[1]

    assert "是哪家店" not in said
    ref = await _to_receipt(wx, follower, said)
    assert "地点：南门农贸市场" in await _case_text(engine, ref)


async def test_wechat_location_at_the_greeting_is_forgotten_after_a_day(
    aiohttp_client: Any, settings: Settings, demo: dict[str, int]
) -> None:
    now = [NOW]
    wx = await aiohttp_client(create_app(wechat(settings), clock=lambda: now[0]))
    follower = push()
    await say(wx, follower, follower.xml("location", **AT_XIHU_GCJ02))
    now[0] += timedelta(hours=25)
    follower.now = now[0].timestamp()  # the platform signs with the time it sends
    await say(wx, follower, follower.text("买了两斤虾，回家一称只有一斤六两，老板的秤有问题，要求退钱"))

    assert "是哪家店" in (await say(wx, follower, follower.text("说完了")))[1]


async def _to_receipt(wx: Client, follower: WeChatPush, said: str) -> str:
    """Answer each question as file_case does, then submit; the reference."""
    for _ in range(len(ANSWERS) + 1):
        if "回复「提交」「修改」「取消」" in said:
            break
        answer = next(answer for opening, answer in ANSWERS if opening in said.rsplit("\n\n", 1)[-1])
        said = (await say(wx, follower, follower.text(answer)))[1]
    said = (await say(wx, follower, follower.text("提交")))[1]
    found = REF.search(said)
    assert found is not None, said
    return found.group(0)


async def test_wechat_location_in_the_story_is_the_place_and_the_question_is_not_asked(
    wx: Client, engine: AsyncEngine, demo: dict[str, int]
) -> None:
    follower = push()
    await say(wx, follower, follower.text("买了两斤虾，回家一称只有一斤六两，老板的秤有问题，要求退钱"))

    said = (await say(wx, follower, follower.xml("location", **AT_XIHU_GCJ02)))[1]
    assert "地点记为：西湖水产市场" in said

    said = (await say(wx, follower, follower.text("说完了")))[1]
    assert "是哪家店" not in said
    ref = await _to_receipt(wx, follower, said)
    text = await _case_text(engine, ref)
    assert "地点：西湖水产市场" in text
    status = (await say(wx, follower, follower.text(f"进度 {ref}")))[1]
    assert "西湖市场监管所" in status


async def test_wechat_location_far_from_every_market_is_kept_and_the_market_s_name_asked(
    wx: Client, engine: AsyncEngine, demo: dict[str, int]
) -> None:
    follower = push()
    await say(wx, follower, follower.text("买了两斤虾，回家一称只有一斤六两，老板的秤有问题，要求退钱"))
    assert "是哪家店" in (await say(wx, follower, follower.text("说完了")))[1]

    said = (await say(wx, follower, follower.xml("location", **FAR_GCJ02)))[1]

    assert "附近 500 米内没有登记的市场" in said
    assert "晋安区某小区门口（26.12000,119.35000）" in said
    assert "是在哪个市场、哪家店" in said
    said = (await say(wx, follower, follower.text("东街菜市场 8号摊")))[1]
    assert "是什么时候" in said
    ref = await _to_receipt(wx, follower, said)
    text = await _case_text(engine, ref)
    assert "地点：东街菜市场 8号摊" in text
    assert "发送的位置：晋安区某小区门口（26.12000,119.35000）" in text  # kept for the handler


async def test_wechat_location_far_at_the_greeting_says_none_is_near(wx: Client, demo: dict[str, int]) -> None:
    follower = push()
    said = (await say(wx, follower, follower.xml("location", **FAR_GCJ02)))[1]
    assert said.startswith("您附近 500 米内没有登记的市场。")


async def test_telegram_location_at_the_summary_corrects_the_place(shopper: Shopper, demo: dict[str, int]) -> None:
    await shopper.say(STORY)
    await shopper.tap("done")
    await shopper.say("东街菜市场")
    for _ in ("when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("王芳")
    assert "东街菜市场" in await shopper.say("13800138000")

    summary = await shopper.deliver(shopper.message(location=AT_NANMEN_WGS84))

    assert "地点记为：南门农贸市场" in summary
    assert "提交" in summary  # the summary again, with the new place
    assert "由南门市场监管所处理" in await shopper.tap("submit")
