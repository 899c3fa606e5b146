"""/metrics: off unless a token or a listen address is set; the documented names and labels; a route's pattern as
its label, never the path; the outbox, intake, dialogue and readiness figures a scrape shows; nothing personal in
labels or logs; JSON log lines for shippers."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.outbox.delivery import deliver_due
from complaints.outbox.senders import LoggingSender
from tests.fake_telegram import FakeTelegram
from tests.privacy_support import CHAT_ID, NAME, PHONE
from tests.staff_support import two_stations
from tests.support import NOW, code_of
from tests.telegram_support import Shopper
from web.app import create_app
from web.db import for_writing
from web.ops.logs import JsonLines
from web.ops.metrics import Metrics
from web.ops.scrape import counted_senders
from web.settings import Settings

Client = TestClient[Any, Any]
TOKEN = "scrape-token-" + "m" * 30
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAMILIES = {
    "fairweigh_http_responses",
    "fairweigh_scan_seconds",
    "fairweigh_intake",
    "fairweigh_intake_triage",
    "fairweigh_dialogue_messages",
    "fairweigh_outbox_deliveries",
    "fairweigh_outbox_due",
    "fairweigh_outbox_oldest_due_seconds",
    "fairweigh_outbox_failed",
    "fairweigh_dialogue_flooding_users",
    "fairweigh_ready",
}
LABELS = {
    "fairweigh_http_responses": {"route", "method", "status"},
    "fairweigh_scan_seconds": {"route"},
    "fairweigh_intake": {"channel", "intent", "category"},
    "fairweigh_intake_triage": {"channel"},
    "fairweigh_dialogue_messages": {"channel", "delivery"},
    "fairweigh_outbox_deliveries": {"channel", "outcome"},
    "fairweigh_outbox_due": {"channel"},
    "fairweigh_outbox_oldest_due_seconds": {"channel"},
    "fairweigh_outbox_failed": {"channel"},
}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


@pytest.fixture
async def watched(aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime]) -> Client:
    app = create_app(settings.model_copy(update={"fairweigh_metrics_token": TOKEN}), clock=clock)
    client: Client = await aiohttp_client(app)
    return client


async def test_metrics_are_off_unless_configured(client: Client) -> None:
    assert (await client.get("/metrics", headers=AUTH)).status == 404


async def test_a_scrape_needs_the_token(watched: Client) -> None:
    assert (await watched.get("/metrics")).status == 401
    assert (await watched.get("/metrics", headers={"Authorization": "Bearer wrong"})).status == 401
    answer = await watched.get("/metrics", headers=AUTH)
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")


async def test_names_labels_and_route_patterns(watched: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    code = await code_of(engine, "N-1")
    assert (await watched.get(f"/i/{code}")).status == 200
    assert (await watched.get(f"/api/v1/instruments/{code}")).status == 200
    assert (await watched.get("/no/such/page-13800138000")).status == 404
    body = {"text": "在南门市场买的虾少了三两，要求退钱", "contact": {"name": NAME, "phone": PHONE}, "consent": True}
    assert (await watched.post("/api/v1/complaints", json=body)).status == 201
    text = await (await watched.get("/metrics", headers=AUTH)).text()

    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert set(families) == FAMILIES
    for name, labels in LABELS.items():
        for sample in families[name].samples:
            assert set(sample.labels) - {"le"} == labels, (name, sample.labels)
    assert value(text, "fairweigh_http_responses_total", route="/i/{code}", method="GET", status="200") == 1
    assert value(text, "fairweigh_http_responses_total", route="unmatched", method="GET", status="404") == 1
    assert value(text, "fairweigh_scan_seconds_count", route="/api/v1/instruments/{code}") == 1
    assert value(text, "fairweigh_intake_total", channel="api", intent="complaint", category="short_weight") == 1
    # The acknowledgement by SMS waits in the outbox (no worker ran): due now, and waiting since intake.
    assert value(text, "fairweigh_outbox_due", channel="sms") == 1
    assert value(text, "fairweigh_outbox_oldest_due_seconds", channel="sms") == 0
    assert value(text, "fairweigh_ready") == 1
    route_values = {label for (_, labels) in samples(text) for key, label in labels if key == "route"}
    assert code not in text
    assert all(route.startswith("/") or route == "unmatched" for route in route_values)
    label_values = " ".join(label for (_, labels) in samples(text) for _, label in labels)
    for personal in (NAME, PHONE, PHONE[-4:]):
        assert personal not in label_values
    assert NAME not in text
    assert PHONE not in text


async def test_outbox_lag_and_failures_are_read_at_scrape_time(
    aiohttp_client: Any, settings: Settings, engine: AsyncEngine
) -> None:
    later = NOW + timedelta(minutes=10)
    app = create_app(settings.model_copy(update={"fairweigh_metrics_token": TOKEN}), clock=lambda: later)
    watched: Client = await aiohttp_client(app)
    await two_stations(engine)
    body = {"text": "在南门市场买的虾少了三两，要求退钱", "contact": {"phone": PHONE}, "consent": True}
    earlier_app = await aiohttp_client(create_app(settings, clock=lambda: NOW))
    assert (await earlier_app.post("/api/v1/complaints", json=body)).status == 201
    text = await (await watched.get("/metrics", headers=AUTH)).text()
    assert value(text, "fairweigh_outbox_oldest_due_seconds", channel="sms") == 600

    # The worker's counts: a send through its counted senders.
    metrics = Metrics()
    senders = counted_senders({"sms": LoggingSender("sms")}, metrics)
    assert await deliver_due(for_writing(engine), senders, now=later, worker_id="w1") == 1
    worker_text = metrics.exposition().decode()
    assert value(worker_text, "fairweigh_outbox_deliveries_total", channel="sms", outcome="sent") == 1
    text = await (await watched.get("/metrics", headers=AUTH)).text()
    assert value(text, "fairweigh_outbox_due", channel="sms") is None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_listen_address_serves_metrics_apart_from_the_app(
    aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime]
) -> None:
    port = free_port()
    app = create_app(settings.model_copy(update={"fairweigh_metrics_listen": f"127.0.0.1:{port}"}), clock=clock)
    client: Client = await aiohttp_client(app)
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/metrics")).status == 404  # not on the public port without a token
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as answer:
        assert answer.status == 200
        text = await answer.text()
    assert value(text, "fairweigh_http_responses_total", route="/healthz", method="GET", status="200") == 1


async def test_chat_messages_are_counted_first_and_repeated(
    aiohttp_client: Any, bot_settings: Settings, fake: FakeTelegram, clock: Callable[[], datetime]
) -> None:
    app = create_app(bot_settings.model_copy(update={"fairweigh_metrics_token": TOKEN}), clock=clock)
    bot: Client = await aiohttp_client(app)
    shopper = Shopper(bot, fake, chat_id=int(CHAT_ID))
    update = shopper.message(text="你好")
    await shopper.post(update)
    await shopper.post(update)  # Telegram delivers it again
    text = await (await bot.get("/metrics", headers=AUTH)).text()
    assert value(text, "fairweigh_dialogue_messages_total", channel="telegram", delivery="first") == 1
    assert value(text, "fairweigh_dialogue_messages_total", channel="telegram", delivery="repeat") == 1
    assert value(text, "fairweigh_http_responses_total", route="/bot/telegram", method="POST", status="200") == 2
    assert CHAT_ID not in text


def test_json_log_lines_are_one_object_each() -> None:
    record = logging.LogRecord("fairweigh.test", logging.WARNING, __file__, 1, "outbox %d: %s", (7, "是"), None)
    line = JsonLines().format(record)
    assert "\n" not in line
    assert json.loads(line) | {"time": None} == {
        "time": None,
        "level": "WARNING",
        "logger": "fairweigh.test",
        "message": "outbox 7: 是",
    }
