"""A correction at the summary changes the field it names ("时间错了 是上周五" → 时间：上周五) and the summary says
what changed; it is never appended to the shopper's account. Over the real webhooks (Telegram; WeChat plain and safe
mode) and the database."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation import Step
from bot.understanding.corrections import story_correction, swap_in
from tests.fake_wechat import ANSWERS, REF, WeChatPush, push, say
from tests.support import STATUS_ROWS, seed
from tests.telegram_support import Shopper

Client = TestClient[Any, Any]
TOLD = "昨天在东门菜市场12号摊买了2斤猪肉付了50块，回家一称只有1斤6两，我要求退钱"


async def case_text(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        [text] = (await connection.execute(sa.text("SELECT text FROM complaint"))).scalars().all()
    return str(text)


async def to_summary_on_telegram(shopper: Shopper) -> str:
    await shopper.say(TOLD)
    said = await shopper.tap("done")
    for _ in range(6):
        if "请核对" in said:
            return said
        said = await shopper.say("王芳") if "姓名" in said.rsplit("\n\n", 1)[-1] else await shopper.tap("skip")
        if "手机号" in said.rsplit("\n\n", 1)[-1] or "电话" in said.rsplit("\n\n", 1)[-1]:
            said = await shopper.say("13800138000")
    raise AssertionError(said)


async def to_summary_on_wechat(client: Client, follower: WeChatPush) -> str:
    await say(client, follower, follower.text(TOLD))
    _, said = await say(client, follower, follower.text("说完了"))
    for _ in range(len(ANSWERS)):
        if "回复「提交」「修改」「取消」" in said:
            return said
        answer = next(answer for opening, answer in ANSWERS if opening in said.rsplit("\n\n", 1)[-1])
        _, said = await say(client, follower, follower.text(answer))
    raise AssertionError(said)


async def test_a_time_corrected_at_the_summary_replaces_the_time_and_the_case_says_so(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    summary = await to_summary_on_telegram(shopper)
    assert "时间：昨天" in summary
    changed = await shopper.say("时间错了 是上周五")
    assert "已改正 · 时间：上周五" in changed
    assert "时间：上周五" in changed.rsplit("请核对", 1)[1]
    assert "时间：昨天" not in changed.rsplit("请核对", 1)[1]
    receipt = await shopper.tap("submit")
    assert "已收到" in receipt
    text = await case_text(engine)
    assert "时间：上周五" in text
    assert "时间错了" not in text  # not appended to the shopper's account


@pytest.mark.parametrize(
    ("said", "line"),
    [
        ("不是昨天 是前天", "时间：前天"),
        ("是前天 不是昨天", "时间：前天"),  # the new words first
        ("付的是55块不是50块", "金额和分量：2斤 付了55块 1斤6两"),
        ("不是50块，是55块", "金额和分量：2斤 付了55块 1斤6两"),
        ("钱写错了 是付了55", "金额和分量：付了55"),
    ],
)
async def test_not_this_but_that_changes_the_answer_that_held_it(
    shopper: Shopper, engine: AsyncEngine, said: str, line: str
) -> None:
    summary = await to_summary_on_telegram(shopper)
    assert "金额和分量：2斤 付了50块 1斤6两" in summary
    changed = await shopper.say(said)
    assert f"已改正 · {line}" in changed
    await shopper.tap("submit")
    text = await case_text(engine)
    assert line in text
    assert said not in text  # not appended to the shopper's account


async def test_a_corrected_place_is_routed_by_over_the_place_the_story_named(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    east = replace(STATUS_ROWS["valid"], station="东门市场监管所", market="东门菜市场", serial_no="EAST-1")
    await seed(engine, STATUS_ROWS["valid"], east)
    summary = await to_summary_on_telegram(shopper)
    assert "地点：东门菜市场" in summary  # taken from the story
    changed = await shopper.say("不是东门菜市场 是南门农贸市场")
    assert "已改正 · 地点：南门农贸市场" in changed
    assert "由南门市场监管所处理" in await shopper.tap("submit")  # not 东门's, which the story still names
    async with engine.connect() as connection:
        station = (
            await connection.execute(sa.text("SELECT s.name FROM complaint c JOIN station s ON s.id = c.station_id"))
        ).scalar_one()
    assert station == "南门市场监管所"


async def test_a_field_named_without_its_new_value_asks_that_question_again(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await to_summary_on_telegram(shopper)
    asked = await shopper.say("改时间")
    assert "什么时候" in asked
    summary = await shopper.say("前天下午")
    assert "时间：前天下午" in summary
    await shopper.tap("submit")
    assert "时间：前天下午" in await case_text(engine)


async def test_a_corrected_phone_is_checked_and_masked(shopper: Shopper, engine: AsyncEngine) -> None:
    await to_summary_on_telegram(shopper)
    refused = await shopper.say("电话不对 应该是12345")
    assert "7" in refused
    assert "手机号" in refused
    summary = await shopper.say("13900001111")
    assert "139****1111" in summary
    await shopper.tap("submit")
    async with engine.connect() as connection:
        phones = (await connection.execute(sa.text("SELECT phone FROM complaintcontact"))).scalars().all()
    assert phones == ["13900001111"]


async def test_longer_words_at_the_summary_still_join_the_account(shopper: Shopper, engine: AsyncEngine) -> None:
    await to_summary_on_telegram(shopper)
    added = "另外那个时间老板还说秤是刚校准过的，不可能错，态度很差"
    summary = await shopper.say(added)
    assert "已改正" not in summary
    assert "请核对" in summary
    await shopper.tap("submit")
    text = await case_text(engine)
    assert added in text
    assert "时间：昨天" in text


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
async def test_corrections_over_wechat(wx: Client, engine: AsyncEngine, safe: bool) -> None:
    follower = push(safe=safe)
    await to_summary_on_wechat(wx, follower)
    _, changed = await say(wx, follower, follower.text("地点错了，是西门市场3号摊"))
    assert "已改正 · 地点：西门市场3号摊" in changed
    _, changed = await say(wx, follower, follower.text("金额不对 应该是付了60块 1斤5两"))
    assert "已改正 · 金额和分量：付了60块 1斤5两" in changed
    _, receipt = await say(wx, follower, follower.text("提交"))
    assert REF.search(receipt), receipt
    text = await case_text(engine)
    assert "地点：西门市场3号摊" in text
    assert "金额和分量：付了60块 1斤5两" in text
    assert "错了" not in text
    assert "不对" not in text


async def test_a_correction_in_english_is_answered_in_english(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say("Bought 2 jin of pork yesterday for 50 yuan, at home it weighed 1.6 jin. I want my money back")
    said = await shopper.tap("done")
    for _ in range(8):
        if "Please check" in said:
            break
        said = await shopper.tap("skip")
    assert "Please check" in said, said
    changed = await shopper.say("wrong time, it was last friday")
    assert "Changed · When: last friday" in changed
    await shopper.tap("submit")
    text = await case_text(engine)
    assert "时间：last friday" in text
    assert "wrong time" not in text


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
async def test_a_place_corrected_while_the_story_is_told_is_the_place_and_routes_the_case(
    wx: Client, engine: AsyncEngine, safe: bool
) -> None:
    east = replace(STATUS_ROWS["valid"], station="东门市场监管所", market="东门菜市场", serial_no="EAST-1")
    await seed(engine, STATUS_ROWS["valid"], east)
    follower = push(safe=safe)
    await say(wx, follower, follower.text(TOLD))  # names 东门菜市场
    _, changed = await say(wx, follower, follower.text("地点错了 是南门农贸市场"))  # before 好了, as typed in a hurry
    assert "已改正 · 地点：南门农贸市场" in changed
    _, said = await say(wx, follower, follower.text("说完了"))
    assert "是哪家店" not in said  # the corrected place stands: not asked, nor taken again from the story
    for _ in range(len(ANSWERS)):
        if "回复「提交」「修改」「取消」" in said:
            break
        answer = next(answer for opening, answer in ANSWERS if opening in said.rsplit("\n\n", 1)[-1])
        _, said = await say(wx, follower, follower.text(answer))
    assert "地点：南门农贸市场" in said
    _, receipt = await say(wx, follower, follower.text("提交"))
    assert "由南门市场监管所处理" in receipt
    text = await case_text(engine)
    assert "地点：南门农贸市场" in text
    assert "地点错了 是南门农贸市场" in text  # kept with the story too: nothing told is lost


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("地点错了 是东街市场卖鱼的", "where"),
        ("时间不对 是前天下午买的", "when"),
        ("名字写错了 是李思", "name"),
        ("the place is wrong, it was 南门菜场", "where"),
        # more of the story, though each names a field and says something is wrong
        ("市场的秤不对 少了二两", None),
        ("这个市场的秤都不对", None),
        ("时间不对啊 他们说早上不营业", None),
        ("钱不对", None),
    ],
)
def test_a_correction_while_the_story_is_told_says_so_first_and_is_all_the_rest(line: str, field: str | None) -> None:
    found = story_correction(line)
    assert (found.step.value if found else None) == field


@pytest.mark.parametrize("line", ["这不是第一次了", "老板不是好人", "老板说不是他的秤"])
def test_a_not_in_the_story_is_no_swap_when_no_answer_holds_it_and_no_time_or_amount_follows(line: str) -> None:
    answers = {Step.when: "昨天下午", Step.amounts: "2斤 付了50块 1斤6两"}
    assert swap_in(line, answers) is None  # more words for the account, as at the summary before
