"""The intake dialogue as every channel shares it: driven through the running app's DialogueService, with the
events a platform adapter makes, over the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversation import Event, EventKind
from bot.service import prune_inbound
from tests.chat_support import Chat
from tests.staff_support import add_staff, token_for
from tests.support import NOW
from web.app import create_app
from web.auth.models import StaffRole
from web.keys import DIALOGUE
from web.settings import Settings

# No time or amounts in it, so each question is asked (tests/test_dialogue_facts.py tells a story that has them)
STORY = "在菜市场买了猪肉，回家一称少了不少，老板的秤肯定有问题，我要求退钱"


async def case_rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        result = await connection.execute(
            sa.text(
                "SELECT c.ref, c.channel, c.text, c.intent, c.category, c.instrument_id, k.name, k.phone, "
                "k.channel_user FROM complaint c JOIN complaintcontact k ON k.complaint_id = c.id ORDER BY c.id"
            )
        )
        return list(result)


async def test_a_complaint_from_first_word_to_reference(
    client: TestClient[Any, Any], engine: AsyncEngine, codes: dict[str, str]
) -> None:
    chat = Chat(client.app[DIALOGUE])
    assert "请用自己的话说说发生了什么" in await chat.send("你好")
    assert "说完了" in await chat.send(STORY)
    assert "记下了" in await chat.send("秤上的数字都不让我看")
    understood = await chat.send("好了")
    assert "投诉" in understood
    assert "缺斤短两" in understood
    assert "哪个摊位" in understood
    where = await chat.send(codes["valid"])
    assert "张记水产" in where
    assert "合格" in where
    assert "什么时候" in where
    assert "付了多少钱" in await chat.send("今天上午")
    assert "付了多少钱" in await chat.send("提交"), "the summary's word before the summary is not an answer"
    assert "照片" in await chat.send("付了30元买2斤，只有1.6斤")
    assert "第 1 张" in await chat.photo("tg-file-1")
    assert "怎么称呼" in await chat.send("好了")
    assert "手机号" in await chat.send("张三")
    assert "电话号码看起来不对" in await chat.send("不告诉你")
    assert chat.buttons() == ["skip"], "the refusal offers the 「跳过」 it names"
    summary = await chat.send("138 0013 8000")
    assert "138****8000" in summary
    assert "照片：1 张" in summary
    assert chat.buttons() == ["submit", "change", "cancel"]
    receipt = await chat.send("submit")  # a button's data
    assert "已收到，编号 JL20261123-0001" in receipt
    assert "南门市场监管所" in receipt
    assert chat.buttons()[0].startswith("http://fairweigh.test/c/JL20261123-0001?token=")

    [case] = await case_rows(engine)
    assert (case.channel, case.channel_user, case.name, case.phone) == ("telegram", "10001", "张三", "13800138000")
    assert case.text.startswith(STORY + "\n秤上的数字都不让我看\n")
    assert "时间：今天上午" in case.text
    assert "金额和分量：付了30元买2斤" in case.text
    assert case.instrument_id is not None
    async with engine.connect() as connection:
        photo = (await connection.execute(sa.text("SELECT channel, kind, payload FROM outbox"))).all()
    assert [(row.channel, row.kind) for row in photo] == [("telegram", "photo")]  # fetched by the worker
    # The dialogue is over: the next words start a new one.
    assert "记下了" in await chat.send("还有一件事，隔壁摊也一样")


async def test_a_redelivered_message_gets_the_first_answer_and_moves_nothing(client: TestClient[Any, Any]) -> None:
    chat = Chat(client.app[DIALOGUE])
    await chat.send(STORY)
    first = await chat.send("好了", key="update-7")
    again = await chat.send("好了", key="update-7")
    assert first == again
    assert "哪个摊位" in first
    assert "什么时候" in await chat.send("不知道")  # one step further, not two


async def test_a_report_may_stay_anonymous_and_changes_go_back_to_the_summary(
    client: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    chat = Chat(client.app[DIALOGUE])
    await chat.send("南门农贸市场12号摊的电子秤装了遥控器，作弊，请你们查处")
    understood = await chat.send("好了")
    assert "举报" in understood
    assert "匿名" in understood
    await chat.send("南门农贸市场12号")
    await chat.send("昨天")
    # Words at the photo step: the question again, with the button its words point to.
    assert "有照片吗" in await chat.send("照片等会儿再说")
    assert chat.buttons() == ["skip"]
    assert "请核对" in await chat.send("没有照片")
    assert "改哪一项" in await chat.send("修改")
    assert "什么时候" in await chat.send("fix:when")
    summary = await chat.send("前天下午")
    assert "时间：前天下午" in summary
    assert "请核对" in summary
    assert "姓名" not in summary
    assert "已收到" in await chat.send("1")
    [case] = await case_rows(engine)
    assert (case.intent, case.name, case.phone) == ("report", "", "")


async def test_words_added_at_the_summary_that_make_a_report_a_complaint_are_said_and_asked_for(
    client: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    chat = Chat(client.app[DIALOGUE])
    await chat.send("南门农贸市场12号摊的电子秤装了遥控器，作弊，请你们查处")
    assert "匿名" in await chat.send("好了")
    await chat.send("南门农贸市场12号")
    await chat.send("昨天")
    assert "请核对" in await chat.send("没有照片")
    # The shopper adds that they lost money themselves: now a complaint, which needs a name and a phone.
    changed = await chat.send("我买了两斤肉少了三两，要求老板退钱赔偿")
    assert "我的理解改为：投诉" in changed
    assert "请核对" not in changed
    assert "两斤 少了三两" in changed  # the amounts the added words carry are taken, and not asked for
    assert "怎么称呼" in changed.rsplit("\n\n", 1)[-1]
    await chat.send("付了40元买2斤，只有1斤7两")  # more amounts at the name question: kept in the story, not the name
    await chat.send("王芳")
    assert "请核对" in await chat.send("13800138000")
    receipt = await chat.send("提交")
    assert "还缺" not in receipt
    # A complaint about a tampered scale also opens a linked report for enforcement.
    [case] = [row for row in await case_rows(engine) if row.intent == "complaint"]
    assert (case.name, case.phone) == ("王芳", "13800138000")
    assert "要求老板退钱赔偿" in case.text
    assert "付了40元买2斤，只有1斤7两" in case.text


async def test_words_at_the_photo_question_join_the_account(client: TestClient[Any, Any], engine: AsyncEngine) -> None:
    chat = Chat(client.app[DIALOGUE])
    await chat.send("南门农贸市场12号摊的电子秤装了遥控器，作弊，请你们查处")
    await chat.send("好了")
    await chat.send("南门农贸市场12号")
    await chat.send("昨天")
    said = await chat.send("老板还把秤藏到柜台下面")
    assert said.startswith("记下了，已加到您的说明里。")
    assert "有照片吗" in said
    assert "老板还把秤藏到柜台下面" in await chat.send("没有照片")
    await chat.send("提交")
    [case] = await case_rows(engine)
    assert "老板还把秤藏到柜台下面" in case.text


async def test_an_inquiry_is_answered_at_once(client: TestClient[Any, Any], codes: dict[str, str]) -> None:
    chat = Chat(client.app[DIALOGUE])
    greeting = await chat.send(codes["valid"], kind=EventKind.start)
    assert "您扫的是下面这台器具" in greeting
    assert "张记水产" in greeting
    answer = await chat.send("请问这里的公平秤在哪里？我想复秤")  # no 好了 needed: a question is answered now
    assert "已收到" in answer
    assert "东门管理处旁" in answer
    assert "说完了" not in answer


async def test_codes_cases_help_and_cancel_work_at_any_point(
    client: TestClient[Any, Any], codes: dict[str, str]
) -> None:
    chat, stranger = Chat(client.app[DIALOGUE]), Chat(client.app[DIALOGUE], chat_user="20002")
    await chat.send(STORY)
    assert "已过期" in await chat.send(f"查 {codes['expired']}")
    assert "好像输错了一位" in await chat.send("查 ABCDE-12345")  # fails its check symbol: a slip, not a forgery
    assert "没有找到" in await chat.send("查 QWERTY-NOTHING-1")
    assert "进度 编号" in await chat.send("帮助")
    assert "已取消" in await chat.send("取消")
    assert "没有正在填写" in await chat.send("/cancel")
    receipt = await chat.send("公平秤在哪里？")
    ref = receipt.split("编号 ")[1].split("。")[0]
    assert f"编号 {ref}" in await chat.send(f"进度 {ref}")
    assert "没有找到您名下" in await stranger.send(f"/status {ref}")  # someone else's case stays private
    assert f"编号 {ref}" in await chat.send("进度")  # a bare 进度: the shopper's own cases (issue 13)
    assert ref not in await stranger.send("进度")
    assert "例如" in await chat.send("进度 12345")


async def test_language_follows_the_user(client: TestClient[Any, Any]) -> None:
    chat = Chat(client.app[DIALOGUE], chat_user="30003")
    assert "Tell me in your own words" in await chat.send(
        "I bought 2 kg of apples and the scale at the market gave me only 1.7 kg, I want my money back"
    )
    understood = await chat.send("done")
    assert "complaint" in understood
    assert "Which shop" in understood
    assert "好的，以后用中文" in await chat.send("中文")
    assert "什么时候" in await chat.send("don't know")
    # A greeting too short to tell ("Hi") leaves the language to the first real words.
    visitor = Chat(client.app[DIALOGUE], chat_user="30004")
    await visitor.send("Hi")
    assert "Noted" in await visitor.send("The fish stall scale showed 2 kg but I got much less")


async def test_a_dialogue_idle_for_a_day_pauses_politely_and_loses_nothing(
    aiohttp_client: Any, settings: Settings
) -> None:
    now = [NOW]
    client = await aiohttp_client(create_app(settings, clock=lambda: now[0]))
    chat = Chat(client.app[DIALOGUE])
    await chat.send(STORY)
    await chat.send("好了")
    now[0] = NOW + timedelta(hours=25)
    paused = await chat.send("我回来了，秤是南门市场12号的")
    assert "超过 24 小时" in paused
    assert "回家一称" in paused
    assert chat.buttons() == ["resume", "restart"]
    resumed = await chat.send("继续")
    assert "接着上次" in resumed
    assert "哪个摊位" in resumed
    summary_text = await chat.send("南门市场12号")
    assert "什么时候" in summary_text


async def test_a_flood_is_answered_once_and_nobody_else_waits(client: TestClient[Any, Any]) -> None:
    flooder, other = Chat(client.app[DIALOGUE], chat_user="66"), Chat(client.app[DIALOGUE], chat_user="77")
    answers = [await flooder.send(f"第{n}条：秤不准，秤不准，秤不准") for n in range(40)]
    assert all("记下了" in answer for answer in answers[:30])
    assert "发得太快" in answers[30]
    assert answers[31:] == [""] * 9
    assert "请用自己的话" in await other.send("你好")


async def test_two_app_instances_share_one_dialogue(
    aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime], engine: AsyncEngine
) -> None:
    first = await aiohttp_client(create_app(settings, clock=clock))
    second = await aiohttp_client(create_app(settings, clock=clock))
    one, two = Chat(first.app[DIALOGUE], chat_user="55"), Chat(second.app[DIALOGUE], chat_user="55")
    await one.send(STORY)
    assert "哪个摊位" in await two.send("好了")
    assert "什么时候" in await one.send("不知道")
    await two.send("今天")
    await one.send("跳过")
    await two.send("没有照片")
    await one.send("李四")
    assert "请核对" in await two.send("13900000000")
    assert "已收到" in await one.send("提交")
    assert len(await case_rows(engine)) == 1


@pytest.mark.parametrize("kind", [EventKind.voice, EventKind.unsupported])
async def test_what_the_bot_cannot_read_gets_a_polite_answer(client: TestClient[Any, Any], kind: EventKind) -> None:
    service = client.app[DIALOGUE]
    replies = await service.handle(Event(channel="wechat", chat_user="o-1", key="k1", kind=kind))
    assert replies
    assert "打字" in replies[0].text or "看不懂" in replies[0].text


async def test_the_shopper_rates_a_closed_case_in_the_chat(
    client: TestClient[Any, Any], engine: AsyncEngine, codes: dict[str, str]
) -> None:
    chat = Chat(client.app[DIALOGUE], chat_user="88")
    await chat.send(codes["valid"], kind=EventKind.start)
    for text in [STORY, "好了", "今天", "跳过", "没有照片", "王芳", "13800138000"]:
        await chat.send(text)
    ref = (await chat.send("提交")).split("编号 ")[1].split("。")[0]
    assert "还没有办结" in await chat.send(f"评价 {ref} 5")
    await add_staff(engine, "south", StaffRole.handler, "南门市场监管所")
    headers = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    for action in ({"action": "accept"}, {"action": "start_mediation"}, {"action": "resolve", "outcome": "refund"}):
        assert (await client.post(f"/api/v1/queue/{ref}/actions", json=action, headers=headers)).status == 200
    assert (await client.post(f"/api/v1/queue/{ref}/actions", json={"action": "close"}, headers=headers)).status == 200
    async with engine.connect() as connection:
        notices = (await connection.execute(sa.text("SELECT channel, kind FROM outbox ORDER BY id"))).all()
    assert [tuple(row) for row in notices] == [
        ("telegram", "accept"),
        ("telegram", "start_mediation"),
        ("telegram", "resolve"),
        ("telegram", "close"),
    ]
    thanks = await chat.send(f"rate:{ref}:5")  # the close notice's button
    assert "谢谢您的评价（5 分）" in thanks
    assert "还有什么想对我们说的" in thanks
    assert "转给处理单位" in await chat.send("调解员很耐心，谢谢")
    assert "已经评价过" in await chat.send(f"评价 {ref} 3")
    assert "没有找到需要您评价" in await chat.send("4")
    async with engine.connect() as connection:
        rated = (await connection.execute(sa.text("SELECT satisfaction, satisfaction_comment FROM complaint"))).one()
    assert tuple(rated) == (5, "调解员很耐心，谢谢")


async def test_message_ids_are_forgotten_after_a_week(client: TestClient[Any, Any], engine: AsyncEngine) -> None:
    chat = Chat(client.app[DIALOGUE])
    await chat.send(STORY, key="old")
    assert await prune_inbound(engine, before=NOW - timedelta(days=7)) == 0
    assert await prune_inbound(engine, before=NOW + timedelta(days=8)) == 1
    async with engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT count(*) FROM inbound_message"))).scalar_one() == 0


async def test_typing_a_cards_button_label_starts_a_complaint_about_it(
    client: TestClient[Any, Any], codes: dict[str, str]
) -> None:
    chat = Chat(client.app[DIALOGUE], channel="wechat", chat_user="o-typist")
    card = await chat.send(f"查 {codes['valid']}")
    [row] = chat.said[-1].buttons
    assert row[0].label.startswith("投诉 ")  # what WeChat, without buttons, tells the shopper to type
    assert "张记水产" in card
    greeting = await chat.send(row[0].label)
    assert "您扫的是下面这台器具" in greeting
    assert "记下了" in await chat.send("投诉 老板缺斤短两，我要退钱")  # words, not a code: the account
