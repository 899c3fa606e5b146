"""What reaches a Telegram shopper later, through the outbox and `fairweigh worker`'s senders: the case's news,
the rating question after closing, chat photos fetched into the case, and answers that Telegram could not take
when they were given. Telegram is the fake Bot API (tests/fake_telegram.py), failing on demand."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import ComplaintPhoto, OutboxStatus
from lookup.models import table_of
from tests.fake_telegram import FakeTelegram
from tests.outbox_support import FakeClock, outbox
from tests.staff_support import SOUTH, add_staff, sign_in, token_for
from tests.support import NOW
from tests.telegram_support import Shopper, deliver_outbox, file_complaint, jpeg, with_telegram
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings

Client = TestClient[Any, Any]
REPORT = "南门农贸市场12号摊的电子秤装了遥控器，称东西作弊，请你们查处"


@pytest.fixture
async def handler(engine: AsyncEngine, codes: dict[str, str]) -> dict[str, str]:
    """A handler at the station of the seeded instruments, and the API headers that act as them."""
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    return {"Authorization": f"Bearer {await token_for(engine, 'south')}"}


async def act(bot: Client, handler: dict[str, str], ref: str, action: str, **facts: str) -> None:
    response = await bot.post(f"/api/v1/queue/{ref}/actions", json={"action": action, **facts}, headers=handler)
    assert response.status == 200, await response.text()


async def test_a_closed_case_asks_for_a_rating_with_buttons_and_takes_it(
    bot: Client,
    shopper: Shopper,
    handler: dict[str, str],
    bot_settings: Settings,
    engine: AsyncEngine,
    codes: dict[str, str],
) -> None:
    ref = await file_complaint(shopper, codes["valid"])
    agreed = {"outcome": "refund", "refund_yuan": "14", "message": "商家退还差价 14 元", "note": "商户当场认错"}
    for action, facts in (("accept", {}), ("start_mediation", {}), ("resolve", agreed), ("close", {})):
        await act(bot, handler, ref, action, **facts)
    before = len(shopper.fake.sent(shopper.chat_id))

    # One round per notice (a case's notices leave in order), back to back as `fairweigh worker` runs them.
    rounds = [await deliver_outbox(bot_settings, engine, FakeClock(NOW)) for _ in range(5)]
    assert rounds == [1, 1, 1, 1, 0]

    news = shopper.fake.texts(shopper.chat_id)[before:]
    assert news[0] == f"您的投诉 {ref} 已受理。"
    assert news[1].startswith(f"您的投诉 {ref} 已开始调解")
    assert news[2].startswith(f"您的投诉 {ref} 调解成功")
    assert "调解结果：退款/赔偿，为您挽回 14 元" in news[2]
    assert "商家退还差价 14 元" in news[2]
    assert "商户当场认错" not in news[2]  # the handler's note stays inside
    assert news[3].startswith(f"编号 {ref} 已办结。")
    assert "请点 1 到 5 分" in news[3]
    buttons = shopper.keyboard()
    assert buttons[:5] == [f"rate:{ref}:{n}" for n in range(1, 6)]
    assert buttons[5].startswith(f"http://fairweigh.test/c/{ref}?token=")

    assert "谢谢您的评价（5 分）" in await shopper.tap(f"rate:{ref}:5")
    async with engine.connect() as connection:
        rating = (await connection.execute(sa.text("SELECT satisfaction FROM complaint"))).scalar_one()
    assert rating == 5


async def test_a_telegram_outage_delays_a_notice_which_then_arrives_once(
    bot: Client,
    shopper: Shopper,
    fake: FakeTelegram,
    handler: dict[str, str],
    bot_settings: Settings,
    engine: AsyncEngine,
    codes: dict[str, str],
) -> None:
    ref = await file_complaint(shopper, codes["valid"])
    await act(bot, handler, ref, "accept")
    clock = FakeClock(NOW)
    fake.fail_next(1, status=503, method="sendMessage")
    fake.throttle_next(1, retry_after=30, method="sendMessage")
    fake.drop_next(1, method="sendMessage")
    errors = []
    for _ in range(3):
        assert await deliver_outbox(bot_settings, engine, clock) == 1
        [row] = [row for row in await outbox(engine) if row.kind == "accept"]
        assert row.status == OutboxStatus.pending
        errors.append(row.last_error)
        assert await deliver_outbox(bot_settings, engine, clock) == 0, "nothing is due before its backoff"
        clock.now = row.next_attempt_at
    assert errors == [
        "telegram unreachable or failing: Service Unavailable",
        "telegram asked to slow down (429 flood control)",
        "telegram unreachable or failing: cannot reach the Bot API (ServerDisconnectedError)",
    ]
    assert f"您的投诉 {ref} 已受理。" not in fake.texts(shopper.chat_id)
    waiting = await (await bot.get(f"/queue/{ref}", headers=handler)).text()
    assert "待发送（已试 3 次" in waiting  # the handler sees the notice has not reached the shopper, and why
    assert "cannot reach the Bot API" in waiting

    assert await deliver_outbox(bot_settings, engine, clock) == 1
    assert "已送达" in await (await bot.get(f"/queue/{ref}", headers=handler)).text()
    clock.now += timedelta(days=2)
    assert await deliver_outbox(bot_settings, engine, clock) == 0
    assert fake.texts(shopper.chat_id).count(f"您的投诉 {ref} 已受理。") == 1
    [row] = [row for row in await outbox(engine) if row.kind == "accept"]
    assert (row.status, row.attempts) == (OutboxStatus.sent, 4)
    assert ref not in row.last_error, "no personal data in the error"
    assert "10001" not in row.last_error


async def test_a_user_who_blocked_the_bot_fails_at_once(
    bot: Client,
    shopper: Shopper,
    fake: FakeTelegram,
    handler: dict[str, str],
    bot_settings: Settings,
    engine: AsyncEngine,
    codes: dict[str, str],
) -> None:
    ref = await file_complaint(shopper, codes["valid"])
    await act(bot, handler, ref, "accept")
    fake.fail_next(1, status=403, method="sendMessage")
    assert await deliver_outbox(bot_settings, engine, FakeClock(NOW)) == 1
    [row] = [row for row in await outbox(engine) if row.kind == "accept"]
    assert (row.status, row.attempts) == (OutboxStatus.failed, 1)
    assert row.last_error == "telegram refused the message: Forbidden: bot was blocked by the user"


async def test_chat_photos_are_fetched_into_the_case_by_the_worker(
    shopper: Shopper, fake: FakeTelegram, bot_settings: Settings, engine: AsyncEngine
) -> None:
    fake.files["tg-photo-1"] = jpeg("red")
    fake.files["tg-photo-2"] = b"this is not a picture"
    # The caption is the shopper's first words; the photo joins them.
    said = await shopper.photo("tg-photo-1", caption=REPORT)
    assert "记下了" in said
    assert "照片收到了（第 1 张）" in said
    assert "第 2 张" in await shopper.photo("tg-photo-2")
    assert "举报可以匿名" in await shopper.tap("done")
    await shopper.say("南门农贸市场12号")
    assert "请核对" in await shopper.say("昨天"), "no question about photos: there are some"
    assert "已收到" in await shopper.tap("submit")
    assert not fake.called("getFile"), "the answer did not wait for a download"

    assert await deliver_outbox(bot_settings, engine, FakeClock(NOW)) == 2

    rows = {row.payload["media"]: row for row in await outbox(engine) if row.kind == "photo"}
    assert rows["tg-photo-1"].status == OutboxStatus.sent
    assert (rows["tg-photo-2"].status, rows["tg-photo-2"].last_error) == (
        OutboxStatus.failed,
        "the photo cannot be kept: not_an_image",
    )
    async with engine.connect() as connection:
        photos = (await connection.execute(sa.select(table_of(ComplaintPhoto)))).all()
        case_id = (await connection.execute(sa.text("SELECT id FROM complaint WHERE intent = 'report'"))).scalar()
    assert [(photo.complaint_id, photo.content_type, photo.width, photo.height) for photo in photos] == [
        (case_id, "image/jpeg", 64, 48)
    ]


async def test_a_photo_sent_after_the_receipt_joins_that_case_and_the_handler_sees_it(
    shopper: Shopper, fake: FakeTelegram, bot_settings: Settings, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    ref = await file_complaint(shopper, codes["valid"])
    fake.files["tg-photo-late"] = jpeg("blue")
    said = await shopper.photo("tg-photo-late")
    assert f"照片已加到 {ref}" in said
    assert "请用自己的话" not in said  # not the start of a new story

    assert await deliver_outbox(bot_settings, engine, FakeClock(NOW)) >= 1
    async with engine.connect() as connection:
        cases = (await connection.execute(sa.text("SELECT id, ref FROM complaint"))).all()
        photos = (await connection.execute(sa.select(table_of(ComplaintPhoto)))).all()
        events = (await connection.execute(sa.text("SELECT action, public FROM complaintevent"))).all()
    assert [case.ref for case in cases] == [ref]  # no new case made of the photo
    assert [photo.complaint_id for photo in photos] == [cases[0].id]
    assert ("photo_added", True) in [(event.action, bool(event.public)) for event in events]

    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(shopper.client, "south")
    page = await (await shopper.client.get(f"/queue/{ref}")).text()
    assert "消费者补充了照片" in page


async def test_answers_telegram_cannot_take_wait_in_the_outbox_in_order(
    shopper: Shopper, fake: FakeTelegram, bot_settings: Settings, engine: AsyncEngine
) -> None:
    fake.fail_next(1, status=502, method="sendMessage")
    response = await shopper.post(shopper.message(text=REPORT))
    assert response.status == 200, "Telegram must not redeliver: the answer is kept"
    assert not fake.texts()
    [row] = await outbox(engine)
    assert (row.channel, row.kind, row.payload["chat_id"]) == ("telegram", "chat_reply", shopper.chat_id)

    assert await deliver_outbox(bot_settings, engine, FakeClock(NOW)) == 1
    greeting, acknowledgement = fake.texts(shopper.chat_id)
    assert greeting.startswith("您好！")
    assert acknowledgement.startswith("记下了")
    assert shopper.keyboard() == ["done"]
    assert await deliver_outbox(bot_settings, engine, FakeClock(NOW + timedelta(days=1))) == 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_answers_survive_telegram_refusing_connections(
    aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime], fake: FakeTelegram, engine: AsyncEngine
) -> None:
    down = with_telegram(settings, f"http://127.0.0.1:{_closed_port()}")
    client: Client = await aiohttp_client(create_app(down, clock=clock))
    shopper = Shopper(client, fake)
    assert (await shopper.post(shopper.message(text=REPORT))).status == 200
    [row] = await outbox(engine)
    assert row.kind == "chat_reply"
    assert set(row.payload) == {"chat_id", "answers", "sent"}  # the stored answers by name: no words copied
    assert row.payload["sent"] == 0
