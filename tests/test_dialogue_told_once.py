"""What a story tells is taken where it is told: a name and phone in a clause of their own in the middle of a message
(「…少了二两，我叫王芳，电话138…，要求退钱」) are the contact — never asked again, never in the words the case
carries — and words that ask nothing are never filed as a question, however sure the classifier's reading (「秤不准
南门菜场 早上」 is asked 投诉 or 举报). Over the real webhooks (Telegram; WeChat plain and safe mode) and the
database."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import push, say
from tests.support import STATUS_ROWS, rows, seed
from tests.telegram_support import Shopper

Client = TestClient[Any, Any]
SIGNED_MID = "我在南门菜场3号摊买的肉少了二两，我叫王芳，电话13800138000，要求退钱"


async def test_a_contact_in_the_middle_of_a_story_message_is_taken_and_not_asked_again(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    noted = await shopper.say(SIGNED_MID)
    assert "王芳 138****8000" in noted
    await shopper.say("好了")
    await shopper.say("今天上午")
    summary = await shopper.tap("skip")  # no photos: the summary, with no name or phone asked
    assert "请核对" in summary
    assert "说明：我在南门菜场3号摊买的肉少了二两，要求退钱\n" in summary
    assert "姓名：王芳" in summary
    await shopper.tap("submit")
    [case] = await rows(engine, "SELECT text FROM complaint")
    assert "13800138000" not in case.text
    [contact] = await rows(engine, "SELECT name, phone FROM complaintcontact")
    assert (contact.name, contact.phone) == ("王芳", "13800138000")


@pytest.mark.parametrize("safe", [False, True])
async def test_a_contact_with_a_spaced_number_mid_message_over_wechat(
    wx: Client, engine: AsyncEngine, safe: bool
) -> None:
    follower = push(safe=safe)
    _, noted = await say(wx, follower, follower.text("南门菜场少了二两 我叫刘强 电话139 0000 1111 麻烦处理一下"))
    assert "刘强 139****1111" in noted
    [row] = await rows(engine, "SELECT draft FROM dialogue_state")
    draft = json.loads(row.draft) if isinstance(row.draft, str) else row.draft
    assert draft["texts"] == ["南门菜场少了二两，麻烦处理一下"]  # the story, without the number
    assert draft["phone"] == "13900001111"


async def test_someone_elses_number_in_the_story_stays_story(shopper: Shopper, engine: AsyncEngine) -> None:
    noted = await shopper.say("南门菜场少了二两 老板电话13800138000，他不接")
    assert "138****8000" not in noted


async def test_words_that_ask_nothing_are_asked_投诉_or_举报_not_filed_as_a_question(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    for said in ("秤不准", "南门菜场", "早上"):  # read as an inquiry at 0.76 (the words ask nothing)
        await shopper.say(said)
    understood = await shopper.say("好了")
    assert "您希望怎样处理" in understood
    assert "已收到" not in understood
    assert await rows(engine, "SELECT id FROM complaint") == []


@pytest.mark.parametrize(
    ("told", "place"),
    [("就在你们南门那个菜场 买肉少了", "南门农贸市场"), ("在东街那个市场买的鱼少了", "东街菜市场")],
)
async def test_a_market_said_by_its_first_words_with_那个_in_the_story_is_taken(
    wx: Client, engine: AsyncEngine, told: str, place: str
) -> None:
    await seed(engine, STATUS_ROWS["valid"], replace(STATUS_ROWS["valid"], market="东街菜市场", serial_no="DJ-1"))
    follower = push()
    await say(wx, follower, follower.text(told))
    _, understood = await say(wx, follower, follower.text("好了"))
    assert f"地点 {place}" in understood


@pytest.mark.parametrize("no_photo", ["没有照片", "没拍照"])
async def test_no_photo_said_in_the_story_is_not_asked_again(shopper: Shopper, no_photo: str) -> None:
    await shopper.say("南门菜场卖肉的少我二两 今天早上的事 要他退钱")
    await shopper.say("王芳 13800138000")
    assert "记下了" not in await shopper.say(no_photo)  # never words of the story
    summary = await shopper.say("提交")
    assert "有照片吗" not in summary
    assert "请核对" in summary


async def test_a_market_said_at_the_end_of_a_clause_by_its_first_words_is_taken(
    wx: Client, engine: AsyncEngine
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    follower = push(safe=True)
    await say(wx, follower, follower.text("我买了2斤瓜子，只有1斤8两"))
    await say(wx, follower, follower.text("在哪买的呢？在南门"))
    _, understood = await say(wx, follower, follower.text("好了"))
    assert "地点 南门农贸市场" in understood


async def test_the_summary_says_投诉_when_the_words_settled_it(shopper: Shopper) -> None:
    understood = await shopper.say("南门菜场买肉少了二两 要退钱")
    assert "您希望怎样处理" not in understood  # 要退钱 settles it: not asked
    await shopper.say("好了")
    await shopper.say("昨天")
    await shopper.tap("skip")  # no photos
    summary = await shopper.say("王芳 13800138000")
    assert "类型：投诉" in summary  # what is sent, and why the name and phone are needed
