"""Bad input to intake: every kind gets a clear 4xx with a message in both languages, and nothing is stored."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from web.app import create_app
from web.settings import Settings

Client = TestClient[Any, Any]
TEXT = "菜市场卖菜的秤短斤少两，少了一斤多，要求退款"


async def count_cases(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        tables = ("complaint", "complaintcontact", "complaintevent", "outbox")
        counts = [(await connection.execute(sa.text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in tables]
    return sum(counts)


@pytest.mark.parametrize(
    ("body", "status", "error", "field"),
    [
        (json.dumps({"text": ""}).encode(), 422, "empty_text", "text"),
        (json.dumps({"text": " \n\t "}).encode(), 422, "empty_text", "text"),
        (json.dumps({}).encode(), 400, "bad_type", "text"),
        (json.dumps({"text": "秤" * 20_000}).encode(), 422, "text_too_long", "text"),
        ('{"text": "短斤少两'.encode() + b"\xff\xfe" + b'"}', 400, "bad_encoding", None),
        (b'{"text": "unterminated', 400, "bad_json", None),
        (json.dumps([TEXT]).encode(), 400, "bad_json", None),
        (json.dumps({"text": 42}).encode(), 400, "bad_type", "text"),
        (json.dumps({"text": ["a"]}).encode(), 400, "bad_type", "text"),
        (json.dumps({"text": TEXT, "code": 12345}).encode(), 400, "bad_type", "code"),
        (json.dumps({"text": TEXT, "contact": "13800138000"}).encode(), 400, "bad_type", "contact"),
        (json.dumps({"text": TEXT, "contact": {"phone": "call me"}}).encode(), 422, "bad_phone", "phone"),
        (json.dumps({"text": TEXT, "contact": {"phone": "12345"}}).encode(), 422, "bad_phone", "phone"),
        # a mobile number a digit short (no mainland number but a mobile starts with 1)
        (json.dumps({"text": TEXT, "contact": {"phone": "1380013800"}}).encode(), 422, "bad_phone", "phone"),
        # an area code's 0 with too few digits for area code and number
        (json.dumps({"text": TEXT, "contact": {"phone": "0591876"}}).encode(), 422, "bad_phone", "phone"),
        (json.dumps({"text": TEXT, "contact": {"name": 7}}).encode(), 400, "bad_type", "name"),
        (json.dumps({"text": TEXT, "consent": "yes"}).encode(), 400, "bad_type", "consent"),
        (json.dumps({"text": TEXT, "channel": "fax"}).encode(), 400, "bad_channel", "channel"),
        (json.dumps({"text": TEXT, "code": "ZZZZZ-ZZZZZ"}).encode(), 422, "unknown_code", "code"),
        (json.dumps({"text": TEXT, "code": "not a code"}).encode(), 422, "unknown_code", "code"),
    ],
    ids=[
        "empty-text",
        "blank-text",
        "no-text",
        "20000-characters",
        "invalid-utf8",
        "invalid-json",
        "json-array",
        "text-number",
        "text-list",
        "code-number",
        "contact-string",
        "phone-words",
        "phone-too-short",
        "mobile-a-digit-short",
        "landline-too-short-for-its-area-code",
        "name-number",
        "consent-string",
        "unknown-channel",
        "unknown-code",
        "malformed-code",
    ],
)
async def test_bad_input_is_refused_clearly_and_nothing_is_stored(
    client: Client, engine: AsyncEngine, body: bytes, status: int, error: str, field: str | None
) -> None:
    response = await client.post(
        "/api/v1/complaints", data=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status == status
    problem = await response.json()
    assert (problem["error"], problem["field"]) == (error, field)
    assert problem["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["message_zh"])
    assert await count_cases(engine) == 0


@pytest.mark.parametrize("typed", ["１３８１２３４５６７８", "（138）1234-5678", "＋86 138 1234 5678"])
async def test_a_phone_typed_in_full_width_or_with_signs_is_stored_as_ascii_digits(
    client: Client, engine: AsyncEngine, typed: str
) -> None:
    response = await client.post("/api/v1/complaints", json={"text": TEXT, "contact": {"phone": typed}})
    assert response.status == 201, await response.text()
    async with engine.connect() as connection:
        phone = (await connection.execute(sa.text("SELECT phone FROM complaintcontact"))).scalar_one()
    assert phone == "13812345678"  # the same number as typed on a half-width keyboard: SMS reaches it


async def test_a_phone_in_another_scripts_digits_is_refused(client: Client, engine: AsyncEngine) -> None:
    response = await client.post("/api/v1/complaints", json={"text": TEXT, "contact": {"phone": "١٣٨١٢٣٤٥٦٧٨"}})
    assert response.status == 422
    assert (await response.json())["error"] == "bad_phone"
    assert await count_cases(engine) == 0


async def test_an_oversized_body_is_refused_with_413_and_a_message(client: Client, engine: AsyncEngine) -> None:
    body = json.dumps({"text": TEXT, "padding": "x" * (2 * 1024 * 1024)}).encode()
    response = await client.post(
        "/api/v1/complaints", data=io.BytesIO(body), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    problem = await response.json()
    assert problem["error"] == "request_entity_too_large"
    assert "提交的内容太大" in problem["message_zh"]
    assert await count_cases(engine) == 0


async def test_deadline_figures_come_from_configuration(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    configured = settings.model_copy(update={"fairweigh_deadline_accept_days": 10})
    client = await aiohttp_client(create_app(configured, clock=clock))
    response = await client.post("/api/v1/complaints", json={"text": TEXT, "contact": {"phone": "13800138000"}})
    assert response.status == 201
    # 10 working days after Monday 2026-11-23 instead of the default 7 (2026-12-02).
    assert (await response.json())["deadline"] == "2026-12-07"


async def test_cases_are_forwarded_upstream_and_acknowledged_through_the_outbox(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    forwarding = settings.model_copy(
        update={"upstream_12315_url": "https://12315.example/api", "upstream_12315_secret": SecretStr("shared-key")}
    )
    client = await aiohttp_client(create_app(forwarding, clock=clock))
    complaint = await client.post(
        "/api/v1/complaints", json={"text": TEXT, "contact": {"name": "王芳", "phone": "13800138000"}, "consent": True}
    )
    feedback = await client.post("/api/v1/complaints", json={"text": "工作人员态度很好，点赞，谢谢你们"})
    assert (complaint.status, feedback.status) == (201, 201)
    ref = (await complaint.json())["ref"]
    async with engine.connect() as connection:
        outbox = (
            await connection.execute(sa.text("SELECT channel, kind, idempotency_key, payload FROM outbox ORDER BY id"))
        ).all()
    # Feedback is not forwarded, and its sender left no way to answer; the complaint is both acknowledged by SMS
    # (phone and consent given) and forwarded. The outbox holds what to say, never to whom.
    assert [(row.channel, row.kind, row.idempotency_key) for row in outbox] == [
        ("sms", "received", f"{ref}:received"),
        ("upstream", "forward", f"{ref}:forward"),
    ]
    assert "13800138000" not in str([row.payload for row in outbox])


async def test_forwarding_stays_off_without_its_signing_key(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    half = settings.model_copy(update={"upstream_12315_url": "https://12315.example/api"})
    client = await aiohttp_client(create_app(half, clock=clock))
    assert "UPSTREAM_12315_SECRET is not" in caplog.text
    response = await client.post("/api/v1/complaints", json={"text": TEXT})
    assert response.status == 201
    async with engine.connect() as connection:
        forwards = (await connection.execute(sa.text("SELECT count(*) FROM outbox"))).scalar_one()
    assert forwards == 0
