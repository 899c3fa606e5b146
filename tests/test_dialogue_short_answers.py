"""Short answers a shopper gives to the question they think is asked, and questions about the channel itself.

- 「有」「拍了」「等一下 我找找」 at the photo question: a photo is coming (never words of the story);
  「没找到」 then means none.
- 「有」 or 「对」 at the time or place question: no answer, never stored as one.
- 「转人工」「你是机器人吗」: who reads the words, and 12315 for a person now.
- 「少秤」 is a loss told, heard as a story even with 「怎么办」.
- A market named straight after the fair-scale answer that asked for it: that market's fair scale.

Over the real webhooks (Telegram; WeChat plain and safe mode) and the database."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import push, say
from tests.support import STATUS_ROWS, seed
from tests.telegram_support import Shopper

Client = TestClient[Any, Any]
TOLD = "南门菜场买肉少了二两 要退钱"


async def _draft(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        draft = (await connection.execute(sa.text("SELECT draft FROM dialogue_state"))).scalar_one()
    return dict(json.loads(draft) if isinstance(draft, str) else draft)


async def _cases(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(sa.text("SELECT intent, text FROM complaint ORDER BY id")))


async def _at_photos(shopper: Shopper) -> None:
    await shopper.say(TOLD)
    await shopper.say("好了")
    assert "有照片吗" in await shopper.say("今天上午")


@pytest.mark.parametrize("said", ["有", "拍了", "有小票", "等一下 我找找", "好的 马上发"])
async def test_a_yes_at_the_photo_question_asks_for_the_photo_and_is_no_story(
    shopper: Shopper, engine: AsyncEngine, said: str
) -> None:
    await _at_photos(shopper)
    answer = await shopper.say(said)
    assert "请现在发照片" in answer
    assert "记下了" not in answer
    assert shopper.keyboard() == ["skip"]  # 没有照片 still ends the question
    assert (await _draft(engine))["texts"] == [TOLD]
    assert "照片收到了（第 1 张）" in await shopper.photo("photo-1")
    assert "称呼" in await shopper.say("好了")  # the photos are done: the contact is asked for


async def test_a_yes_in_english_at_the_photo_question_asks_for_it_in_english(shopper: Shopper) -> None:
    await shopper.say("bought pork at 南门菜场, 200g short, I want a refund")
    await shopper.say("done")
    await shopper.say("this morning")
    assert "send the photos now" in await shopper.say("yes I have one")


async def test_none_found_after_looking_for_a_photo_is_a_no(shopper: Shopper, engine: AsyncEngine) -> None:
    await _at_photos(shopper)
    await shopper.say("等一下 我找找")
    answer = await shopper.say("没找到")
    assert "称呼" in answer  # the photo question is answered: none
    assert "记下了" not in answer
    assert (await _draft(engine))["texts"] == [TOLD]


@pytest.mark.parametrize("said", ["有", "有小票"])
async def test_a_yes_at_the_time_question_is_no_time(shopper: Shopper, engine: AsyncEngine, said: str) -> None:
    await shopper.say(TOLD)
    assert "什么时候" in await shopper.say("好了")
    answer = await shopper.say(said)
    assert "请直接写出答案" in answer
    assert "什么时候" in answer.rsplit("\n", 1)[-1]  # the question stands
    assert (await _draft(engine))["when"] == ""
    await shopper.say("今天上午")
    await shopper.tap("skip")  # no photos
    summary = await shopper.say("王芳 13800138000")
    assert "时间：今天上午" in summary


async def test_a_yes_at_the_place_question_over_wechat_is_no_place(wx: Client, engine: AsyncEngine) -> None:
    follower = push(safe=True)
    await say(wx, follower, follower.text("我要投诉"))
    await say(wx, follower, follower.text("买肉少了二两"))
    _, asked = await say(wx, follower, follower.text("好了"))
    assert "哪家店" in asked
    _, answer = await say(wx, follower, follower.text("有"))
    assert "请直接写出答案" in answer
    assert "哪家店" in answer
    assert (await _draft(engine))["place"] == ""


@pytest.mark.parametrize("asked", ["转人工客服", "我要找人工", "你是机器人吗", "有没有真人", "are you a bot?"])
async def test_asking_for_a_person_is_told_who_reads_it_and_makes_no_case(
    shopper: Shopper, engine: AsyncEngine, asked: str
) -> None:
    answer = await shopper.say(asked)
    assert "12315" in answer
    assert "工作人员" in answer or "staff" in answer
    assert "记下了" not in answer
    assert "Noted" not in answer
    assert await _cases(engine) == []


async def test_asking_for_a_person_mid_story_over_wechat_is_answered_and_the_story_waits(
    wx: Client, engine: AsyncEngine
) -> None:
    follower = push()
    await say(wx, follower, follower.text(TOLD))
    _, answer = await say(wx, follower, follower.text("人工"))
    assert "拨打 12315" in answer
    assert "请接着说" in answer
    assert (await _draft(engine))["texts"] == [TOLD]


async def test_a_complaint_about_the_staff_is_a_story_not_a_request_for_a_person(shopper: Shopper) -> None:
    assert "记下了" in await shopper.say("南门菜场的客服态度差 少秤了也不认")


@pytest.mark.parametrize("told", ["我买的东西少秤了，怎么办", "菜市场缺秤了 怎么办啊"])
async def test_a_short_weighing_told_with_a_question_is_heard_as_a_story(
    shopper: Shopper, engine: AsyncEngine, told: str
) -> None:
    answer = await shopper.say(told)
    assert "记下了" in answer
    assert "已收到" not in answer  # not filed at once as a question with no answer
    assert await _cases(engine) == []


@pytest.mark.parametrize("named", ["南门农贸市场", "就是南门农贸市场"])
async def test_a_market_named_after_the_fair_scale_answer_asked_for_it_gets_its_fair_scale(
    shopper: Shopper, engine: AsyncEngine, named: str
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE market SET fair_scale_location = '东门管理处旁'"))
    general = await shopper.say("市场里有没有公平秤")
    assert "告诉我市场名称" in general
    answer = await shopper.say(named)
    assert "南门农贸市场的公平秤在：东门管理处旁。复秤免费。" in answer
    assert "记下了" not in answer
    assert len(await _cases(engine)) == 1  # the question's own case: the market's name adds none
    assert "记下了" in await shopper.say("南门农贸市场")  # said again, it starts a story as ever


async def test_a_story_after_the_fair_scale_answer_is_a_story_though_it_names_a_market(
    wx: Client, engine: AsyncEngine
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    follower = push()
    await say(wx, follower, follower.text("公平秤在哪"))
    _, answer = await say(wx, follower, follower.text("我在南门农贸市场买肉少了二两"))
    assert "记下了" in answer
    assert (await _draft(engine))["texts"] == ["我在南门农贸市场买肉少了二两"]


async def test_a_photo_sent_after_saying_one_is_coming_joins_the_case(shopper: Shopper, engine: AsyncEngine) -> None:
    await _at_photos(shopper)
    await shopper.say("拍了")
    await shopper.photo("photo-1")
    await shopper.say("好了")
    summary = await shopper.say("王芳 13800138000")
    assert "照片：1 张" in summary
    assert "已收到" in await shopper.say("提交")
    [case] = await _cases(engine)
    assert "拍了" not in case.text


async def test_a_bare_surname_sent_ahead_at_the_photo_question_is_the_name(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await _at_photos(shopper)
    answer = await shopper.say("张")
    assert "记下了您的联系方式：张" in answer
    assert "有照片吗" in answer  # the question stands
    assert (await _draft(engine))["texts"] == [TOLD]  # never words of the story
    await shopper.tap("skip")
    summary = await shopper.say("13800138000")  # only the phone is asked for
    assert "姓名：张" in summary


async def test_a_fuel_brands_station_told_alone_is_the_place(wx: Client, engine: AsyncEngine) -> None:
    follower = push()
    await say(wx, follower, follower.text("我想投诉一个加油站"))
    await say(wx, follower, follower.text("中石化城西站"))
    _, understood = await say(wx, follower, follower.text("好了"))
    assert "地点 中石化城西站" in understood
    assert "是哪个加油站" not in understood  # not asked again


SCOPE_ASKED = ["你们管不管缺斤少两的", "缺斤少两可以投诉吗", "投诉有用吗", "秤不准归你们管吗", "can I complain here?"]


@pytest.mark.parametrize("asked", SCOPE_ASKED)
async def test_whether_this_is_the_place_is_answered_and_is_no_story(
    shopper: Shopper, engine: AsyncEngine, asked: str
) -> None:
    answer = await shopper.say(asked)
    assert "这里就是反映这类事的地方" in answer or "This is the place" in answer
    assert "记下了" not in answer
    assert "已收到" not in answer  # no case for a handler to answer
    assert await _cases(engine) == []
    assert "记下了" in await shopper.say(TOLD)
    assert (await _draft(engine))["texts"] == [TOLD]  # the question is not the story's first words


async def test_a_place_named_with_the_question_is_not_lost(shopper: Shopper, engine: AsyncEngine) -> None:
    answer = await shopper.say("缺斤少两可以投诉吗 南门菜场少了二两")
    assert "记下了" in answer  # a story: its place and amounts are kept
    assert "这里就是反映这类事的地方" not in answer


async def test_whether_this_is_the_place_mid_story_over_wechat_is_answered_and_the_story_waits(
    wx: Client, engine: AsyncEngine
) -> None:
    follower = push(safe=True)
    await say(wx, follower, follower.text(TOLD))
    _, answer = await say(wx, follower, follower.text("你们管不管"))
    assert "这里就是反映这类事的地方" in answer
    assert (await _draft(engine))["texts"] == [TOLD]


async def test_urgency_alone_is_no_story(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say("在吗")
    assert "记下了" not in await shopper.say("急")
    await shopper.say(TOLD)
    assert (await _draft(engine))["texts"] == [TOLD]
