"""The Telegram bot over HTTP, as Telegram drives it: updates POSTed to `/bot/telegram` with the secret header,
answers read from a fake Bot API server (tests/fake_telegram.py), over the real database (SQLite and PostgreSQL).
Notices, photos and the outbox: test_telegram_outbox.py; the command line: test_telegram_cli.py."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.telegram import messages_of
from bot.conversation import Button, Reply
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import SECRET, STORY, Shopper, with_telegram
from web.app import create_app
from web.settings import Settings
from web.views.bots.telegram import PATH, SECRET_HEADER

Client = TestClient[Any, Any]


async def cases(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        result = await connection.execute(
            sa.text(
                "SELECT c.ref, c.channel, c.text, c.intent, c.instrument_id, k.name, k.phone, k.channel_user "
                "FROM complaint c JOIN complaintcontact k ON k.complaint_id = c.id ORDER BY c.id"
            )
        )
        return list(result)


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_a_complaint_from_first_word_to_reference_over_the_webhook(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    assert "请用自己的话说说发生了什么" in await shopper.say("你好")
    assert "说完了" in await shopper.say(STORY)
    assert shopper.keyboard() == ["done"]
    understood = await shopper.tap("done")
    assert shopper.responses[-1].status == 200
    assert (await shopper.responses[-1].json())["method"] == "answerCallbackQuery", "the spinner stops"
    assert "缺斤短两" in understood
    assert "哪个摊位" in understood
    where = await shopper.say(codes["valid"])
    assert "张记水产" in where
    assert "什么时候" in where
    assert "付了多少钱" in await shopper.say("今天上午")
    assert "有照片吗" in await shopper.say("付了30元买2斤，只有1.6斤")
    assert "没有照片" in str(shopper.fake.sent(shopper.chat_id)[-1]["reply_markup"])
    assert "怎么称呼" in await shopper.tap("skip")
    assert "手机号" in await shopper.say("张三")
    summary = await shopper.say("138 0013 8000")
    assert "138****8000" in summary
    assert shopper.keyboard() == ["submit", "change", "cancel"]
    receipt = await shopper.tap("submit")
    assert "已收到，编号 JL20261123-0001" in receipt
    assert "南门市场监管所" in receipt
    [link] = shopper.keyboard()
    assert link.startswith("http://fairweigh.test/c/JL20261123-0001?token=")

    [case] = await cases(engine)
    assert (case.channel, case.channel_user, case.name, case.phone) == ("telegram", "10001", "张三", "13800138000")
    assert case.text.startswith(STORY)
    assert "时间：今天上午" in case.text
    assert "金额和分量：付了30元买2斤，只有1.6斤" in case.text
    assert case.instrument_id is not None


async def test_a_deep_link_from_the_lookup_page_starts_with_the_instrument_known(
    shopper: Shopper, codes: dict[str, str]
) -> None:
    greeting = await shopper.say(f"/start {codes['valid']}")
    assert "您扫的是下面这台器具" in greeting
    assert "张记水产" in greeting
    await shopper.say(STORY)
    asked = await shopper.tap("done")
    assert "什么时候" in asked
    assert "哪个摊位" not in asked, "the instrument came with the link"


async def test_language_follows_the_telegram_user(bot: Client, fake: FakeTelegram) -> None:
    visitor = Shopper(bot, fake, chat_id=20002, language_code="en-GB")
    assert "Tell me in your own words" in await visitor.say("/start")


async def test_a_redelivered_update_is_one_step_answered_once(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say(STORY)
    done = shopper.button("done")
    first = await shopper.deliver(done)
    again = await shopper.deliver(done)
    assert "哪个摊位" in first
    assert again == "", "the first delivery's answer was sent; a redelivery sends nothing"
    assert "什么时候" in await shopper.tap("skip"), "one step further, not two"
    assert await count(engine, "inbound_message") == 3


async def test_a_dialogue_spans_two_app_instances_on_one_database(
    aiohttp_client: Any,
    bot_settings: Settings,
    clock: Callable[[], datetime],
    fake: FakeTelegram,
    engine: AsyncEngine,
    codes: dict[str, str],
) -> None:
    first: Client = await aiohttp_client(create_app(bot_settings, clock=clock))
    second: Client = await aiohttp_client(create_app(bot_settings, clock=clock))
    shopper = Shopper(first, fake)
    instances = [first, second]
    steps = [("say", STORY), ("say", "秤上的数字都不让我看"), ("tap", "done"), ("say", codes["valid"]),
             ("say", "昨天傍晚"), ("say", "付了40元买2斤"), ("tap", "skip"), ("say", "李四"),
             ("say", "13900139000")]  # fmt: skip
    for n, (how, words) in enumerate(steps):
        client = instances[n % 2]
        await (shopper.say(words, client=client) if how == "say" else shopper.tap(words, client=client))
    assert "请核对" in shopper.fake.texts(shopper.chat_id)[-1]
    assert "已收到，编号" in await shopper.tap("submit", client=second)
    [case] = await cases(engine)
    assert case.text.startswith(f"{STORY}\n秤上的数字都不让我看\n")
    assert "时间：昨天傍晚" in case.text
    assert (case.name, case.phone, case.channel_user) == ("李四", "13900139000", "10001")


async def test_stickers_and_voice_are_answered_politely(shopper: Shopper) -> None:
    assert "请发文字或照片" in await shopper.deliver(shopper.message(sticker={
        "file_id": "st", "file_unique_id": "st", "type": "regular", "width": 512, "height": 512,
        "is_animated": False, "is_video": False}))  # fmt: skip
    voice = {"file_id": "v", "file_unique_id": "v", "duration": 3}
    assert "请打字告诉我" in await shopper.deliver(shopper.message(voice=voice))


async def test_a_forged_secret_is_refused(bot: Client, shopper: Shopper, engine: AsyncEngine) -> None:
    update = shopper.message(text=STORY)
    for headers in ({SECRET_HEADER: "not-the-secret"}, {SECRET_HEADER: SECRET[:-1]}, {}):
        response = await bot.post(PATH, json=update, headers=headers)
        assert response.status == 403
    assert await count(engine, "inbound_message") == 0
    assert not shopper.fake.sent()


@pytest.mark.parametrize("body", [b"{not json", b'["update_id", 1]', b'{"message": {}}', b"\xff\xfe",
                                  b'{"update_id": 5, "message": {"text": "no chat"}}',
                                  b'{"update_id": 5, "message": {"chat": {"id": "7", "type": "private"}}}',
                                  b'{"update_id": true, "message": {"chat": {"id": 7, "type": "private"}}}',
                                  b'{"update_id": 5, "callback_query": {"id": "q", "data": "done"}}'])  # fmt: skip
async def test_malformed_bodies_are_400(bot: Client, body: bytes, engine: AsyncEngine) -> None:
    response = await bot.post(PATH, data=body, headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
    assert response.status == 400
    assert (await response.json())["error"] == "malformed_update"
    assert await count(engine, "inbound_message") == 0


async def test_a_ten_megabyte_body_is_413_without_a_stack_trace(bot: Client) -> None:
    body = b'{"update_id": 1, "message": {"text": "' + b"x" * (10 * 1024 * 1024) + b'"}}'
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    response = await bot.post(PATH, data=io.BytesIO(body), headers=headers)  # streamed, as a client sends it
    assert response.status == 413
    answer = await response.json()
    assert answer["status"] == 413
    assert "Traceback" not in str(answer)


async def test_updates_that_are_not_messages_are_acknowledged_and_not_stored(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    chat = {"id": shopper.chat_id, "type": "private", "first_name": "小王"}
    group = {"id": -100123, "type": "supergroup", "title": "市场群"}
    user = {"id": shopper.chat_id, "is_bot": False, "first_name": "小王"}
    member = {"user": {"id": 4242, "is_bot": True, "first_name": "Fairweigh"}, "status": "kicked",
              "until_date": 0}  # fmt: skip
    updates = [
        {"update_id": 1, "edited_message": {"message_id": 1, "date": 1, "edit_date": 2, "chat": chat, "text": "x"}},
        {
            "update_id": 2,
            "my_chat_member": {
                "chat": chat,
                "from": user,
                "date": 1,
                "old_chat_member": {"user": member["user"], "status": "member"},
                "new_chat_member": member,
            },
        },
        {"update_id": 3, "channel_post": {"message_id": 1, "date": 1, "chat": {"id": -1001, "type": "channel"}}},
        {"update_id": 4, "message": {"message_id": 2, "date": 1, "chat": group, "from": user, "text": STORY}},
        {
            "update_id": 5,
            "poll": {
                "id": "p",
                "question": "?",
                "options": [],
                "total_voter_count": 0,
                "is_closed": True,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
            },
        },
        {"update_id": 6, "something_new": {"id": 1}},
    ]
    for update in updates:
        response = await shopper.post(update)
        assert response.status == 200, update
    assert await count(engine, "inbound_message") == 0
    assert await count(engine, "dialogue_state") == 0
    assert not shopper.fake.sent()


async def test_a_flood_gets_one_polite_answer_and_spares_other_users(
    bot: Client, shopper: Shopper, fake: FakeTelegram
) -> None:
    neighbour = Shopper(bot, fake, chat_id=30003)
    assert "请用自己的话说说" in await neighbour.say("你好")
    for n in range(1000):
        await shopper.post(shopper.message(text=f"刷屏 {n}"))
        if n == 500:
            assert "记下了" in await neighbour.say(STORY), "another user's dialogue goes on"
    assert all(response.status == 200 for response in shopper.responses)
    texts = fake.texts(shopper.chat_id)
    flood = "您发得太快了，请稍等一分钟再发。刚才这些消息暂时没有处理。"
    # The first 30 of the minute were taken (the first, short as it is, with a greeting: short words that are not
    # chit-chat are kept), the 31st told to wait.
    assert texts[0].startswith("您好！")
    assert all(text.startswith("记下了") for text in texts[1:31])
    assert texts[31:] == [flood]
    assert "缺斤短两" in await neighbour.tap("done")


async def test_the_webhook_is_off_without_its_secret(
    aiohttp_client: Any, settings: Settings, api: TestServer, clock: Callable[[], datetime], caplog: Any
) -> None:
    caplog.set_level("INFO")
    client: Client = await aiohttp_client(create_app(with_telegram(settings, str(api.make_url("")), secret=None)))
    response = await client.post(PATH, json={"update_id": 1}, headers={SECRET_HEADER: ""})
    assert response.status == 404
    assert "TELEGRAM_WEBHOOK_SECRET is not set: the Telegram webhook is OFF" in caplog.text


def test_replies_become_messages_telegram_accepts() -> None:
    long = "\n".join(f"第 {n} 行：" + "很长的说明" * 20 for n in range(100))
    reply = Reply(long, ((Button("好", data="done"), Button("太长", data="x" * 65)),
                         (Button("查看", url="http://localhost:8080/c/JL1?token=t"),)))  # fmt: skip
    messages = messages_of(reply)
    assert len(messages) > 1
    assert all(len(text) <= 4096 for text, _ in messages)
    assert (
        "".join(text for text, _ in messages).replace("\n", "")
        == long.replace("\n", "") + "查看: http://localhost:8080/c/JL1?token=t"
    )
    assert [keyboard for _, keyboard in messages[:-1]] == [None] * (len(messages) - 1)
    keyboard = messages[-1][1]
    assert keyboard is not None
    assert [[button["callback_data"] for button in row] for row in keyboard["inline_keyboard"]] == [["done"]]
