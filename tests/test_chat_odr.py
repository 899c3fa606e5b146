"""ODR in the chat (商家先行协商), on Telegram and WeChat: a complainant of a merchant taking part in ODR is asked, once
before the summary, whether the merchant may settle first (never a 举报, never about a merchant not taking part);
agreed, the case is with the merchant and out of the station's queue; declined, it is a complaint like any other.
The merchant's proposal reaches the chat with the words that answer it: 「接受 REF」 settles the case, 「不接受 REF」
hands it to the station, and nobody else's chat can answer it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import ANSWERS, REF, FakeWeChat, push, say, wechat
from tests.outbox_support import FakeClock, deliver
from tests.support import NOW, code_of, ledger_row, make_uscc, seed
from tests.telegram_support import STORY, Shopper, deliver_outbox
from tests.test_odr import _odr_merchant, _propose
from web.app import create_app
from web.settings import Settings
from web.views.bots.wechat import sender_for

Client = TestClient[Any, Any]
OFFER = "要不要先由商家协商解决？商家须在 10 个工作日内联系您；不成再转市场监管所"
AGREED = "处理方式：先由商家协商（10 个工作日内联系您，不成再转市场监管所）"
DIRECT = "处理方式：直接交市场监管所"
REPORT = "南门农贸市场12号摊的电子秤装了遥控器，称东西作弊，请你们查处"


@pytest.fixture
async def odr(bot: Client, engine: AsyncEngine) -> tuple[str, str]:
    """张记水产 takes part in ODR: (its merchant link, its instrument's code)."""
    return await _odr_merchant(bot, engine)


async def _other_merchant(engine: AsyncEngine) -> str:
    """An instrument of 李记肉铺, which does not take part in ODR."""
    await seed(engine, ledger_row(serial_no="L-1", merchant="李记肉铺", uscc=make_uscc(2), stall="3号摊位"))
    return await code_of(engine, "L-1")


async def _tell(shopper: Shopper, code: str, story: str = STORY) -> str:
    """From the instrument's deep link to the last question's answer; what the bot said since the story."""
    await shopper.say(f"/start {code}")
    said = [await shopper.say(story), await shopper.tap("done")]
    while "投诉需要留下姓名" not in said[-1] and "请核对" not in said[-1] and len(said) < 8:
        said.append(await shopper.tap("skip"))
    if "投诉需要留下姓名" in said[-1]:
        said.append(await shopper.say("王芳"))
        said.append(await shopper.say("13800138000"))
    return "\n".join(said)


async def _receipt_ref(said: str) -> str:
    assert "已收到，编号 " in said, said
    return said.split("已收到，编号 ", 1)[1][:15]


async def _case(engine: AsyncEngine, ref: str) -> Any:
    async with engine.connect() as connection:
        query = (
            "SELECT c.status, c.accept_due, o.outcome FROM complaint c LEFT JOIN odr_case o ON o.complaint_id = c.id "
        )
        return (await connection.execute(sa.text(query + "WHERE c.ref = :ref"), {"ref": ref})).one()


async def _agreed_case(shopper: Shopper, code: str) -> str:
    offered = await _tell(shopper, code)
    assert OFFER in offered
    assert shopper.keyboard() == ["settle:yes", "settle:no"]
    summary = await shopper.tap("settle:yes")
    assert AGREED in summary
    receipt = await shopper.tap("submit")
    assert "已交商家先行协商：商家须在 2026-12-07 前联系您" in receipt  # 10 working days from Monday 23 November
    assert "受理决定最迟" not in receipt
    return await _receipt_ref(receipt)


async def test_agreed_the_case_is_with_the_merchant_and_accepting_the_proposal_in_the_chat_settles_it(
    bot: Client, shopper: Shopper, odr: tuple[str, str], engine: AsyncEngine, bot_settings: Settings
) -> None:
    link, code = odr
    ref = await _agreed_case(shopper, code)
    case = await _case(engine, ref)
    assert (case.status, case.accept_due, case.outcome) == ("with_merchant", None, "")
    status = await shopper.say(f"进度 {ref}")
    assert "商家协商中" in status
    assert "商家须在 2026-12-07 前和您协商，还剩 10 个工作日" in status

    await _propose(bot, link, "退还差价 20 元并当面道歉", "20")
    before = len(shopper.fake.sent(shopper.chat_id))
    assert await deliver_outbox(bot_settings, engine, FakeClock(NOW)) == 1
    [notice] = shopper.fake.texts(shopper.chat_id)[before:]
    assert notice.startswith(f"商家对您的投诉 {ref} 提出了和解方案：\n退还差价 20 元并当面道歉\n退款：20 元")
    assert f"接受请回复「接受 {ref}」" in notice
    assert shopper.keyboard()[:2] == [f"接受 {ref}", f"不接受 {ref}"]

    assert f"投诉 {ref} 已由商家和解" in await shopper.tap(f"接受 {ref}")
    assert tuple(await _case(engine, ref))[::2] == ("resolved", "settled")
    assert "现在没有待您答复的和解方案" in await shopper.say(f"不接受 {ref}")  # answered once


async def test_declined_the_complaint_goes_to_the_station_queue_as_usual(
    shopper: Shopper, odr: tuple[str, str], engine: AsyncEngine
) -> None:
    _, code = odr
    assert OFFER in await _tell(shopper, code)
    assert OFFER in await shopper.say("嗯？")  # neither yes nor no: asked again
    assert DIRECT in await shopper.say("不用，直接交监管所吧")
    ref = await _receipt_ref(await shopper.tap("submit"))
    case = await _case(engine, ref)
    assert (case.status, case.outcome) == ("received", None)
    assert case.accept_due is not None
    assert "商家协商中" not in await shopper.say(f"进度 {ref}")


async def test_the_choice_can_be_changed_at_the_summary(shopper: Shopper, odr: tuple[str, str]) -> None:
    _, code = odr
    await _tell(shopper, code)
    assert AGREED in await shopper.say("可以")
    await shopper.tap("change")
    assert "fix:settle" in shopper.keyboard()
    assert OFFER in await shopper.tap("fix:settle")
    changed = await shopper.tap("settle:no")
    assert DIRECT in changed
    assert AGREED not in changed


async def test_a_report_and_a_complaint_about_a_merchant_not_in_odr_are_not_offered(
    shopper: Shopper, odr: tuple[str, str], engine: AsyncEngine
) -> None:
    _, code = odr
    report = await _tell(shopper, code, REPORT)
    assert "请核对" in report
    assert OFFER not in report
    await shopper.tap("cancel")
    other = await _tell(shopper, await _other_merchant(engine))
    assert OFFER not in other
    assert "处理方式" not in other
    ref = await _receipt_ref(await shopper.tap("submit"))
    assert (await _case(engine, ref)).status == "received"


async def test_refusing_hands_the_case_to_the_station_and_another_chat_cannot_answer(
    bot: Client, shopper: Shopper, odr: tuple[str, str], engine: AsyncEngine, bot_settings: Settings
) -> None:
    link, code = odr
    ref = await _agreed_case(shopper, code)
    await _propose(bot, link, "送您一斤排骨", "")
    assert await deliver_outbox(bot_settings, engine, FakeClock(NOW)) == 1

    stranger = Shopper(bot, shopper.fake, chat_id=20002)
    assert f"没有找到您在这里提交的 {ref}" in await stranger.say(f"不接受 {ref}")
    assert f"没有找到您在这里提交的 {ref}" in await stranger.say(f"接受 {ref}")
    assert (await _case(engine, ref)).status == "with_merchant"

    assert f"投诉 {ref} 已转市场监管所处理" in await shopper.say(f"不接受 {ref}")
    case = await _case(engine, ref)
    assert (case.status, case.outcome) == ("received", "refused")
    assert case.accept_due is not None


@pytest.fixture
def wechat_api() -> FakeWeChat:
    return FakeWeChat()


@pytest.fixture
async def wx_settings(aiohttp_server: Any, wechat_api: FakeWeChat, settings: Settings) -> Settings:
    server = await aiohttp_server(wechat_api.app())
    return wechat(settings, wechat_api_url=str(server.make_url("")).rstrip("/"), wechat_template_id="TPL-progress")


@pytest.mark.parametrize("hours_later", [1, 49], ids=["within_48_hours", "after_48_hours"])
async def test_on_wechat_the_offer_is_words_and_the_proposal_is_accepted_by_reply(
    bot: Client, odr: tuple[str, str], aiohttp_client: Any, wx_settings: Settings, wechat_api: FakeWeChat,
    engine: AsyncEngine, hours_later: int,
) -> None:  # fmt: skip
    """Past WeChat's 48 hours the proposal can only go as a template message: the words that answer it are in its
    remark (a new-style template has none), and its link opens the case's page, where the same choice is offered."""
    link, _ = odr
    wx: Client = await aiohttp_client(create_app(wx_settings, clock=lambda: NOW))
    follower = push()
    # No instrument scanned: the words name the merchant, and the case routes to it.
    _, said = await say(wx, follower, follower.text("在南门农贸市场张记水产买的排骨，秤不准少了二两，我要求退钱"))
    _, said = await say(wx, follower, follower.text("说完了"))
    answers = (*ANSWERS, ("要不要先由商家协商", "好"))
    for _ in range(len(answers) + 1):
        if "回复「提交」" in said:
            break
        question = said.rsplit("\n\n", 1)[-1]
        if "要不要先由商家协商" in question:
            assert "回复「同意商家先协商」「不用，直接交监管所」" in question
        _, said = await say(wx, follower, follower.text(next(a for opening, a in answers if opening in question)))
    assert AGREED in said
    _, said = await say(wx, follower, follower.text("提交"))
    found = REF.search(said)
    assert found is not None, said
    ref = found.group(0)
    assert (await _case(engine, ref)).status == "with_merchant"

    await _propose(bot, link, "退还差价 20 元", "20")
    clock = FakeClock(NOW + timedelta(hours=hours_later))
    sender = sender_for(wx_settings, engine, clock=clock)
    assert sender is not None
    assert await deliver(engine, {"wechat": sender}, clock) == 1
    if hours_later < 48:
        [message] = wechat_api.custom
        assert message["text"]["content"].startswith(f"商家对您的投诉 {ref} 提出了和解方案")
        assert f"回复「接受 {ref}」「不接受 {ref}」" in message["text"]["content"]
    else:
        [template] = wechat_api.templates
        assert template["data"]["first"]["value"].startswith(f"商家对您的投诉 {ref} 提出了和解方案")
        assert f"接受请回复「接受 {ref}」，不接受请回复「不接受 {ref}」" in template["data"]["remark"]["value"]
        assert template["url"].startswith(f"http://fairweigh.test/c/{ref}?token="), template["url"]

    _, said = await say(wx, follower, follower.text(f"接受 {ref}"))
    assert f"投诉 {ref} 已由商家和解" in said
    assert tuple(await _case(engine, ref))[::2] == ("resolved", "settled")
