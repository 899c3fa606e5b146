"""The WeChat channel's outbox sender against a fake WeChat API: notices inside and after the 48-hour window,
outages, the shared access token, and chat photos fetched into their case."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.wechat_api import parse_template_fields
from complaints.cases import take_action
from complaints.models import Complaint, ComplaintPhoto, OutboxStatus
from complaints.outbox.senders import Sender
from complaints.workflow import Role
from lookup.models import table_of
from tests.fake_wechat import (
    ACCOUNT_TEXT,
    CUSTOM_PATH,
    MEDIA_PATH,
    TEMPLATE_PATH,
    TOKEN_PATH,
    FakeWeChat,
    WeChatPush,
    file_case,
    jpeg,
    push,
    say,
    wechat,
)
from tests.outbox_support import FakeClock, deliver, outbox
from tests.support import NOW
from web.app import create_app
from web.db import for_writing
from web.settings import Settings
from web.views.bots.wechat import sender_for

TEMPLATE = "TPL-case-progress"


@pytest.fixture
def fake() -> FakeWeChat:
    return FakeWeChat()


@pytest.fixture
async def configured(aiohttp_server: Any, fake: FakeWeChat, settings: Settings) -> Settings:
    server = await aiohttp_server(fake.app())
    return wechat(settings, wechat_api_url=str(server.make_url("")).rstrip("/"), wechat_template_id=TEMPLATE)


@pytest.fixture
async def wx(aiohttp_client: Any, configured: Settings) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(configured, clock=lambda: NOW))
    return client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def senders(configured: Settings, engine: AsyncEngine, clock: FakeClock) -> dict[str, Sender]:
    sender = sender_for(configured, engine, clock=clock)
    assert sender is not None
    return {"wechat": sender}


async def filed(
    wx: TestClient[Any, Any], engine: AsyncEngine, shopper: WeChatPush | None = None, *, photo: str = ""
) -> tuple[int, str]:
    """A case filed over the webhook (at NOW), accepted by its station: (case id, reference)."""
    ref = await file_case(wx, shopper or push(), ACCOUNT_TEXT, photo=photo)
    async with engine.connect() as connection:
        case_id = (
            await connection.execute(sa.select(table_of(Complaint).c.id).where(table_of(Complaint).c.ref == ref))
        ).scalar_one()
    return case_id, ref


async def act(engine: AsyncEngine, case_id: int, action: str, **facts: object) -> None:
    async with for_writing(engine).begin() as connection:
        await take_action(connection, case_id, action, role=Role.handler, actor_id=None, facts=facts, now=NOW)


async def test_within_48_hours_a_notice_is_a_customer_service_message(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, ref = await filed(wx, engine)
    await act(engine, case_id, "accept")
    clock.now = NOW + timedelta(hours=47)

    assert await deliver(engine, senders(configured, engine, clock), clock) == 1

    [message] = fake.custom
    assert message["touser"] == push().openid
    assert message["msgtype"] == "text"
    assert message["text"]["content"].startswith(f"您的投诉 {ref} 已受理。")
    assert f'<a href="http://fairweigh.test/c/{ref}?token=' in message["text"]["content"]
    assert fake.templates == []
    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent]


async def test_after_48_hours_a_notice_is_a_template_message_and_the_rating_question_too(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, ref = await filed(wx, engine)
    await act(engine, case_id, "decline", ground="missing_facts", note="缺少摊位信息")
    await act(engine, case_id, "close")
    clock.now = NOW + timedelta(hours=49)

    wechat_senders = senders(configured, engine, clock)
    # One round per notice (a case's notices leave in order), back to back as `fairweigh worker` runs them.
    assert [await deliver(engine, wechat_senders, clock) for _ in range(3)] == [1, 1, 0]

    assert fake.custom == []
    declined, closed = fake.templates
    assert (declined["touser"], declined["template_id"]) == (push().openid, TEMPLATE)
    assert declined["data"]["keyword1"] == {"value": ref}
    assert declined["data"]["first"]["value"].startswith(f"您的投诉 {ref} 不予受理。")
    assert declined["url"].startswith(f"http://fairweigh.test/c/{ref}?token=")
    assert "请点 1 到 5 分" in closed["data"]["keyword2"]["value"] + closed["data"]["remark"]["value"]

    # The shopper answers the rating question: the case is rated, and the window is open again.
    status, said = await say(wx, push(), push().text("5"))
    assert status == 200
    assert said.startswith("谢谢您的评价（5 分）！")
    async with engine.connect() as connection:
        rated = (await connection.execute(sa.select(table_of(Complaint).c.satisfaction))).scalar_one()
    assert rated == 5


async def test_without_a_template_a_late_notice_waits_for_the_shopper_to_write(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, _ = await filed(wx, engine)
    await act(engine, case_id, "accept")
    clock.now = NOW + timedelta(days=3)
    untemplated = configured.model_copy(update={"wechat_template_id": ""})

    assert await deliver(engine, senders(untemplated, engine, clock), clock) == 1

    [row] = await outbox(engine)
    assert row.status == OutboxStatus.pending
    assert "WECHAT_TEMPLATE_ID is not set" in row.last_error
    assert fake.custom == fake.templates == []


async def test_a_window_refusal_falls_back_to_the_template(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, _ = await filed(wx, engine)
    await act(engine, case_id, "accept")
    fake.fail_next(CUSTOM_PATH, errcode=45015)  # WeChat's clock disagrees with ours: the window has closed

    assert await deliver(engine, senders(configured, engine, clock), clock) == 1

    assert fake.custom == []
    assert len(fake.templates) == 1
    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent]


async def test_a_wechat_outage_delays_the_notice_which_then_arrives_once(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, _ = await filed(wx, engine)
    await act(engine, case_id, "accept")
    fake.fail_next(CUSTOM_PATH, 2, status=503)
    fake.fail_next(CUSTOM_PATH, 1, errcode=-1)  # 系统繁忙
    fake.fail_next(CUSTOM_PATH, 1, errcode=45009)  # 接口调用超过限制
    wechat_senders = senders(configured, engine, clock)

    errors = []
    for _ in range(6):
        await deliver(engine, wechat_senders, clock)
        [row] = await outbox(engine)
        if row.status != OutboxStatus.pending:
            break
        errors.append(row.last_error)
        clock.now = row.next_attempt_at

    assert row.status == OutboxStatus.sent
    assert errors == [
        "WeChat API answered HTTP 503",
        "WeChat API answered HTTP 503",
        "WeChat API busy or limited (errcode -1)",
        "WeChat API busy or limited (errcode 45009)",
    ]
    assert len(fake.custom) == 1
    assert row.attempts == 5


async def test_an_unfollowed_user_fails_at_once_without_personal_data(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, _ = await filed(wx, engine)
    await act(engine, case_id, "accept")
    fake.fail_next(CUSTOM_PATH, errcode=43004)

    await deliver(engine, senders(configured, engine, clock), clock)

    [row] = await outbox(engine)
    assert (row.status, row.last_error) == (OutboxStatus.failed, "WeChat user cannot be reached (errcode 43004)")
    assert push().openid not in row.last_error


async def test_two_processes_share_one_access_token_and_renew_it_once_when_it_expires(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, _ = await filed(wx, engine)
    await act(engine, case_id, "accept")
    await act(engine, case_id, "reply", message="已联系摊主，下午退款。")
    first, second = senders(configured, engine, clock), senders(configured, engine, clock)  # two workers

    assert await deliver(engine, first, clock, limit=1) == 1
    assert await deliver(engine, second, clock, limit=1) == 1
    assert fake.tokens_issued == ["ACCESS-1"]
    assert fake.calls.count(TOKEN_PATH) == 1

    await act(engine, case_id, "start_mediation")
    fake.expire_tokens()  # the next call is refused with 42001: renewed once, then sent
    assert await deliver(engine, second, clock) == 1
    assert fake.tokens_issued == ["ACCESS-1", "ACCESS-2"]
    assert len(fake.custom) == 3
    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent] * 3


async def test_a_chat_photo_is_fetched_by_the_worker_and_stored_on_the_case(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    picture = jpeg()
    fake.media["media-of-the-receipt"] = picture
    fake.fail_next(MEDIA_PATH, status=502)  # the first fetch fails: the photo is retried, not lost
    case_id, _ = await filed(wx, engine, photo="media-of-the-receipt")
    assert fake.calls == [], "the webhook answers without calling WeChat: photos wait for the worker"

    wechat_senders = senders(configured, engine, clock)
    assert await deliver(engine, wechat_senders, clock) == 1
    [row] = await outbox(engine)
    assert (row.kind, row.status, row.payload) == ("photo", OutboxStatus.pending, {"media": "media-of-the-receipt"})
    clock.now = row.next_attempt_at
    assert await deliver(engine, wechat_senders, clock) == 1

    assert fake.downloads == ["media-of-the-receipt"]
    async with engine.connect() as connection:
        photos = (await connection.execute(sa.select(table_of(ComplaintPhoto)))).all()
    assert [(photo.complaint_id, photo.content_type) for photo in photos] == [(case_id, "image/jpeg")]
    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent]
    assert TEMPLATE_PATH not in fake.calls


async def test_the_sender_is_off_without_the_app_secret(
    configured: Settings, engine: AsyncEngine, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    assert sender_for(configured, engine, clock=clock) is not None
    with caplog.at_level(logging.INFO, logger="web.views.bots.wechat"):
        assert sender_for(configured.model_copy(update={"wechat_app_secret": None}), engine, clock=clock) is None
    assert "WECHAT_APP_SECRET" in caplog.text


async def test_a_new_style_template_gets_its_own_field_names_within_their_limits(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, ref = await filed(wx, engine)
    await act(engine, case_id, "decline", ground="missing_facts", note="缺少摊位信息")
    clock.now = NOW + timedelta(hours=49)
    mapped = configured.model_copy(
        update={"wechat_template_fields": "first=thing1, keyword1=character_string2, keyword2=thing3"}
    )
    assert await deliver(engine, senders(mapped, engine, clock), clock) == 1
    [declined] = fake.templates
    assert set(declined["data"]) == {"thing1", "character_string2", "thing3"}  # no remark in this template
    assert declined["data"]["character_string2"] == {"value": ref}
    assert len(declined["data"]["thing1"]["value"]) <= 20  # WeChat refuses a longer "thing"
    assert declined["data"]["thing1"]["value"].startswith("您的投诉")


def test_a_template_mapping_that_cannot_be_read_is_refused() -> None:
    assert parse_template_fields("first=thing1,remark=thing4") == {"first": "thing1", "remark": "thing4"}
    for bad in ("first", "title=thing1", "first="):
        with pytest.raises(ValueError, match="field mapping"):
            parse_template_fields(bad)


async def test_two_processes_fetching_a_token_at_once_get_the_same_one(
    wx: TestClient[Any, Any], engine: AsyncEngine, fake: FakeWeChat, configured: Settings, clock: FakeClock
) -> None:
    case_id, _ = await filed(wx, engine)
    await act(engine, case_id, "accept")
    other_id, _ = await filed(wx, engine, push(openid="o-second-shopper"))
    await act(engine, other_id, "accept")
    first, second = senders(configured, engine, clock), senders(configured, engine, clock)
    sent = await asyncio.gather(deliver(engine, first, clock, limit=1), deliver(engine, second, clock, limit=1))
    assert sent == [1, 1]
    # The stable token: whoever asks while it is valid gets the same one, so neither invalidates the other's.
    assert set(fake.tokens_issued) == {"ACCESS-1"}
    assert len(fake.custom) == 2


async def test_a_turn_outlasting_wechats_five_seconds_is_answered_success_and_then_from_the_outbox(
    aiohttp_client: Any, configured: Settings, engine: AsyncEngine, fake: FakeWeChat, clock: FakeClock
) -> None:
    # As if the database were held by an import: no turn finishes within the reply deadline.
    slow = configured.model_copy(update={"wechat_reply_seconds": 1e-6})
    client: TestClient[Any, Any] = await aiohttp_client(create_app(slow, clock=lambda: NOW))
    shopper = push()

    assert await say(client, shopper, shopper.text(ACCOUNT_TEXT)) == (200, "")  # "success": no retry, no error
    for _ in range(200):  # the turn goes on after the answer, and queues its reply
        if any(row.kind == "chat_reply" for row in await outbox(engine)):
            break
        await asyncio.sleep(0.02)
    assert await deliver(engine, senders(configured, engine, clock), clock) == 1

    [message] = fake.custom
    assert message["touser"] == shopper.openid
    assert message["text"]["content"].endswith("回复「说完了」")
    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent]
