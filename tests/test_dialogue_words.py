"""Everyday no, skip, not now and don't know, at every question (issue 13 part 3): never stored as the answer.
Over the real webhooks (Telegram; WeChat plain and safe mode) and the database. The words are in
bot/understanding/words.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import push, say
from tests.staff_support import add_staff, sign_in
from tests.support import rows
from tests.telegram_support import STORY, Shopper, to_summary
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
PHOTO_NOS = ("没拍", "发不了", "没照片", "不用了", "不敢拍", "no photo sorry", "no", "No.", "没拍 不好意思", "沒拍",
             "沒有照片", "算了 不要照片了", "不用拍了", "木有", "不用啦")  # fmt: skip


async def test_no_at_every_question_moves_on_and_a_refused_name_and_phone_are_recorded_as_refused(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(STORY)  # a loss and a refund asked for: a complaint, nothing to choose
    assert "哪家店" in await shopper.tap("done")
    assert "什么时候" in await shopper.say("不知道")
    assert "付了多少钱" in await shopper.say("不记得了")
    assert "有照片吗" in await shopper.say("忘了")
    name = await shopper.say("没拍")
    assert "怎么称呼" in name
    assert "已加到您的说明里" not in name
    refused = await shopper.say("不想留名字")
    assert "不留姓名也能提交" in refused
    assert "可以改为举报" in refused  # the remedy needs it: a report is offered instead
    assert "手机号" in refused
    summary = await shopper.say("不想说")
    assert "姓名：（不愿留）" in summary
    assert "电话：（不愿留）" in summary
    assert "地点：（未提供）" in summary
    assert "时间：（未提供）" in summary
    for nothing in ("没有", "不用了", "謝謝"):  # at the summary: nothing to add, and the summary stands
        assert await shopper.say(nothing) == summary[summary.index("请核对") :], nothing
    assert "已收到，编号" in await shopper.tap("submit")

    [case] = await rows(engine, "SELECT c.text, k.name, k.phone FROM complaint c JOIN complaintcontact k "
                                "ON k.complaint_id = c.id")  # fmt: skip
    assert case.text == STORY  # no 不知道, 不记得了, 忘了, 没拍, 没有, 不用了 among the shopper's words
    assert (case.name, case.phone) == ("", "")
    [received] = await rows(engine, "SELECT facts FROM complaintevent WHERE action = 'received'")
    facts = received.facts if isinstance(received.facts, dict) else json.loads(received.facts)
    assert facts["refused"] == ["name", "phone"]
    assert facts["missing"] == ["name", "phone"]

    await add_staff(engine, "boss", StaffRole.supervisor)
    await sign_in(shopper.client, "boss")
    [ref] = await rows(engine, "SELECT ref FROM complaint")
    page = await (await shopper.client.get(f"/queue/{ref.ref}")).text()
    assert "消费者不愿提供:</span> 姓名、电话" in page  # the handler sees that they were asked


async def test_a_refused_name_may_turn_the_complaint_into_a_report(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say(STORY)
    await shopper.tap("done")
    for _ in ("where", "when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("不留名")
    summary = await shopper.tap("intent:report")
    assert "按举报办理" in summary
    assert "手机号" not in summary  # a report needs no phone
    assert "类型：举报" in summary
    assert "姓名：" not in summary
    await shopper.tap("submit")
    [case] = await rows(engine, "SELECT intent, consumer_intent FROM complaint")
    assert (case.intent, case.consumer_intent) == ("report", "report")


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_a_shopper_writing_traditional_characters_is_understood_over_wechat(
    wx: Client, engine: AsyncEngine, safe: bool
) -> None:
    follower = push(safe=safe)
    await say(wx, follower, follower.text("昨天在菜市場買的蝦子 老闆的秤有問題 少了快半斤"))
    _, chosen = await say(wx, follower, follower.text("我要投訴"))  # 投诉 said outright: the choice, and the end
    assert "我理解的是：投诉" in chosen
    assert "您希望怎样处理" not in chosen
    for answer in ("东门菜市场 12 号", "沒拍", "王大明"):
        _, said = await say(wx, follower, follower.text(answer))
    assert "手机号" in said
    _, refused = await say(wx, follower, follower.text("不想給電話"))
    assert "不留电话也能提交" in refused
    assert "电话：（不愿留）" in refused
    assert "已收到" in (await say(wx, follower, follower.text("提交")))[1]
    [case] = await rows(
        engine, "SELECT c.text, k.phone FROM complaint c JOIN complaintcontact k ON k.complaint_id = c.id"
    )
    assert "電話" not in case.text  # the refusal is not among the shopper's words
    assert case.phone == ""


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_every_everyday_no_at_the_photo_question_moves_on_over_wechat(
    wx: Client, engine: AsyncEngine, safe: bool
) -> None:
    for number, word in enumerate(PHOTO_NOS):
        follower = push(f"oFollower{number:019d}", safe=safe)  # one each: within a user's 30 messages a minute
        await say(wx, follower, follower.text(STORY))
        _, said = await say(wx, follower, follower.text("好了"))
        for answer in ("东门菜市场 12 号", "今天上午", "付了 50 元买 2 斤，只有 1 斤 8 两"):
            _, said = await say(wx, follower, follower.text(answer))
        assert "有照片吗" in said
        _, moved = await say(wx, follower, follower.text(word))
        assert "怎么称呼" in moved, (word, moved)
        assert "已加到您的说明里" not in moved, word
        assert "已取消" in (await say(wx, follower, follower.text("取消")))[1]
    assert await rows(engine, "SELECT id FROM complaint") == []


@pytest.mark.parametrize("sigh", ["算了", "算了不弄了 麻烦"])
async def test_a_sigh_at_the_summary_is_asked_about_and_the_cancel_button_drops_it(
    shopper: Shopper, engine: AsyncEngine, sigh: str
) -> None:
    await to_summary(shopper)
    asked = await shopper.say(sigh)  # everything told and checked: not thrown away on one word
    assert "要放弃这次投诉吗" in asked
    assert "请核对" in asked
    assert "已取消" in await shopper.tap("cancel")
    assert await rows(engine, "SELECT id FROM complaint") == []


async def test_giving_up_cancels_cleanly_and_is_never_the_answer(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say(STORY)
    assert "哪家店" in await shopper.tap("done")
    gone = await shopper.say("算了不弄了 麻烦")
    assert "已取消" in gone
    assert "哪家店" not in gone
    fresh = await shopper.say("你好")
    assert "说说发生了什么" in fresh  # a new conversation: the old story is gone
    assert await rows(engine, "SELECT id FROM complaint") == []
    [state] = await rows(engine, "SELECT step, draft FROM dialogue_state")
    draft = state.draft if isinstance(state.draft, dict) else json.loads(state.draft)
    assert "算了" not in json.dumps(draft, ensure_ascii=False)


CHATTER = (
    "在吗",
    "？？？",
    "你好",
    "😀😀",
    "asdfgh",
    "哈哈哈哈",
    "加微信 123456 代开发票",
    "你好 我想反映个事",
    "有个问题想咨询一下",
)


async def test_chit_chat_and_spam_get_a_short_help_line_and_never_a_case(shopper: Shopper, engine: AsyncEngine) -> None:
    for words in CHATTER:
        said = await shopper.say(words)
        assert "请用自己的话说说发生了什么" in said, words
        assert "编号" not in said
        assert "记下了" not in said
    assert "还没有收到您的说明" in await shopper.tap("done")
    assert await rows(engine, "SELECT id FROM complaint") == []


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_chit_chat_inside_a_story_is_answered_not_kept_over_wechat(
    wx: Client, engine: AsyncEngine, safe: bool
) -> None:
    follower = push(safe=safe)
    await say(wx, follower, follower.text(STORY))
    _, still = await say(wx, follower, follower.text("在吗"))
    assert "在的" in still
    _, where = await say(wx, follower, follower.text("好了"))
    assert "哪家店" in where
    _, again = await say(wx, follower, follower.text("？？？"))
    assert "在的" in again
    assert "哪家店" in again  # the question stands
    for answer in ("东门菜市场 12 号", "今天上午", "付了 50 元买 2 斤，只有 1 斤 8 两", "没拍", "王芳", "13800138000"):
        _, said = await say(wx, follower, follower.text(answer))
    assert "回复「提交」" in said
    assert "已收到，编号" in (await say(wx, follower, follower.text("提交")))[1]
    [case] = await rows(engine, "SELECT text FROM complaint")
    assert "在吗" not in case.text
    assert "？？？" not in case.text
    assert "地点：东门菜市场 12 号" in case.text


async def test_the_worry_that_the_merchant_learns_who_complained_is_answered_and_never_an_answer(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say("南门菜场买肉少了二两 要退钱")
    assert "什么时候" in await shopper.say("好了")
    worried = await shopper.say("你们会不会告诉老板是我投诉的")
    assert "不会告诉商家" in worried
    assert "可以选择举报" in worried  # the anonymous way, named
    assert "什么时候" in worried.rsplit("\n\n", 1)[-1]  # the question still stands
    assert "已加到您的说明里" not in await shopper.say("昨天")  # 「昨天」 answers it: the worry was not the time
    [draft] = await rows(engine, "SELECT draft FROM dialogue_state")
    stored = json.loads(draft.draft) if isinstance(draft.draft, str) else draft.draft
    assert stored["when"] == "昨天"
    assert "告诉老板" not in " ".join(stored["texts"])


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_the_worry_asked_first_makes_no_case_and_a_story_of_it_is_still_story(
    wx: Client, engine: AsyncEngine, safe: bool
) -> None:
    follower = push(safe=safe)
    _, answer = await say(wx, follower, follower.text("商家能看到我的电话吗"))
    assert "不会告诉商家" in answer
    assert await rows(engine, "SELECT id FROM complaint") == []
    _, told = await say(wx, follower, follower.text("老板知道是我投诉的就骂我"))
    assert "记下了" in told  # told, not asked: the story


async def test_the_worry_at_the_summary_shows_the_summary_again(shopper: Shopper) -> None:
    await to_summary(shopper)
    worried = await shopper.say("商家能看到我的电话吗")
    assert "不会告诉商家" in worried
    assert "请核对" in worried  # the summary again, with its buttons: nothing to scroll back for
    assert "submit" in shopper.keyboard()
