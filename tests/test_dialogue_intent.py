"""The bot asks 投诉 or 举报 when the shopper's words do not settle it (issue 13 part 1), over the real webhooks
(Telegram's with its inline keyboard, WeChat's plain and safe mode with replies of 1 or 2) and the database."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import push, say
from tests.telegram_support import Shopper

Client = TestClient[Any, Any]
LOSS = "付了490元，复秤后被宰了80元"  # a personal loss, no wish said
SHORT = "3斤肉端上桌只有1斤多"
CHEAT = "东街那家水果摊的秤被动了手脚，请你们去查处"  # a report, no loss of one's own
LOSS_REPORTED = "我在张记买的肉少了二两，请查处"  # a loss of one's own, and an investigation asked for


async def cases(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        query = sa.text(
            "SELECT c.intent, c.classifier_intent, c.consumer_intent, k.name, k.phone FROM complaint c "
            "JOIN complaintcontact k ON k.complaint_id = c.id ORDER BY c.id"
        )
        return list(await connection.execute(query))


async def test_telegram_asks_a_loss_with_no_wish_with_buttons_and_the_choice_is_the_shoppers(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(LOSS)
    asked = await shopper.tap("done")
    assert "缺斤短两" in asked
    assert "您希望怎样处理？" in asked
    assert "投诉：要商家退款、补足或调解" in asked  # the remedy is offered beside the anonymity
    assert "可以匿名" not in asked.split("您希望怎样处理？")[0]  # never anonymity alone before the choice
    assert shopper.keyboard() == ["intent:complaint", "intent:report"]
    assert "怎么称呼" not in asked  # nothing asked of a complaint before it is one

    chosen = await shopper.tap("intent:complaint")
    assert "按投诉办理" in chosen
    assert "哪家店" in chosen
    for _ in ("where", "when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("王芳")
    summary = await shopper.say("13800138000")
    assert "类型：投诉" in summary
    assert "已收到，编号" in await shopper.tap("submit")
    [case] = await cases(engine)
    assert (case.intent, case.consumer_intent) == ("complaint", "complaint")
    assert case.classifier_intent is not None


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_wechat_asks_with_replies_of_1_or_2_and_a_report_is_never_asked_for_a_name(
    wx: Client, engine: AsyncEngine, safe: bool
) -> None:
    follower = push(safe=safe)
    await say(wx, follower, follower.text(SHORT))
    _, asked = await say(wx, follower, follower.text("好了"))
    assert "回复 1 或 2" in asked
    assert "回复「投诉」「举报」" in asked
    _, chosen = await say(wx, follower, follower.text("2"))
    assert "按举报办理" in chosen
    assert "可以匿名" in chosen
    said = chosen
    for _ in range(6):
        if "回复「提交」" in said:
            break
        assert "怎么称呼" not in said
        assert "手机号" not in said
        _, said = await say(wx, follower, follower.text("跳过"))
    assert "类型：举报" in said
    _, receipt = await say(wx, follower, follower.text("提交"))
    assert "已收到，编号" in receipt
    [case] = await cases(engine)
    assert (case.intent, case.consumer_intent, case.name, case.phone) == ("report", "report", "", "")


async def test_words_that_settle_it_are_not_asked_and_a_loss_reported_is_offered_the_remedy(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(CHEAT)
    understood = await shopper.tap("done")
    assert "您希望怎样处理" not in understood
    assert "举报可以匿名" in understood  # no loss of one's own: a report, as the words say
    assert "可以改为投诉" not in understood
    await shopper.say("取消")

    for said in ("我要举报东街菜市场15号摊位用鬼秤", "我要匿名举报 东街菜市场3号摊 秤有问题"):
        await shopper.say(said)
        understood = await shopper.tap("done")
        assert "举报可以匿名" in understood
        assert "可以改为投诉" not in understood  # the 我 of 「我要举报」 tells no purchase of one's own
        await shopper.say("取消")

    await shopper.say(LOSS_REPORTED)
    understood = await shopper.tap("done")
    assert "您希望怎样处理" not in understood
    assert "可以改为投诉" in understood  # a loss of one's own: the remedy offered beside the anonymity
    assert "intent:complaint" in [data for reply in shopper.fake.sent(shopper.chat_id)[-3:]
                                  for row in (reply.get("reply_markup") or {}).get("inline_keyboard", [])
                                  for data in (button.get("callback_data") for button in row)]  # fmt: skip
    switched = await shopper.tap("intent:complaint")
    assert "按投诉办理" in switched
    assert "哪家店" in switched


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("Hi, I want to report a gas station on Renmin Road, pump 3 shows 0.5L before starting", "report"),
        ("你好，我想举报一下，南门菜场卖鱼的那家秤不对，称出来总是多", "report"),
        ("投诉南门菜场 卖肉的少了二两", "complaint"),  # the verb first, as a headline
    ],
)
async def test_a_choice_said_in_the_story_is_the_shoppers_whatever_the_reading(
    shopper: Shopper, engine: AsyncEngine, said: str, intent: str
) -> None:
    await shopper.say(said)
    understood = await shopper.tap("done")
    assert "What would you like done" not in understood
    assert "您希望怎样处理" not in understood
    assert f"a {intent}" in understood or {"report": "举报", "complaint": "投诉"}[intent] in understood
    assert "Make it a complaint" not in understood  # the "I" of "I want to report" tells no purchase
    for _ in range(6):
        if "请核对" in understood or "Please check" in understood:
            break
        understood = await shopper.tap("skip")
    receipt = await shopper.tap("submit")
    assert "已收到" in receipt or "Received" in receipt, receipt
    [case] = await cases(engine)
    assert (case.intent, case.consumer_intent) == (intent, intent)  # the shopper's word, kept as their choice


@pytest.mark.parametrize(
    ("said", "where"),
    [("眼镜配的度数不对 戴着头晕 要求重配", "哪家眼镜店"), ("药店抓的中药少了好几克 要求补偿", "哪家医院、诊所或药店")],
)
async def test_a_remedy_in_other_words_settles_the_complaint_and_the_place_is_asked_for_its_trade(
    shopper: Shopper, said: str, where: str
) -> None:
    await shopper.say(said)
    understood = await shopper.tap("done")
    assert "您希望怎样处理" not in understood  # 重配, 补偿: a remedy asked for, so a complaint
    assert "投诉" in understood
    assert where in understood


async def test_neither_at_the_choice_is_told_to_ask_the_question_itself(shopper: Shopper) -> None:
    await shopper.say(SHORT)
    await shopper.tap("done")
    told = await shopper.say("都不是 我就想问问")
    assert "请把问题直接发给我" in told
    assert "您希望怎样处理" in told  # the choice still stands, with its buttons
    assert shopper.keyboard() == ["intent:complaint", "intent:report"]


async def test_an_unclear_answer_asks_again_and_a_no_keeps_the_reading(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say(SHORT)
    await shopper.tap("done")
    again = await shopper.say("嗯？")
    assert "您希望怎样处理？" in again
    assert shopper.keyboard() == ["intent:complaint", "intent:report"]
    kept = await shopper.say("不知道")
    assert "工作人员会再和您确认" in kept
    assert "哪家店" in kept


@pytest.mark.parametrize("said", ["匿名", "不想留名字", "anonymous"])
async def test_anonymity_asked_at_the_choice_is_the_report(shopper: Shopper, engine: AsyncEngine, said: str) -> None:
    await shopper.say(SHORT)
    await shopper.tap("done")
    chosen = await shopper.say(said)  # the option that may be anonymous, not the complaint kept
    assert "按举报办理" in chosen
    assert "工作人员会再和您确认" not in chosen
    for answer in ("skip", "skip", "skip"):
        said_now = await shopper.tap(answer)
        if "请核对" in said_now:
            break
        assert "怎么称呼" not in said_now
    assert "类型：举报" in said_now


async def test_a_bill_disputed_as_a_question_about_ones_own_meter_is_asked_the_remedy(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say("我家电表这个月走了800度 平时才200 是不是表坏了")
    asked = await shopper.tap("done")
    assert "您希望怎样处理" in asked  # not filed at once as a question: the money may be owed back
    assert "退还多收的费用" in asked
    kept = await shopper.say("不知道")  # and "don't know" keeps the question, answered
    assert "申请校验" in kept
    [case] = await cases(engine)
    assert case.intent == "inquiry"


async def test_a_choice_button_of_an_earlier_story_is_never_taken_as_words(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    said = await shopper.tap("intent:report")  # tapped long after, with nothing in progress
    assert "请用自己的话说说发生了什么" in said
    await shopper.say(SHORT)
    assert "接着说" in await shopper.tap("intent:complaint")
    await shopper.tap("done")
    assert await cases(engine) == []
    [state] = await rows_of(engine)
    assert "intent:" not in state


async def rows_of(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return [str(row.draft) for row in await connection.execute(sa.text("SELECT draft FROM dialogue_state"))]


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
async def test_praise_is_thanked_at_once_and_not_promised_progress(
    wx: Client, engine: AsyncEngine, codes: dict[str, str], safe: bool
) -> None:
    follower = push(safe=safe)
    # one message and the shopper goes: a 好了 they never send would leave the praise unsent
    _, receipt = await say(wx, follower, follower.text("表扬一下南门农贸市场的管理员 帮我复秤还帮我要回了钱 服务很好"))
    assert "已收到，编号" in receipt
    assert "说完了" not in receipt
    assert "谢谢您的反馈！已转给南门市场监管所" in receipt
    assert "处理有进展时会在这里通知您" not in receipt  # nothing is handled: the praise is acknowledged
    [case] = await cases(engine)
    assert case.intent == "feedback"


async def test_praise_after_a_scan_and_thanks_in_a_story_are_not_story(shopper: Shopper, engine: AsyncEngine) -> None:
    thanked = await shopper.say("给东街市场的管理员点个赞 复秤很及时")
    assert "谢谢您的反馈" in thanked
    assert "说完了" not in thanked
    await shopper.say("老板少称了 南门菜场")
    finish = await shopper.say("感谢你们")  # thanks in the middle of a story: how to finish, not more of the story
    assert "记下了" not in finish
    assert "说完了" in finish
    mixed = await shopper.say("表扬 但是今天又少了二两")  # praise beside a loss of one's own: told, not thanked
    assert "谢谢您的反馈" not in mixed
    [case] = await cases(engine)
    assert case.intent == "feedback"
    async with engine.connect() as connection:
        [account] = [row.draft for row in await connection.execute(sa.text("SELECT draft FROM dialogue_state"))]
    assert "感谢你们" not in str(account)
