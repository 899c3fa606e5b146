"""The lookup page offers the chat channels that are configured, carrying the instrument's code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import html5lib
import pytest

from qr.codes import format_code
from web.app import create_app
from web.settings import Settings


@pytest.mark.parametrize(
    ("configured", "telegram", "wechat"),
    [
        ({}, False, False),
        ({"telegram_token": "123:abc", "telegram_bot_username": "@fairweigh_bot"}, True, False),
        ({"telegram_bot_username": "fairweigh_bot"}, False, False),  # no token: the bot would not answer
        ({"wechat_app_id": "wx1", "wechat_token": "t", "wechat_account_name": "鼓楼诚信计量"}, False, True),
    ],
)
async def test_the_lookup_page_offers_configured_chats(
    aiohttp_client: Any,
    settings: Settings,
    clock: Callable[[], datetime],
    codes: dict[str, str],
    configured: dict[str, str],
    telegram: bool,
    wechat: bool,
) -> None:
    configured_settings = Settings.model_validate({**settings.model_dump(), **configured})
    client = await aiohttp_client(create_app(configured_settings, clock=clock))
    code = codes["valid"]
    for language, telegram_words, wechat_words in (
        ("zh", "用 Telegram 投诉", "在微信中投诉"),
        ("en", "Complain via Telegram", "Complain in WeChat"),
    ):
        page = await (await client.get(f"/i/{code}", params={"lang": language})).text()
        html5lib.HTMLParser(strict=True).parse(page)
        assert (f'href="https://t.me/fairweigh_bot?start={code}"' in page) is telegram
        assert (telegram_words in page) is telegram
        assert (wechat_words in page) is wechat
        if wechat:
            assert "鼓楼诚信计量" in page
            assert format_code(code) in page
