"""python-telegram-bot's transport over our own aiohttp session, a Bot pointed at a given Bot API server, and the
hot path's sendMessage without the library's objects."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import aiohttp
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's transport over an aiohttp session that the caller owns (and closes)."""

    def __init__(self, session: aiohttp.ClientSession, *, connect_timeout: float = 5.0, read_timeout: float = 10.0):
        self._session = session
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """The session is open already."""

    async def shutdown(self) -> None:
        """The session belongs to the caller."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if request_data is not None and request_data.contains_files:
            raise TelegramError("uploading files is not supported by this transport")
        timeout = aiohttp.ClientTimeout(
            sock_connect=self._connect_timeout if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout,
            sock_read=self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout,
        )
        # As PTB's own transport: form fields, objects among them JSON-encoded (the Bot API's documented form).
        fields = request_data.json_parameters if request_data is not None else None
        headers = {"User-Agent": self.USER_AGENT}
        try:
            async with self._session.request(method, url, data=fields, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut("no answer from the Bot API in time") from exc
        except aiohttp.ClientError as exc:
            # The exception's own text may quote the URL, which holds the token.
            raise NetworkError(f"cannot reach the Bot API ({type(exc).__name__})") from exc


def make_bot(token: str, api_url: str, request: BaseRequest) -> Bot:
    """A Bot talking to ``api_url`` (Telegram's, a self-hosted Bot API server, or the tests' fake)."""
    base = api_url.rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot", request=request,
               get_updates_request=request)  # fmt: skip


class BotApi:
    """The Bot API calls on a webhook's hot path (sendMessage), as plain JSON over the caller's aiohttp session.

    python-telegram-bot's ``Bot.send_message`` turns every answer into a ``Message`` object nobody reads, and
    that took about a fifth of a webhook call's time (py-spy, bench/telegram_webhook.py). Failures raise the
    same ``telegram.error`` exceptions as the library's own transport, read from the HTTP status and the Bot API's
    error answer (``description``, ``parameters``) as the library reads them, so the outbox treats them alike."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: str,
        token: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
    ) -> None:
        self._session = session
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect_timeout, sock_read=read_timeout)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The method's ``result``; a refusal or a failure to reach the Bot API raises a ``TelegramError``."""
        try:
            async with self._session.post(self._base + method, json=params, timeout=self._timeout) as response:
                status, body = response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut("no answer from the Bot API in time") from exc
        except aiohttp.ClientError as exc:
            # The exception's own text may quote the URL, which holds the token.
            raise NetworkError(f"cannot reach the Bot API ({type(exc).__name__})") from exc
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise NetworkError(f"the Bot API answered {status} with a body that is not its JSON")
        if 200 <= status < 300 and answer.get("ok") is True:
            return answer.get("result")
        raise refusal(status, answer)

    async def send_message(self, chat_id: int, text: str, keyboard: dict[str, Any] | None) -> None:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if keyboard is not None:
            params["reply_markup"] = keyboard
        await self.call("sendMessage", params)


def refusal(status: int, answer: dict[str, Any]) -> TelegramError:
    """The exception python-telegram-bot's transport raises for the same error answer."""
    description = str(answer.get("description") or f"HTTP {status}")
    given = answer.get("parameters")
    parameters: dict[str, Any] = given if isinstance(given, dict) else {}
    if isinstance(parameters.get("migrate_to_chat_id"), int):
        return ChatMigrated(parameters["migrate_to_chat_id"])
    if isinstance(parameters.get("retry_after"), int):
        return RetryAfter(parameters["retry_after"])
    # As the library, by the HTTP status (Telegram's error_code repeats it).
    if status == HTTPStatus.FORBIDDEN:
        return Forbidden(description)
    if status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        return InvalidToken(description)
    if status == HTTPStatus.BAD_REQUEST:
        return BadRequest(description)
    if status == HTTPStatus.CONFLICT:
        return Conflict(description)
    return NetworkError(description)
