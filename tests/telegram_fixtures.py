"""Fixtures of the Telegram tests (registered in conftest.py): the fake Bot API, the app talking to it, a shopper.

A test module with a ``fake`` of its own (another fake server) keeps it: a module's fixture wins over these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.fake_telegram import FakeTelegram
from tests.telegram_support import TOKEN, Shopper, with_telegram
from web.app import create_app
from web.settings import Settings


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(TOKEN)


@pytest.fixture
async def api(aiohttp_server: Any, fake: FakeTelegram) -> TestServer:
    server: TestServer = await aiohttp_server(fake.app())
    return server


@pytest.fixture
def bot_settings(settings: Settings, api: TestServer) -> Settings:
    return with_telegram(settings, str(api.make_url("")).rstrip("/"))


@pytest.fixture
async def bot(aiohttp_client: Any, bot_settings: Settings, clock: Callable[[], datetime]) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(bot_settings, clock=clock))
    return client


@pytest.fixture
def shopper(bot: TestClient[Any, Any], fake: FakeTelegram) -> Shopper:
    return Shopper(bot, fake)
