"""SMS to merchants through both providers' fakes: the private link a handler sends and the verification reminders
go out with templates of their own (never a consumer's, which speaks of a complaint), to the phone the registry
holds at sending time; while their template is not set they wait, and a link revoked meanwhile is not sent."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.merchants.reminders import queue_reminders
from complaints.merchants.texts import MerchantSmsTexts
from complaints.models import OutboxStatus
from complaints.outbox.sms import SmsSender, SmsTemplates
from complaints.outbox.sms_aliyun import AliyunSms
from complaints.outbox.sms_tencent import TencentSms
from tests.fake_sms import FakeAliyunSms, FakeTencentSms
from tests.outbox_support import FakeClock, deliver, outbox
from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in
from tests.support import NOW, ledger_row, seed, verification
from tests.test_merchant_page import _merchant_id
from web.auth.models import StaffRole
from web.db import for_writing
from web.settings import Settings

Client = TestClient[Any, Any]
Fake = FakeAliyunSms | FakeTencentSms
PHONE = "13800138000"
TEMPLATES = {
    "aliyun": SmsTemplates(received="SMS_1", update="SMS_2", merchant_link="SMS_7", reminder="SMS_8"),
    "tencent": SmsTemplates(received="1", update="2", merchant_link="7", reminder="8"),
}


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fake(provider: str) -> Fake:
    return FakeAliyunSms() if provider == "aliyun" else FakeTencentSms()


@pytest.fixture
async def endpoint(aiohttp_server: Any, fake: Fake) -> str:
    server = await aiohttp_server(fake.app())
    return f"http://127.0.0.1:{server.port}"


def sender(provider: str, endpoint: str, engine: AsyncEngine, secret: str, templates: SmsTemplates) -> SmsSender:
    sdk: AliyunSms | TencentSms
    if provider == "aliyun":
        sdk = AliyunSms(key_id=FakeAliyunSms.key_id, key_secret="k", sign_name="计量投诉", endpoint=endpoint)
    else:
        sdk = TencentSms(secret_id=FakeTencentSms.key_id, secret_key="k", app_id=FakeTencentSms.app_id,
                         sign_name="计量投诉", endpoint=endpoint)  # fmt: skip
    return SmsSender(sdk, templates, secret=secret, merchants=MerchantSmsTexts(engine, secret))


def params(provider: str, **values: str) -> object:
    return values if provider == "aliyun" else list(values.values())


async def _link_sent_by_sms(client: Client, engine: AsyncEngine) -> str:
    """张记水产, with the registry's phone written as people write it; a handler sends its link by SMS: its path."""
    until = NOW.date() + timedelta(days=20)
    expiring = verification(until - timedelta(days=365), until)
    await seed(engine, ledger_row(serial_no="D-20", verification=expiring, contact_phone="138 0013 8000"))
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    merchant_id = await _merchant_id(engine)
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    issued = await client.post(f"/merchants/{merchant_id}/link", data={"csrf": csrf_of(staff_page), "send": "sms"})
    found = re.search(r'value="http://fairweigh\.test/(merchant-link/[^"]+)"', await issued.text())
    assert found is not None
    return found.group(1)


async def test_the_link_and_the_reminders_go_out_with_their_own_templates(
    client: Client, engine: AsyncEngine, settings: Settings, provider: str, fake: Fake, endpoint: str
) -> None:
    path = await _link_sent_by_sms(client, engine)
    async with for_writing(engine).begin() as connection:
        assert await queue_reminders(connection, today=NOW.date(), now=NOW) == 1
    templates = TEMPLATES[provider]
    sms = {"sms": sender(provider, endpoint, engine, settings.secret(), templates)}

    assert await deliver(engine, sms, FakeClock(NOW)) == 2

    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent] * 2
    phone = PHONE if provider == "aliyun" else f"+86{PHONE}"
    until = (NOW.date() + timedelta(days=20)).isoformat()
    sent = sorted(
        ({k: v for k, v in text.items() if k in {"phone", "template", "params"}} for text in fake.sent), key=str
    )
    assert sent == sorted(
        [
            {"phone": phone, "template": templates.merchant_link, "params": params(provider, link=path)},
            {"phone": phone, "template": templates.reminder, "params": params(provider, code=_code(fake), date=until)},
        ],
        key=str,
    )


def _code(fake: Fake) -> str:
    """The instrument's code as the reminder's text carried it (it is the sticker's, from the registry)."""
    [reminder] = [text for text in fake.sent if text["template"] in {"SMS_8", "8"}]
    value = reminder["params"]
    return str(value["code"] if isinstance(value, dict) else value[0])


async def test_without_their_templates_merchant_texts_wait_and_a_revoked_link_is_not_sent(
    client: Client, engine: AsyncEngine, settings: Settings, provider: str, fake: Fake, endpoint: str
) -> None:
    await _link_sent_by_sms(client, engine)
    consumer_only = SmsTemplates(received="SMS_1", update="SMS_2")
    clock = FakeClock(NOW)
    assert (
        await deliver(engine, {"sms": sender(provider, endpoint, engine, settings.secret(), consumer_only)}, clock) == 1
    )
    [row] = await outbox(engine)
    assert row.status == OutboxStatus.pending
    assert "no SMS template is set for the merchant_link text" in row.last_error
    assert fake.sent == []  # never the consumer's template

    merchant_id = await _merchant_id(engine)
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    revoked = await client.post(f"/merchants/{merchant_id}/link/revoke", data={"csrf": csrf_of(staff_page)})
    assert revoked.status == 200
    clock.now = row.next_attempt_at
    sms = {"sms": sender(provider, endpoint, engine, settings.secret(), TEMPLATES[provider])}
    assert await deliver(engine, sms, clock) == 1
    [row] = await outbox(engine)
    assert row.status == OutboxStatus.failed
    assert "revoked or has expired" in row.last_error
    assert fake.sent == []
