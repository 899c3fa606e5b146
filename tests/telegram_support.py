"""Talking to the app as Telegram does: updates POSTed to the webhook with the secret header, and what the shopper
reads taken from the fake Bot API's sendMessage calls."""

from __future__ import annotations

import io
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from PIL import Image
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.outbox.delivery import deliver_due
from tests.fake_telegram import BOT_NAME, FakeTelegram
from tests.outbox_support import FakeClock
from web.db import for_writing
from web.settings import Settings
from web.views.bots.telegram import PATH, SECRET_HEADER
from web.worker import configured_senders

TOKEN = "4242:AAH-test-token_0123456789"
SECRET = "hook-secret_0123456789"
# No time or amounts in it, so each question is asked (tests/test_dialogue_facts.py tells a story that has them)
STORY = "在菜市场买了猪肉，回家一称少了不少，老板的秤肯定有问题，我要求退钱"
_update_ids = itertools.count(700_000)
DATE = 1795400000  # 2026-11-23, as Telegram's Unix time


def with_telegram(settings: Settings, api_url: str, *, secret: str | None = SECRET) -> Settings:
    return settings.model_copy(
        update={
            "telegram_token": SecretStr(TOKEN),
            "telegram_webhook_secret": SecretStr(secret) if secret is not None else None,
            "telegram_api_url": api_url,
            "telegram_bot_username": BOT_NAME,
        }
    )


def jpeg(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class Shopper:
    """One Telegram user in a private chat with the bot."""

    client: TestClient[Any, Any]
    fake: FakeTelegram
    chat_id: int = 10001
    language_code: str | None = "zh-hans"
    responses: list[ClientResponse] = field(default_factory=list)

    def _user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": "小王"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def message(self, **content: Any) -> dict[str, Any]:
        chat = {"id": self.chat_id, "type": "private", "first_name": "小王"}
        message = {"message_id": next(_update_ids), "date": DATE, "chat": chat, "from": self._user(), **content}
        return {"update_id": next(_update_ids), "message": message}

    def button(self, data: str) -> dict[str, Any]:
        chat = {"id": self.chat_id, "type": "private", "first_name": "小王"}
        shown = {"message_id": 1, "date": DATE, "chat": chat, "text": "…"}
        query = {"id": f"cb-{next(_update_ids)}", "from": self._user(), "chat_instance": "ci", "data": data,
                 "message": shown}  # fmt: skip
        return {"update_id": next(_update_ids), "callback_query": query}

    async def post(self, update: Mapping[str, Any], *, client: TestClient[Any, Any] | None = None) -> ClientResponse:
        response = await (client or self.client).post(PATH, json=update, headers={SECRET_HEADER: SECRET})
        self.responses.append(response)
        return response

    async def deliver(self, update: Mapping[str, Any], *, client: TestClient[Any, Any] | None = None) -> str:
        """Post the update and return what the chat was sent meanwhile (the messages joined by newlines)."""
        before = len(self.fake.sent(self.chat_id))
        response = await self.post(update, client=client)
        assert response.status == 200, await response.text()
        return "\n".join(str(params["text"]) for params in self.fake.sent(self.chat_id)[before:])

    async def say(self, text: str, *, client: TestClient[Any, Any] | None = None) -> str:
        return await self.deliver(self.message(text=text), client=client)

    async def tap(self, data: str, *, client: TestClient[Any, Any] | None = None) -> str:
        return await self.deliver(self.button(data), client=client)

    async def photo(self, file_id: str, caption: str = "") -> str:
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 67},
                 {"file_id": file_id, "file_unique_id": "l", "width": 1280, "height": 960}]  # fmt: skip
        return await self.deliver(self.message(photo=sizes, **({"caption": caption} if caption else {})))

    def keyboard(self) -> list[str]:
        """What the last message's buttons do: callback data, or the link they open."""
        markup = self.fake.sent(self.chat_id)[-1].get("reply_markup") or {}
        return [button.get("callback_data") or button.get("url") for row in markup.get("inline_keyboard", [])
                for button in row]  # fmt: skip


async def to_summary(shopper: Shopper) -> str:
    """A complaint told in one message, its questions answered (no photos), up to the summary; returns it."""
    await shopper.say("南门菜场买肉少了二两 要退钱")
    await shopper.say("好了")
    await shopper.say("昨天")
    await shopper.tap("skip")  # no photos
    summary = await shopper.say("王芳 13800138000")
    assert "请核对" in summary, summary
    return summary


async def file_complaint(shopper: Shopper, code: str) -> str:
    """A complaint about the instrument with ``code``, from its deep link to the reference; returns the ref."""
    await shopper.say(f"/start {code}")
    await shopper.say(STORY)
    await shopper.tap("done")
    for _ in ("when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("王芳")
    await shopper.say("13800138000")
    receipt = await shopper.tap("submit")
    assert "已收到，编号 " in receipt, receipt
    return receipt.split("已收到，编号 ", 1)[1][:15]


async def deliver_outbox(settings: Settings, engine: AsyncEngine, clock: FakeClock) -> int:
    """One round of `fairweigh worker`, with the senders it would configure."""
    async with configured_senders(settings, engine) as senders:
        return await deliver_due(for_writing(engine), senders, now=clock(), worker_id="w1")
