"""What a shopper says about a case just sent, in a few words, is about that case, never a new story:
「能不能加急」 presses for it, 「老板已经把钱退给我了」 tells that the merchant has put it right (and is told how to
withdraw it), 「什么时候给我退钱」 asks after it. The words join the case and its handler sees them. Over the real
webhooks (Telegram; WeChat plain and safe mode) and the database."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import REF, push, say, wechat
from tests.support import NOW, rows
from tests.telegram_support import Shopper
from web.app import create_app
from web.settings import Settings

Client = TestClient[Any, Any]
TOLD = "南门菜场买肉少了二两 要退钱"


async def _complaint(shopper: Shopper) -> str:
    await shopper.say(TOLD)
    await shopper.say("好了")
    await shopper.say("今天上午")
    await shopper.tap("skip")  # no photos
    await shopper.say("王芳 13800138000")
    found = REF.search(await shopper.tap("submit"))
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("pressed", ["能不能加急", "麻烦快点处理", "please hurry"])
async def test_pressing_for_a_case_joins_it_and_makes_no_new_story(
    shopper: Shopper, engine: AsyncEngine, pressed: str
) -> None:
    ref = await _complaint(shopper)
    answer = await shopper.say(pressed)
    assert ref in answer
    assert "记下了" not in answer
    assert "Noted" not in answer
    [case] = await rows(engine, "SELECT text FROM complaint")
    assert case.text.endswith(f"\n补充：{pressed}")
    actions = [row.action for row in await rows(engine, "SELECT action FROM complaintevent ORDER BY id")]
    assert actions[-1] == "words_added"  # the handler's timeline shows it


@pytest.mark.parametrize("told", ["老板已经把钱退给我了", "商家补给我了", "已经协商好了", "不用你们处理了"])
async def test_a_matter_put_right_joins_the_case_and_says_how_to_withdraw(
    shopper: Shopper, engine: AsyncEngine, told: str
) -> None:
    ref = await _complaint(shopper)
    answer = await shopper.say(told)
    assert f"已补充到编号 {ref}" in answer
    assert "撤销投诉" in answer
    assert "记下了" not in answer
    assert f"已告诉处理编号 {ref} 的工作人员：您想撤回" in await shopper.say("撤销投诉")
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


@pytest.mark.parametrize("told", ["老板不退钱", "钱退了吗"])
async def test_a_refusal_or_a_question_about_the_money_is_not_a_matter_put_right(shopper: Shopper, told: str) -> None:
    ref = await _complaint(shopper)
    assert f"已补充到编号 {ref}" not in await shopper.say(told)


async def test_when_the_money_comes_back_is_asked_after_the_case(shopper: Shopper, engine: AsyncEngine) -> None:
    ref = await _complaint(shopper)
    answer = await shopper.say("什么时候给我退钱")
    assert f"编号 {ref}：已收到" in answer
    assert "记下了" not in answer
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


@pytest.mark.parametrize("safe", [False, True])
async def test_a_refund_told_over_wechat_joins_the_case(wx: Client, engine: AsyncEngine, safe: bool) -> None:
    follower = push(safe=safe)
    for said in (TOLD, "好了", "今天上午", "没有", "王芳 13800138000"):
        await say(wx, follower, follower.text(said))
    _, receipt = await say(wx, follower, follower.text("提交"))
    found = REF.search(receipt)
    assert found is not None
    _, answer = await say(wx, follower, follower.text("老板已经退钱了"))
    assert f"已补充到编号 {found.group(0)}" in answer
    [case] = await rows(engine, "SELECT text FROM complaint")
    assert case.text.endswith("\n补充：老板已经退钱了")


async def test_pressing_with_no_case_says_there_is_none_yet(shopper: Shopper, engine: AsyncEngine) -> None:
    assert "还没有提交过投诉或举报" in await shopper.say("能不能快点")
    assert "记下了" in await shopper.say("老板已经退钱了")  # with no case, news of a refund is a story's words
    assert await rows(engine, "SELECT id FROM complaint") == []


@pytest.mark.parametrize("chosen", ["那我要举报", "好 我要举报", "那就举报吧"])
async def test_a_choice_led_in_after_a_question_answered_is_the_choice_and_the_instrument_is_kept(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str], chosen: str
) -> None:
    await shopper.say(f"/start {codes['expired']}")
    assert "已收到" in await shopper.say("这个过期了还能用吗")  # answered at once, as a question
    answer = await shopper.say(chosen)
    assert "按举报办理" in answer  # the choice, never the story's first words
    assert "请用自己的话说说发生了什么" in answer
    await shopper.say("就是这台秤 过期了还在用")
    understood = await shopper.say("好了")
    assert "刚才查询的那台" in understood  # the instrument asked about is the report's
    assert "您希望怎样处理" not in understood


async def test_a_few_words_soon_after_a_receipt_ask_which_case_and_join_it_when_told(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    ref = await _complaint(shopper)
    asked = await shopper.say("老板不退钱")
    assert f"这是要补充到编号 {ref} 的，还是一件新的事" in asked
    assert shopper.keyboard() == ["case:join", "case:new"]
    assert f"已补充到编号 {ref}" in await shopper.tap("case:join")
    [case] = await rows(engine, "SELECT text FROM complaint")
    assert case.text.endswith("\n补充：老板不退钱")


@pytest.mark.parametrize("safe", [False, True])
async def test_over_wechat_2_makes_the_words_a_new_story(wx: Client, engine: AsyncEngine, safe: bool) -> None:
    follower = push(safe=safe)
    for said in (TOLD, "好了", "今天上午", "没有", "王芳 13800138000", "提交"):
        await say(wx, follower, follower.text(said))
    _, asked = await say(wx, follower, follower.text("他还骂我"))
    assert "回复 1" in asked
    _, answer = await say(wx, follower, follower.text("2"))
    assert "记下了" in answer
    [row] = await rows(engine, "SELECT draft FROM dialogue_state")
    draft = json.loads(row.draft) if isinstance(row.draft, str) else row.draft
    assert draft["texts"] == ["他还骂我"]
    [case] = await rows(engine, "SELECT text FROM complaint")
    assert "他还骂我" not in case.text


async def test_a_story_sent_instead_of_an_answer_keeps_both_messages(shopper: Shopper, engine: AsyncEngine) -> None:
    await _complaint(shopper)
    await shopper.say("又被坑了")
    assert "记下了" in await shopper.say("东街市场卖鱼的也少秤")
    [row] = await rows(engine, "SELECT draft FROM dialogue_state")
    draft = json.loads(row.draft) if isinstance(row.draft, str) else row.draft
    assert draft["texts"] == ["又被坑了", "东街市场卖鱼的也少秤"]  # nothing lost, nothing joined to the case


async def test_words_that_name_a_place_after_a_receipt_start_a_story_without_asking(shopper: Shopper) -> None:
    await _complaint(shopper)
    answer = await shopper.say("东街市场也少秤")
    assert "还是一件新的事" not in answer
    assert "记下了" in answer


async def test_which_case_is_not_asked_long_after_the_receipt(aiohttp_client: Any, settings: Settings) -> None:
    now = [NOW]
    wx = await aiohttp_client(create_app(wechat(settings), clock=lambda: now[0]))
    follower = push()
    for said in (TOLD, "好了", "今天上午", "没有", "王芳 13800138000", "提交"):
        await say(wx, follower, follower.text(said))
    now[0] += timedelta(hours=3)  # past FOLLOW_UP: the receipt is no longer what the words are about
    follower.now = now[0].timestamp()  # the platform signs with the time it sends
    _, answer = await say(wx, follower, follower.text("老板不退钱"))
    assert "还是一件新的事" not in answer
    assert "记下了" in answer


@pytest.mark.parametrize("asked", ["那怎么办", "然后呢", "what should I do?"])
async def test_what_now_after_an_answer_offers_投诉_and_举报_with_the_instrument(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str], asked: str
) -> None:
    await shopper.say(f"/start {codes['expired']}")
    await shopper.say("这个过期了还能用吗")  # answered at once: expired
    answer = await shopper.say(asked)
    assert "已收到" not in answer  # no second case for the same question
    assert "Received" not in answer
    assert "举报" in answer or "report" in answer
    assert shopper.keyboard() == ["投诉", "举报"]
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1
    await shopper.tap("举报")
    [row] = await rows(engine, "SELECT draft FROM dialogue_state")
    assert (json.loads(row.draft) if isinstance(row.draft, str) else row.draft)["chosen"] == "report"
    await shopper.say("这台秤过期了还在用")
    understood = await shopper.say("好了")
    assert "刚才查询的那台" in understood or "the one you just looked up" in understood


async def test_what_now_with_nothing_in_hand_over_wechat_says_what_each_choice_brings(
    wx: Client, engine: AsyncEngine
) -> None:
    follower = push()
    _, answer = await say(wx, follower, follower.text("那怎么办"))
    assert "选「投诉」" in answer
    assert "选「举报」" in answer
    assert await rows(engine, "SELECT id FROM complaint") == []


@pytest.mark.parametrize("asked", ["刚才那个编号是多少", "我的单号呢"])
async def test_the_reference_asked_for_after_a_receipt_shows_the_case(
    shopper: Shopper, engine: AsyncEngine, asked: str
) -> None:
    ref = await _complaint(shopper)
    answer = await shopper.say(asked)
    assert f"编号 {ref}：已收到" in answer
    assert "还是一件新的事" not in answer


async def test_a_photo_sent_while_asked_which_case_goes_with_the_words(shopper: Shopper, engine: AsyncEngine) -> None:
    ref = await _complaint(shopper)
    await shopper.say("老板不退钱")
    assert "照片收到了" in await shopper.photo("photo-late")
    assert f"已补充到编号 {ref}" in await shopper.tap("case:join")
    queued = await rows(engine, "SELECT kind, payload FROM outbox WHERE kind = 'photo'")
    assert ["photo-late" in str(row.payload) for row in queued] == [True]  # fetched into the case, never lost


async def test_a_photo_sent_while_asked_which_case_stays_with_a_new_story(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await _complaint(shopper)
    await shopper.say("又被坑了")
    await shopper.photo("photo-new")
    await shopper.tap("case:new")
    [row] = await rows(engine, "SELECT draft FROM dialogue_state")
    draft = json.loads(row.draft) if isinstance(row.draft, str) else row.draft
    assert draft["texts"] == ["又被坑了"]
    assert draft["photos"] == ["photo-new"]


@pytest.mark.parametrize("keyword", ["跳过", "修改", "好了"])
async def test_a_keyword_while_asked_which_case_is_never_a_line_of_the_story(
    shopper: Shopper, engine: AsyncEngine, keyword: str
) -> None:
    await _complaint(shopper)
    await shopper.say("他还骂我")
    await shopper.say(keyword)
    [row] = await rows(engine, "SELECT draft FROM dialogue_state")
    draft = json.loads(row.draft) if isinstance(row.draft, str) else row.draft
    assert draft["texts"] == ["他还骂我"]
