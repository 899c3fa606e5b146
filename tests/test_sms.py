"""SMS to consumers through Alibaba Cloud's and Tencent Cloud's official SDKs, each against a fake of its HTTP API:
the text carries the reference and the status link only, and each refusal is retried or given up as it deserves."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import OutboxStatus
from complaints.outbox.enqueue import outbox_t
from complaints.outbox.sms import SmsSender, SmsTemplates, status_path
from complaints.outbox.sms_aliyun import AliyunSms
from complaints.outbox.sms_tencent import TencentSms
from complaints.tokens import case_token
from tests.fake_sms import Answer, FakeAliyunSms, FakeTencentSms
from tests.outbox_support import NAME, PHONE, WORDS, FakeClock, contact_t, deliver, outbox, queue_cases
from tests.staff_support import SOUTH, add_staff, token_for, two_stations
from tests.support import NOW, code_of
from web.auth.models import StaffRole
from web.settings import Settings

SECRET = "s" * 48
TEMPLATES = {
    "aliyun": SmsTemplates(received="SMS_100000001", update="SMS_100000002", closed="SMS_100000003"),
    "tencent": SmsTemplates(received="2000001", update="2000002", closed="2000003"),
}
Fake = FakeAliyunSms | FakeTencentSms


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


def sender(provider: str, endpoint: str, *, key_id: str = "", timeout: float = 5.0) -> SmsSender:
    if provider == "aliyun":
        sdk: AliyunSms | TencentSms = AliyunSms(
            key_id=key_id or FakeAliyunSms.key_id, key_secret="k", sign_name="计量投诉", endpoint=endpoint
        )
    else:
        sdk = TencentSms(
            secret_id=key_id or FakeTencentSms.key_id,
            secret_key="k",
            app_id=FakeTencentSms.app_id,
            sign_name="计量投诉",
            endpoint=endpoint,
        )
    return SmsSender(sdk, TEMPLATES[provider], secret=SECRET, timeout=timeout)


async def test_each_kind_of_notice_goes_out_as_its_template_with_the_reference_and_link_only(
    engine: AsyncEngine, provider: str, fake: Fake, endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    received, accepted, closed = await queue_cases(
        engine, 3, channel="sms", kind="received", payload={"message": WORDS}
    )
    async with engine.begin() as connection:
        for case, kind in ((accepted, "accept"), (closed, "close")):
            await connection.execute(sa.update(outbox_t).where(outbox_t.c.complaint_id == case.id).values(kind=kind))
    sms = {"sms": sender(provider, endpoint)}

    assert await deliver(engine, sms, FakeClock(NOW)) == 3

    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent] * 3
    templates = TEMPLATES[provider]
    expected = []
    for case, template in ((received, templates.received), (accepted, templates.update), (closed, templates.closed)):
        link = f"c/{case.ref}?token={case_token(SECRET, case.ref)}"
        assert link == status_path(SECRET, case.ref)
        params: object = {"ref": case.ref, "link": link} if provider == "aliyun" else [case.ref, link]
        phone = PHONE if provider == "aliyun" else f"+86{PHONE}"
        expected.append({"phone": phone, "sign": "计量投诉", "template": template, "params": params})
    got = sorted(({k: v for k, v in sent.items() if k in expected[0]} for sent in fake.sent), key=str)
    assert got == sorted(expected, key=str)  # sent concurrently, so in any order
    # Nothing personal beyond the number it is sent to: not the name, not the words, not what the handler wrote.
    assert all(NAME not in sent["request"] and WORDS not in sent["request"] for sent in fake.sent)
    # The logs name the case and the receipt, never the number.
    ours = [record for record in caplog.records if record.name != "aiohttp.access"]  # the fake's own log
    assert not [record for record in ours if PHONE in record.getMessage()]
    assert any(f"received text for {received.ref} via {provider}" in r.getMessage() for r in caplog.records)


REFUSALS = {
    "aliyun": [
        (Answer(code="isv.MOBILE_NUMBER_ILLEGAL"), OutboxStatus.failed, "the number cannot receive SMS"),
        (Answer(code="isv.SMS_TEMPLATE_ILLEGAL"), OutboxStatus.pending, "template or signature not approved"),
        (Answer(code="isv.SMS_SIGNATURE_ILLEGAL"), OutboxStatus.pending, "template or signature not approved"),
        (Answer(code="isv.BUSINESS_LIMIT_CONTROL"), OutboxStatus.pending, "rate limited"),
        (Answer(code="isv.AMOUNT_NOT_ENOUGH"), OutboxStatus.pending, "out of credit"),
        (Answer(code="isv.BLACK_KEY_CONTROL_LIMIT"), OutboxStatus.failed, "rejected this message's text"),
        (Answer(code="Throttling.User", status=400), OutboxStatus.pending, "rate limited"),
        (Answer(status=503), OutboxStatus.pending, "unreachable or failing"),
    ],
    "tencent": [
        (Answer(code="InvalidParameterValue.IncorrectPhoneNumber"), OutboxStatus.failed, "cannot receive SMS"),
        (Answer(code="FailedOperation.TemplateIncorrectOrUnapproved"), OutboxStatus.pending, "not approved"),
        (
            Answer(code="FailedOperation.SignatureIncorrectOrUnapproved", whole_request=True),
            OutboxStatus.pending,
            "not approved",
        ),
        (Answer(code="LimitExceeded.PhoneNumberDailyLimit"), OutboxStatus.pending, "rate limited"),
        (Answer(code="RequestLimitExceeded", whole_request=True), OutboxStatus.pending, "rate limited"),
        (Answer(code="FailedOperation.ContainSensitiveWord"), OutboxStatus.failed, "rejected this message's text"),
        (Answer(code="InternalError.Timeout", whole_request=True), OutboxStatus.pending, "unreachable or failing"),
        (Answer(status=502), OutboxStatus.pending, "unreachable or failing"),
    ],
}


async def test_each_refusal_is_retried_or_given_up_and_a_retry_is_sent(
    engine: AsyncEngine, provider: str, fake: Fake, endpoint: str
) -> None:
    refusals = REFUSALS[provider]
    cases = await queue_cases(engine, len(refusals), channel="sms", kind="received")
    fake.answer_next(*(answer for answer, _, _ in refusals))
    clock = FakeClock(NOW)
    sms = {"sms": sender(provider, endpoint)}
    # One at a time, so each case meets its own refusal (a batch is sent concurrently).
    for _ in cases:
        assert await deliver(engine, sms, clock, limit=1) == 1

    rows = await outbox(engine)
    seen = [(row.status, row.last_error) for row in rows]
    for (status, error), (answer, expected_status, words) in zip(seen, refusals, strict=True):
        assert status == expected_status, (answer, error)
        assert words in error, (answer, error)
        assert provider in error
        assert answer.code == "" or answer.code in error
        assert PHONE not in error
    assert fake.sent == []

    # After the backoff the retried ones go out; the given-up ones stay failed.
    clock.now = max(row.next_attempt_at for row in rows if row.status == OutboxStatus.pending)
    while await deliver(engine, sms, clock):
        pass
    retried = [status == OutboxStatus.pending for _, status, _ in refusals]
    assert [row.status for row in await outbox(engine)] == [
        OutboxStatus.sent if again else OutboxStatus.failed for again in retried
    ]
    assert len(fake.sent) == sum(retried)


async def test_a_wrong_key_waits_for_the_fix(engine: AsyncEngine, provider: str, fake: Fake, endpoint: str) -> None:
    await queue_cases(engine, 1, channel="sms", kind="received")
    clock = FakeClock(NOW)

    assert await deliver(engine, {"sms": sender(provider, endpoint, key_id="wrong-key")}, clock) == 1

    [row] = await outbox(engine)
    assert row.status == OutboxStatus.pending
    assert "authentication failed" in row.last_error
    code = "InvalidAccessKeyId.NotFound" if provider == "aliyun" else "AuthFailure.SecretIdNotFound"
    assert code in row.last_error
    clock.now = row.next_attempt_at
    assert await deliver(engine, {"sms": sender(provider, endpoint)}, clock) == 1
    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent]


async def test_no_answer_and_no_server_are_retried(
    engine: AsyncEngine, provider: str, fake: Fake, endpoint: str
) -> None:
    await queue_cases(engine, 2, channel="sms", kind="received")
    fake.answer_next(Answer(hang=5))
    clock = FakeClock(NOW)

    assert await deliver(engine, {"sms": sender(provider, endpoint, timeout=1)}, clock, limit=1) == 1
    nowhere = "http://127.0.0.1:9"  # discard: nothing listens
    assert await deliver(engine, {"sms": sender(provider, nowhere)}, clock, limit=1) == 1

    rows = await outbox(engine)
    assert [row.status for row in rows] == [OutboxStatus.pending] * 2
    assert all("unreachable" in row.last_error or "no answer" in row.last_error for row in rows), rows


async def test_a_number_no_text_can_reach_is_given_up_without_asking_the_provider(
    engine: AsyncEngine, provider: str, fake: Fake, endpoint: str
) -> None:
    cases = await queue_cases(engine, 2, channel="sms", kind="received")
    async with engine.begin() as connection:
        await connection.execute(
            sa.update(contact_t).where(contact_t.c.complaint_id == cases[0].id).values(phone="01062345678")
        )
        await connection.execute(sa.update(contact_t).where(contact_t.c.complaint_id == cases[1].id).values(phone=""))

    assert await deliver(engine, {"sms": sender(provider, endpoint)}, FakeClock(NOW)) == 2

    rows = await outbox(engine)
    assert [row.status for row in rows] == [OutboxStatus.failed] * 2
    assert "not a mainland mobile number" in rows[0].last_error
    assert "01062345678" not in rows[0].last_error
    assert "no phone number" in rows[1].last_error
    assert fake.requests == 0


async def test_a_sent_text_is_in_the_case_timeline_with_its_receipt_and_without_the_number(
    client: TestClient[Any, Any], engine: AsyncEngine, settings: Settings, aiohttp_server: Any
) -> None:
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    code = await code_of(engine, "N-1")
    contact = {"name": NAME, "phone": PHONE}
    submitted = await client.post(
        "/api/v1/complaints",
        json={"text": f"张记水产的秤不准，{WORDS}", "code": code, "contact": contact, "consent": True},
    )
    ref = (await submitted.json())["ref"]
    fake = FakeAliyunSms()
    server = await aiohttp_server(fake.app())
    sms = AliyunSms(key_id=fake.key_id, key_secret="k", sign_name="南门所", endpoint=f"http://127.0.0.1:{server.port}")
    senders = {"sms": SmsSender(sms, TEMPLATES["aliyun"], secret=settings.secret())}

    assert await deliver(engine, senders, FakeClock(NOW)) == 1

    handler = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    page = await (await client.get(f"/queue/{ref}", headers=handler)).text()
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert timeline is not None
    entries = re.findall(r"<li.*?</li>", timeline.group(1), re.S)
    # Received and classified, then the text that told the shopper so (sent when the worker delivered it).
    said = [re.sub(r"<[^>]+>", "", entry) for entry in entries]
    assert [words in entry for words, entry in zip(("收到", "自动分类", "已发送短信：收到"), said, strict=True)] == [
        True
    ] * 3
    assert "aliyun received biz-1" in entries[-1]  # the provider's id, to ask the provider about this text
    assert PHONE not in timeline.group(1)
    assert NAME not in timeline.group(1)
    [row] = await outbox(engine)
    assert row.receipt == "aliyun received biz-1"
