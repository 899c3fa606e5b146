"""A story that already says where, when and how much is not asked for them again: over the WeChat webhook (plain
and safe mode) with the registry in the database, and the word lists' examples (bot/understanding/facts.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.understanding.facts import amounts_in, place_in, when_in
from tests.fake_wechat import push, say
from tests.support import STATUS_ROWS, seed

ONE_MESSAGE = "今天上午在南门农贸市场张记水产买鲈鱼 付了56块 说是2斤 回家称只有1斤7两 要退钱"


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("今天上午在菜场买的", "今天上午"),
        ("昨天下午三点", "昨天下午三点"),  # the hour in Chinese numerals too
        ("上周五 买的牛肉", "上周五"),
        ("11月20号下午3点多", "11月20号下午3点多"),
        ("bought it this morning", "this morning"),
        ("paid 30 yuan yesterday afternoon", "yesterday afternoon"),  # the part of the day is kept with the day
        ("秤不准 少了二两", ""),
        ("昨天在12号摊买的", "昨天"),  # a stall's number is not a date
        ("东街菜市场 卖猪肉的 15号 刚才", "刚才"),  # nor is the number after a stall's trade or a market
        ("东街市场15号 昨天", "昨天"),
        ("15号买的 到现在才发现", "15号"),
        ("昨天 15号", "昨天 15号"),
        ("在鼓楼石化加的92号 油箱50升", ""),  # petrol grades
        ("加了95号汽油 今天", "今天"),
        ("加了30号柴油", ""),
        ("上週五下午買的", "上周五下午"),  # traditional characters, kept in simplified ones
        ("前几天在菜场", "前几天"),
        ("三天前买的", "三天前"),
        ("今天中午十二点", "今天中午十二点"),
        ("半小时前买的", "半小时前"),  # hours and minutes ago
        ("两个钟头以前", "两个钟头以前"),
        ("10分钟前在12号摊", "10分钟前"),
        ("昨儿个下午", "昨儿个下午"),  # as the north says 昨天
        ("bought it half an hour ago", "half an hour ago"),
        ("重量：1.00kg 金额：28.00 东街菜市场3号摊 2026-12-06 09:12", "2026-12-06 09:12"),  # a receipt's date
        ("my water bill doubled this month", "this month"),
        ("bought it three days ago", "three days ago"),
        ("just now at the market", "just now"),
        ("我儿子买的", ""),
    ],
)
def test_time_words_are_found_as_written(text: str, when: str) -> None:
    assert when_in(text) == when


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("加油站加油不足 中石化人民路加油站 加了300块钱的油", "中石化人民路加油站"),
        ("昨天在永辉超市买的牛肉少了", "永辉超市"),
        ("十斤大米只有九斤二两 超市是永辉 昨天", "永辉超市"),  # the kind first, then its name
        ("昨晚在鼓楼中石化加了50升油", "鼓楼中石化"),  # a fuel brand is how a station is named
        ("在中石化加的油", ""),  # but the brand alone is not which station
        ("那个店叫老王水果", "老王水果店"),
        ("那个市场叫东街菜市场", "东街菜市场"),
        ("这家店是卖肉的", ""),  # what it sells, not its name
        ("超市是新开的", ""),
        ("今天上午城西菜市场买菜", "城西菜市场"),  # the day before it is not part of the name
        ("海鲜市场买螃蟹", ""),  # a kind of market, not which one
        ("在农贸市场里买的", ""),
        ("那家店太黑了", ""),
        ("不知道哪个市场", ""),  # a "don't know" or "which one", never a place
        ("忘记是什么超市了", ""),
        ("卖猪肉的摊 秤不准", ""),
        ("我去药店抓药", ""),
        ("老板的秤有问题", ""),
        ("bought fish at Yonghui Supermarket, it was short", "Yonghui Supermarket"),
        ("the gas station on Renmin Road gave me less", "gas station on Renmin Road"),
        ("I went to the supermarket", ""),  # which one is not said
        ("The fuel pump at Sinopec on Renmin Road gave me less fuel", "Sinopec on Renmin Road"),  # brand and where
        ("Shell gave me less fuel", ""),  # the brand alone is not which station
        ("出租车打表太快了 车牌闽A12345", "闽A12345"),  # a taxi is named by its plate
        ("坐的粤b·d12345 打表跳得快", "粤B·D12345"),
        ("投诉城西菜市场 卖肉的少了二两", "城西菜市场"),  # a headline's verb is no part of the name
    ],
)
def test_a_place_the_registry_does_not_know_is_found_as_written(text: str, place: str) -> None:
    assert place_in(text) == place


@pytest.mark.parametrize(
    ("text", "amounts"),
    [
        ("付了56块 2斤 回家称只有1斤7两", "付了56块 2斤 1斤7两"),
        ("称了二斤三两 到家只有一斤八两", "二斤三两 一斤八两"),
        ("5kg 付了400 回家称4.3kg", "5kg 付了400 4.3kg"),
        ("paid 40 yuan for 1kg, got 800g", "1kg 800g 40 yuan"),
        ("老板的秤有问题", ""),
        ("買了三斤蝦 少了二兩", "三斤 少了二两"),  # traditional characters, kept in simplified ones
        ("老板少给了二两", "少给了二两"),  # the short or over word says what the amount is
        ("多收了5块", "多收了5块"),
        ("paid 60, got home and it was only 1.6 jin", "paid 60 1.6 jin"),
        ("the scale at stall 5 looks rigged", ""),  # no 5 litres in "5 looks"
        ("他用的是八两秤", ""),  # a rigged scale's nickname, not eight liang
        ("my water bill is 40 tons this month instead of 20", "40 tons"),
        ("南门菜厂买肉少了2俩", "少了2俩"),  # 两 typed by its sound
        ("我们俩去买的菜", ""),  # no number before it: 俩 is "the two of us"
    ],
)
def test_money_and_quantities_are_found_as_written(text: str, amounts: str) -> None:
    assert amounts_in(text) == amounts


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_a_story_with_place_time_and_amounts_is_not_asked_for_them(
    wx: TestClient[Any, Any], engine: AsyncEngine, safe: bool
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    shopper = push(safe=safe)
    await say(wx, shopper, shopper.text(ONE_MESSAGE))
    status, understood = await say(wx, shopper, shopper.text("说完了"))
    assert status == 200
    assert "已从您的话里记下" in understood
    assert "张记水产" in understood
    assert "今天上午" in understood
    assert "付了56块" in understood
    # The next question is the photo, not the stall, the time or the amounts.
    assert "照片" in understood
    for question in ("哪个摊位", "什么时候", "付了多少钱"):
        assert question not in understood
    async with engine.connect() as connection:
        draft = (await connection.execute(sa.text("SELECT draft FROM dialogue_state"))).scalar_one()
    draft = draft if isinstance(draft, dict) else json.loads(draft)
    assert (draft["place"], draft["when"]) == ("张记水产", "今天上午")


async def test_a_story_without_them_is_still_asked(wx: TestClient[Any, Any], engine: AsyncEngine) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    shopper = push()
    await say(wx, shopper, shopper.text("买肉的时候秤不准，老板少给了，我要退钱"))
    status, understood = await say(wx, shopper, shopper.text("说完了"))
    assert status == 200
    assert "已从您的话里记下" not in understood
    assert "哪个摊位" in understood


async def test_a_taxis_plate_in_the_story_is_which_taxi_and_not_asked(
    wx: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    shopper = push()
    await say(wx, shopper, shopper.text("出租车打表太快了 车牌闽A12345 今天晚上 平时30块 今天打了55 要退钱"))
    _, understood = await say(wx, shopper, shopper.text("说完了"))
    assert "地点 闽A12345" in understood
    assert "是哪辆车" not in understood


async def _at_place_question(wx: TestClient[Any, Any], shopper: Any) -> None:
    await say(wx, shopper, shopper.text("买肉的时候秤不准，老板少给了，我要退钱"))
    _, asked = await say(wx, shopper, shopper.text("说完了"))
    assert "哪个摊位" in asked


async def _draft(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        draft = (await connection.execute(sa.text("SELECT draft FROM dialogue_state"))).scalar_one()
    return draft if isinstance(draft, dict) else json.loads(draft)


@pytest.mark.parametrize(
    ("safe", "said", "place"),
    [
        (False, "在南门那边 5号摊", "南门农贸市场 5号摊"),
        (True, "南门", "南门农贸市场"),
        (False, "at 南门, stall 5", "南门农贸市场 stall 5"),
        (False, "张记那家", "张记水产"),  # no market begins so: the one merchant that does
    ],
    ids=["plain", "aes", "latin-around", "merchant"],
)
async def test_a_market_answered_by_its_first_words_is_taken_and_shown(
    wx: TestClient[Any, Any], engine: AsyncEngine, safe: bool, said: str, place: str
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    shopper = push(safe=safe)
    await _at_place_question(wx, shopper)
    _, taken = await say(wx, shopper, shopper.text(said))
    assert f"按您说的「{said}」，地点记为：{place}。" in taken
    assert "什么时候" in taken  # on to the next question
    assert (await _draft(engine))["place"] == place


async def test_first_words_two_markets_share_are_kept_as_written(wx: TestClient[Any, Any], engine: AsyncEngine) -> None:
    other = replace(STATUS_ROWS["valid"], market="南门水产市场", serial_no="SEA-1")
    await seed(engine, STATUS_ROWS["valid"], other)
    shopper = push()
    await _at_place_question(wx, shopper)
    _, taken = await say(wx, shopper, shopper.text("南门"))
    assert "地点记为" not in taken  # 南门农贸市场 or 南门水产市场: not guessed
    assert (await _draft(engine))["place"] == "南门"


async def test_a_bare_number_at_the_time_question_is_not_a_time(wx: TestClient[Any, Any], engine: AsyncEngine) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    shopper = push()
    await _at_place_question(wx, shopper)
    await say(wx, shopper, shopper.text("南门农贸市场5号摊"))
    _, asked = await say(wx, shopper, shopper.text("2"))
    assert "「2」是指哪一天" in asked
    assert "什么时候" in asked  # the question stands
    assert (await _draft(engine))["when"] == ""
    _, moved_on = await say(wx, shopper, shopper.text("2号下午"))
    assert (await _draft(engine))["when"] == "2号下午"
    assert "什么时候" not in moved_on


@pytest.mark.parametrize(
    ("story", "where", "photos"),
    [
        ("家里电表这个月走了800度 平时才200 要求供电所退钱", "是哪里的表？请写小区和门牌号", "表的读数、账单"),
        ("那个加油站加了300块的油 油表才走了一小格 要退钱", "是哪个加油站", "加油小票、加油机的屏幕"),
        ("买肉的时候秤不准，老板少给了，我要退钱", "是哪家店、哪个摊位", "小票、秤的读数"),
        ("买的桶装花生油标5升 倒出来只有4.6升 要退钱", "在哪里买的？请写店名", "包装上的净含量"),
    ],
    ids=["household meter", "fuel pump", "market scale", "prepackaged goods"],
)
async def test_the_questions_speak_of_the_instrument_the_story_is_about(
    wx: TestClient[Any, Any], engine: AsyncEngine, story: str, where: str, photos: str
) -> None:
    shopper = push()
    await say(wx, shopper, shopper.text(story))
    _, asked = await say(wx, shopper, shopper.text("说完了"))
    assert where in asked  # a household meter is no shop's stall
    for _ in range(3):  # the time and, for a pump or a scale, the amounts, skipped
        if "有照片吗" in asked:
            break
        _, asked = await say(wx, shopper, shopper.text("跳过"))
    assert photos in asked  # a pump shows no scale's reading


@pytest.mark.parametrize(
    ("story", "done", "taken"),
    [
        ("the pork seller at 南门 gave me 300g less this morning, I want a refund", "done", "place 南门农贸市场"),
        ("在南门那边买的带鱼 少了二两 要退钱", "好了", "地点 南门农贸市场"),
    ],
)
async def test_the_first_words_of_a_market_said_as_the_place_in_the_story_are_that_market(
    wx: TestClient[Any, Any], engine: AsyncEngine, story: str, done: str, taken: str
) -> None:
    await seed(engine, STATUS_ROWS["valid"])  # 南门农贸市场
    shopper = push()
    await say(wx, shopper, shopper.text(story))
    _, said = await say(wx, shopper, shopper.text(done))
    assert taken in said
    assert "Which shop" not in said
    assert "哪家店" not in said
    assert (await _draft(engine))["place"] == "南门农贸市场"


@pytest.mark.parametrize(
    ("story", "place"),
    [
        ("在南门农贸市场3号摊位买的虾 少了二两 要退钱", "南门农贸市场 3号摊位"),
        ("南门农贸市场12号摊的秤有问题 少了二两 要退钱", "南门农贸市场 12号摊"),
        ("南门农贸市场 2斤虾少了二两 要退钱", "南门农贸市场"),  # a quantity is no stall
    ],
)
async def test_the_stall_said_after_the_market_goes_with_the_place(
    wx: TestClient[Any, Any], engine: AsyncEngine, story: str, place: str
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    shopper = push()
    await say(wx, shopper, shopper.text(story))
    await say(wx, shopper, shopper.text("好了"))
    assert (await _draft(engine))["place"] == place
