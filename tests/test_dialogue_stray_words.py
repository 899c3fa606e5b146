"""Words that tell nothing new are never kept as the story or as an answer: 好了, 对 or a button of an earlier
message (or its word typed on WeChat) at the greeting or in the middle of the story; 对 at a question; the story
sent again at the time question; a time at the name question. Found by tests/test_dialogue_anything_typed.py
(Hypothesis), each fixed and pinned here over the real webhooks (Telegram; WeChat) and the database."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import push, say
from tests.support import ledger_row, seed
from tests.telegram_support import Shopper

STORY = "在南门农贸市场张记水产买了3斤虾付了120块 回家称只有2斤6两"


async def _dialogue(engine: AsyncEngine) -> tuple[str, dict[str, Any]]:
    async with engine.connect() as connection:
        step, draft = (await connection.execute(sa.text("SELECT step, draft FROM dialogue_state"))).one()
    return step, json.loads(draft) if isinstance(draft, str) else draft


async def _cases(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.execute(sa.text("SELECT text FROM complaint"))).scalars())


async def _complaint_at_the_name_question(shopper: Shopper) -> None:
    await shopper.say(STORY)
    await shopper.say("投诉")
    for _ in range(3):
        if "称呼" in await shopper.tap("skip"):
            return
    raise AssertionError("the name was never asked")


async def _to_summary(shopper: Shopper) -> str:
    said = ""
    for _ in range(6):
        said = await shopper.tap("skip")
        if "请核对" in said:
            break
    return said


@pytest.mark.parametrize("tapped", ["done", "skip", "submit", "same", "resume", "offer:complaint", "fix:when"])
async def test_a_button_of_an_earlier_message_at_the_greeting_makes_no_story(
    shopper: Shopper, engine: AsyncEngine, tapped: str
) -> None:
    said = await shopper.tap(tapped)
    assert "请用自己的话说说发生了什么" in said  # what to send instead
    followed = await shopper.say("好了")
    assert "请用自己的话说说发生了什么" in followed or "还没有收到您的说明" in followed
    assert await _cases(engine) == []
    _, draft = await _dialogue(engine)
    assert not draft.get("texts")


# 时间, 地点: what a WeChat follower types for a button of an earlier summary.
@pytest.mark.parametrize("typed", ["好了", "对", "是", "ok", "O", "时间", "地点"])
async def test_agreeing_a_field_or_one_letter_at_the_greeting_makes_no_case(
    wx: Any, engine: AsyncEngine, typed: str
) -> None:
    follower = push()
    status, said = await say(wx, follower, follower.text(typed))
    assert status == 200
    assert "发生了什么" in said or "what happened" in said
    await say(wx, follower, follower.text("好了"))
    assert await _cases(engine) == []


@pytest.mark.parametrize("stray", ["same", "resume", "fix:place", "是", "可以", "跳过"])
async def test_a_stray_button_or_agreeing_in_the_middle_of_the_story_is_not_kept_in_it(
    shopper: Shopper, engine: AsyncEngine, stray: str
) -> None:
    await shopper.say(STORY)
    said = await shopper.tap(stray) if stray.isascii() else await shopper.say(stray)
    assert "说完了" in said  # how to go on
    _, draft = await _dialogue(engine)
    assert draft["texts"] == [STORY]


async def test_对_at_the_time_question_answers_nothing_and_the_question_stands(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(STORY)
    asked = await shopper.say("投诉")
    assert "什么时候" in asked
    again = await shopper.say("对")  # agreeing with what was understood
    assert "什么时候" in again
    step, draft = await _dialogue(engine)
    assert (step, draft["when"]) == ("when", "")


async def test_重新开始_in_the_middle_of_the_story_starts_again(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say(STORY)
    await shopper.say("投诉")
    said = await shopper.say("重新开始")
    assert "重新开始" in said
    step, draft = await _dialogue(engine)
    assert (step, draft["texts"], draft["place"]) == ("account", [], "")


async def test_the_story_sent_again_at_the_time_question_joins_it_once_and_the_time_is_still_asked(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(STORY)
    await shopper.say("投诉")
    said = await shopper.say(STORY)
    assert "已加到您的说明里" in said
    assert "什么时候" in said.rsplit("\n", 1)[-1]
    step, draft = await _dialogue(engine)
    assert (step, draft["when"], draft["texts"]) == ("when", "", [STORY])


async def test_amounts_at_the_time_question_are_the_amounts_and_not_asked_again(wx: Any, engine: AsyncEngine) -> None:
    follower = push()
    await say(wx, follower, follower.text("在南门农贸市场张记水产买的鱼少秤了 我要投诉 退钱"))
    await say(wx, follower, follower.text("好了"))
    _, asked = await say(wx, follower, follower.text("付了69块 说是10公斤 回家称实际9.2公斤"))
    assert "什么时候" in asked  # still the time question
    _, draft = await _dialogue(engine)
    assert "9.2公斤" in draft["amounts"]
    assert draft["when"] == ""
    said = ""
    for _ in range(5):
        said = (await say(wx, follower, follower.text("跳过")))[1]
        assert "付了多少钱" not in said  # the amounts are not asked for
        if "请核对" in said:
            break
    assert "金额和分量：付了69块" in said or "9.2公斤" in said


async def test_a_time_at_the_name_question_is_the_time_and_the_name_is_still_asked(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await _complaint_at_the_name_question(shopper)
    said = await shopper.say("今天上午")
    assert "记下了时间：今天上午" in said
    assert "称呼" in said.rsplit("\n", 1)[-1]
    await shopper.say("王芳 13800138000")
    summary = await _to_summary(shopper)
    assert "姓名：王芳" in summary
    assert "时间：今天上午" in summary


@pytest.mark.parametrize(("typed", "then"), [("不改了", "请核对"), ("好了", "请核对"), ("提交", "已收到")])
async def test_nothing_to_change_after_修改_goes_back_to_the_summary_or_sends_it(
    shopper: Shopper, engine: AsyncEngine, typed: str, then: str
) -> None:
    await shopper.say("南门农贸市场张记水产的秤有问题 好多人都被少称")
    await shopper.say("举报")
    assert "请核对" in await _to_summary(shopper)
    asked = await shopper.say("修改")
    assert "不改了请回复「好了」" in asked
    said = await shopper.say(typed)
    assert then in said
    assert len(await _cases(engine)) == (1 if then == "已收到" else 0)


async def test_more_of_the_story_at_the_name_question_joins_it_and_the_name_is_still_asked(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await _complaint_at_the_name_question(shopper)
    said = await shopper.say("鬼秤！！缺斤少两")
    assert "已加到您的说明里" in said
    assert "称呼" in said.rsplit("\n", 1)[-1]
    step, draft = await _dialogue(engine)
    assert (step, draft["name"], draft["texts"][-1]) == ("name", "", "鬼秤！！缺斤少两")


async def test_提交_at_a_question_says_the_summary_comes_first_and_the_question_stands(
    wx: Any, engine: AsyncEngine
) -> None:
    follower = push()
    await say(wx, follower, follower.text("我家燃气表每个月都多走十几方"))
    await say(wx, follower, follower.text("好了"))
    asked = (await say(wx, follower, follower.text("2")))[1]
    assert "是哪里的表" in asked
    said = (await say(wx, follower, follower.text("提交")))[1]
    assert "答完会先给您核对" in said
    assert "是哪里的表" in said
    assert (await _dialogue(engine))[0] == "where"
    assert await _cases(engine) == []


async def test_没有照片_at_the_choice_is_about_the_photos_and_the_choice_is_asked_again(
    wx: Any, engine: AsyncEngine
) -> None:
    follower = push()
    await say(wx, follower, follower.text(STORY))
    assert "您希望怎样处理" in (await say(wx, follower, follower.text("好了")))[1]
    said = (await say(wx, follower, follower.text("没有照片")))[1]
    assert "没有照片也可以" in said
    assert "您希望怎样处理" in said  # not taken as the choice
    assert (await _dialogue(engine))[1]["asked"].count("photos") == 1
    asked = (await say(wx, follower, follower.text("1")))[1]
    assert "有照片吗" not in asked


async def test_a_time_at_the_choice_is_the_time_and_the_choice_is_asked_again(wx: Any, engine: AsyncEngine) -> None:
    follower = push()
    await say(wx, follower, follower.text("我在东街菜市场看到一个摊主用遥控器控制秤 好多人被坑了"))
    assert "您希望怎样处理" in (await say(wx, follower, follower.text("好了")))[1]
    said = (await say(wx, follower, follower.text("今天上午")))[1]
    assert "记下了时间：今天上午" in said
    assert "您希望怎样处理" in said
    asked = (await say(wx, follower, follower.text("2")))[1]
    assert "什么时候" not in asked  # told already


async def test_a_time_ago_and_a_phone_sent_at_the_choice_are_taken_and_not_asked_again(
    wx: Any, engine: AsyncEngine
) -> None:
    follower = push()
    await say(wx, follower, follower.text("西湖边上那个水果摊 买了三斤葡萄 才两斤半"))
    assert "您希望怎样处理" in (await say(wx, follower, follower.text("好了")))[1]
    said = (await say(wx, follower, follower.text("半小时前")))[1]
    assert "记下了时间：半小时前" in said
    said = (await say(wx, follower, follower.text("13800001111")))[1]
    assert "记下了您的联系方式：138****1111" in said  # once added to the story, the phone with it
    assert "您希望怎样处理" in said
    asked = [(await say(wx, follower, follower.text(answer)))[1] for answer in ("1", "没拍", "张三")]
    assert not any("什么时候" in question or "手机号" in question for question in asked), asked
    assert "时间：半小时前" in asked[-1]
    assert "电话：138****1111" in asked[-1]
    assert "13800001111" not in "\n".join((await _dialogue(engine))[1]["texts"])


@pytest.mark.parametrize("story", ["水表不准", "加油机不准"])
async def test_a_fault_told_in_two_words_is_asked_投诉_or_举报_not_filed_as_a_question(
    wx: Any, engine: AsyncEngine, story: str
) -> None:
    # read as an inquiry at 0.4-0.6, though nothing in them asks: the choice is the shopper's
    follower = push()
    await say(wx, follower, follower.text(story))
    said = (await say(wx, follower, follower.text("好了")))[1]
    assert "您希望怎样处理" in said
    assert "已收到" not in said
    assert await _cases(engine) == []


async def test_a_loss_told_in_two_lines_that_reads_as_a_sure_inquiry_is_still_asked_投诉_or_举报(
    wx: Any, engine: AsyncEngine
) -> None:
    # 「买菜被坑了」 read as an inquiry at 0.78 and was filed at once as a question, with no station and no questions
    follower = push()
    await say(wx, follower, follower.text("买菜被坑了"))
    await say(wx, follower, follower.text("就是秤不准"))
    said = (await say(wx, follower, follower.text("好了")))[1]
    assert "您希望怎样处理" in said
    assert "已收到" not in said
    assert await _cases(engine) == []


async def test_提交_at_the_choice_says_the_choice_comes_first_and_no_case_is_made(wx: Any, engine: AsyncEngine) -> None:
    follower = push()
    await say(wx, follower, follower.text(STORY))
    assert "您希望怎样处理" in (await say(wx, follower, follower.text("好了")))[1]
    said = (await say(wx, follower, follower.text("提交")))[1]
    assert "请先选一项" in said
    assert "您希望怎样处理" in said
    assert (await _dialogue(engine))[0] == "choose"
    assert await _cases(engine) == []


async def test_a_hedged_time_at_the_place_question_is_the_time_and_the_place_is_asked_again(
    wx: Any, engine: AsyncEngine
) -> None:
    follower = push()
    await say(wx, follower, follower.text("加油站 加满了 发票上写52升 可我的油箱只有50升"))
    await say(wx, follower, follower.text("好了"))
    assert "几号枪" in (await say(wx, follower, follower.text("2")))[1]  # a report: where, first
    said = (await say(wx, follower, follower.text("昨天下午3点左右")))[1]
    assert "记下了时间：昨天下午3点" in said
    assert "几号枪" in said  # the place is still asked
    await say(wx, follower, follower.text("中石化"))
    summary = (await say(wx, follower, follower.text("跳过")))[1]
    assert "地点：中石化" in summary
    assert "时间：昨天下午3点" in summary


async def test_the_time_told_in_the_story_said_again_at_the_place_question_is_not_the_place(
    wx: Any, engine: AsyncEngine
) -> None:
    follower = push()
    await say(wx, follower, follower.text("我家电表这个月走了800度 平时才200度"))
    await say(wx, follower, follower.text("好了"))
    assert "是哪里的表" in (await say(wx, follower, follower.text("1")))[1]
    said = (await say(wx, follower, follower.text("这个月")))[1]
    assert "是哪里的表" in said
    _, draft = await _dialogue(engine)
    assert draft["place"] == ""


async def test_a_name_a_phone_or_a_shop_sent_to_the_list_of_fields_changes_that_field(
    wx: Any, engine: AsyncEngine
) -> None:
    await seed(engine, ledger_row())  # 张记水产 at 南门农贸市场
    follower = push()
    await say(wx, follower, follower.text("在南门农贸市场买了3斤虾付了120块 回家称只有2斤6两"))
    await say(wx, follower, follower.text("2"))  # 举报, offered with the acknowledgement
    await say(wx, follower, follower.text("跳过"))
    assert "请核对" in (await say(wx, follower, follower.text("没拍")))[1]
    fields = "回复「说明」「类型」「地点」「时间」「金额」「照片」「姓名」「电话」"
    for answer, line in (("王芳", "姓名：王芳"), ("13900001111", "电话：139****1111"), ("张记水产", "地点：张记水产")):
        assert fields in (await say(wx, follower, follower.text("2")))[1]  # 修改: which field
        said = (await say(wx, follower, follower.text(answer)))[1]
        assert line in said
        assert "请核对" in said  # the summary again, not the list
    assert "已收到" in (await say(wx, follower, follower.text("提交")))[1]


async def test_a_bare_number_at_the_photo_question_is_asked_again_not_kept_in_the_story(
    wx: Any, engine: AsyncEngine
) -> None:
    follower = push()
    await say(wx, follower, follower.text("在南门农贸市场买了3斤虾付了120块 回家称只有2斤6两"))
    await say(wx, follower, follower.text("2"))
    assert "有照片吗" in (await say(wx, follower, follower.text("跳过")))[1]
    said = (await say(wx, follower, follower.text("2")))[1]  # the number of the choice before, sent again
    assert "已加到您的说明里" not in said
    assert "有照片吗" in said
    _, draft = await _dialogue(engine)
    assert draft["texts"] == ["在南门农贸市场买了3斤虾付了120块 回家称只有2斤6两"]


async def test_the_same_instrument_button_of_an_earlier_message_is_not_the_place(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say("昨天买了3斤排骨付了90块 回家称只有2斤6两")
    assert "哪家店" in await shopper.say("1")  # 投诉, offered with the acknowledgement: where, first
    again = await shopper.tap("same")  # 「是这台」 of a question asked in an earlier conversation
    assert "哪家店" in again
    _, draft = await _dialogue(engine)
    assert draft["place"] == ""
