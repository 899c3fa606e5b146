"""A story left untold is reminded once: half an hour after the shopper stopped, the worker's pass
(bot/outbound/reminders.py) queues a reminder that nothing was submitted, which the channel's sender delivers
(Telegram's fake Bot API, WeChat's fake customer-service API); the shopper then goes on where they stopped."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.outbound.reminders import remind_unfinished
from tests.fake_telegram import FakeTelegram
from tests.fake_wechat import FakeWeChat, push, say, wechat
from tests.outbox_support import FakeClock, deliver, outbox, worker_process
from tests.support import NOW
from tests.telegram_support import STORY, Shopper, deliver_outbox
from web.app import create_app
from web.db import for_writing
from web.settings import Settings
from web.views.bots.wechat import sender_for
from web.worker import ANSWER_ADDRESSES

Client = TestClient[Any, Any]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def reminders(engine: AsyncEngine, clock: FakeClock) -> int:
    """One pass of the worker's look for stories left untold, at the clock's time."""
    return await remind_unfinished(engine, for_writing(engine), now=clock(), addresses=ANSWER_ADDRESSES)


async def test_a_story_not_finished_is_reminded_once_with_its_words_and_the_way_on(
    shopper: Shopper, engine: AsyncEngine, bot_settings: Settings, clock: FakeClock
) -> None:
    await shopper.say(STORY)
    clock.now += timedelta(minutes=29)
    assert await reminders(engine, clock) == 0  # still typing, perhaps

    clock.now += timedelta(minutes=2)
    before = len(shopper.fake.sent(shopper.chat_id))
    assert await reminders(engine, clock) == 1
    assert await deliver_outbox(bot_settings, engine, clock) == 1
    [reminder] = shopper.fake.texts(shopper.chat_id)[before:]
    assert reminder.startswith("您刚才说的情况还没有提交，我们还没有收到")
    assert "在菜市场买了猪肉" in reminder
    assert "回复「好了」" in reminder
    assert "回复「取消」" in reminder
    assert shopper.keyboard() == ["done", "cancel"]

    clock.now += timedelta(hours=2)  # quiet again: one reminder is enough
    assert await reminders(engine, clock) == 0
    assert await deliver_outbox(bot_settings, engine, clock) == 0

    # The shopper comes back and goes on where they stopped.
    assert "是哪家店、哪个摊位或哪台器具？" in await shopper.tap("done")


async def test_a_question_left_unanswered_is_asked_again_with_the_reminder(
    shopper: Shopper, engine: AsyncEngine, bot_settings: Settings, clock: FakeClock
) -> None:
    await shopper.say(STORY)
    asked = await shopper.tap("done")
    assert "是哪家店、哪个摊位或哪台器具？" in asked
    clock.now += timedelta(minutes=45)

    before = len(shopper.fake.sent(shopper.chat_id))
    assert await reminders(engine, clock) == 1
    await deliver_outbox(bot_settings, engine, clock)
    reminder, question = shopper.fake.texts(shopper.chat_id)[before:]
    assert "还没有提交" in reminder
    assert "在菜市场买了猪肉" in reminder
    assert "回答下面的问题就能接着办" in reminder
    assert question in asked  # the question of the step, as it was asked
    assert question.startswith("是哪家店、哪个摊位或哪台器具？")
    assert shopper.keyboard() == ["skip"]

    # An answer to the question is taken as before: the next question follows.
    assert "什么时候" in await shopper.say("南门菜场12号摊")


async def test_nothing_is_reminded_without_a_story_nor_after_a_day_nor_once_submitted(
    shopper: Shopper, engine: AsyncEngine, bot_settings: Settings, clock: FakeClock, codes: dict[str, str]
) -> None:
    await shopper.say(f"/start {codes['valid']}")  # a scan: no story told
    clock.now += timedelta(hours=1)
    assert await reminders(engine, clock) == 0

    await shopper.say(STORY)
    clock.now += timedelta(hours=25)  # the dialogue pauses after a day; its own question waits for the shopper
    assert await reminders(engine, clock) == 0
    assert [row.kind for row in await outbox(engine)] == []

    other = Shopper(shopper.client, shopper.fake, chat_id=10002)
    await other.say("在吗")  # chit-chat is no story
    await other.say("取消")
    clock.now += timedelta(hours=1)
    assert await reminders(engine, clock) == 0


async def test_the_reminder_is_not_sent_when_the_telegram_channel_cannot_send(
    shopper: Shopper, engine: AsyncEngine, clock: FakeClock
) -> None:
    await shopper.say(STORY)
    clock.now += timedelta(hours=1)
    assert await remind_unfinished(engine, for_writing(engine), now=clock(), addresses={}) == 0
    assert await outbox(engine) == []


@pytest.fixture
def wechat_fake() -> FakeWeChat:
    return FakeWeChat()


async def test_a_wechat_follower_is_reminded_by_a_customer_service_message(
    aiohttp_client: Any, aiohttp_server: Any, wechat_fake: FakeWeChat, settings: Settings, engine: AsyncEngine
) -> None:
    server = await aiohttp_server(wechat_fake.app())
    configured = wechat(settings, wechat_api_url=str(server.make_url("")).rstrip("/"))
    clock = FakeClock(NOW)
    wx: Client = await aiohttp_client(create_app(configured, clock=clock))
    follower = push()
    status, said = await say(wx, follower, follower.text(STORY))
    assert status == 200
    assert "记下了" in said

    clock.now += timedelta(minutes=40)
    assert await reminders(engine, clock) == 1
    sender = sender_for(configured, engine, clock=clock)
    assert sender is not None
    assert await deliver(engine, {"wechat": sender}, clock) == 1
    [message] = wechat_fake.custom
    assert message["touser"] == follower.openid
    text = message["text"]["content"]
    assert text.startswith("您刚才说的情况还没有提交")
    assert "在菜市场买了猪肉" in text
    assert "回复「说完了」" in text  # WeChat has no buttons: the words to reply are named

    # 取消 after the reminder: nothing was submitted, and nothing more is reminded.
    later = replace(follower, now=clock().timestamp())
    status, said = await say(wx, later, later.text("取消"))
    assert "已取消" in said
    clock.now += timedelta(hours=1)
    assert await reminders(engine, clock) == 0


async def test_the_worker_command_reminds_a_story_left_half_an_hour_ago(
    aiohttp_client: Any, bot_settings: Settings, fake: FakeTelegram
) -> None:
    """`fairweigh worker` as deployed: its five-minute look runs at start, on the real clock."""
    half_an_hour_ago = FakeClock(datetime.now(UTC) - timedelta(minutes=31))
    shopper = Shopper(await aiohttp_client(create_app(bot_settings, clock=half_an_hour_ago)), fake)
    assert "记下了" in await shopper.say(STORY)

    assert bot_settings.telegram_token is not None
    extra = {
        "TELEGRAM_TOKEN": bot_settings.telegram_token.get_secret_value(),
        "TELEGRAM_API_URL": bot_settings.telegram_api_url,
    }
    async with worker_process(bot_settings, extra, output=True) as worker:
        async with asyncio.timeout(60):
            while not any("还没有提交" in text for text in fake.texts(shopper.chat_id)):  # noqa: ASYNC110 - another process
                await asyncio.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(worker.communicate(), 30)
    assert worker.returncode == 0, output.decode()
    assert "reminded 1 shopper(s) of stories not yet submitted" in output.decode()


async def test_two_workers_looking_at_once_send_one_reminder(
    shopper: Shopper, engine: AsyncEngine, bot_settings: Settings, clock: FakeClock
) -> None:
    await shopper.say(STORY)
    clock.now += timedelta(minutes=31)
    sent = await asyncio.gather(reminders(engine, clock), reminders(engine, clock))
    assert sorted(sent) == [0, 1]  # the dialogue's version lets one of them mark it
    assert [row.kind for row in await outbox(engine)] == ["chat_reply"]
