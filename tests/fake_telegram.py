"""A stand-in for the Telegram Bot API, speaking its JSON envelope over real HTTP so python-telegram-bot parses it.

Serve ``FakeTelegram(TOKEN).app()`` with pytest-aiohttp's ``aiohttp_server`` and point TELEGRAM_API_URL at it.
It serves ``/bot<token>/<method>`` (getMe, sendMessage, answerCallbackQuery, getFile, setWebhook,
deleteWebhook, getWebhookInfo, getUpdates) and ``/file/bot<token>/<path>``, records every call, and fails on
demand: the next calls answer an HTTP error, ask to retry after some seconds (429), or drop the connection.
``python tests/fake_telegram.py PORT TOKEN`` runs it alone (the bench), recording nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_NAME = "fairweigh_test_bot"
# What Telegram says with the statuses a test asks for.
_DESCRIPTIONS = {400: "Bad Request: chat not found", 403: "Forbidden: bot was blocked by the user"}


@dataclass(frozen=True)
class _Fault:
    status: int = 503
    retry_after: int = 0  # with status 429
    drop: bool = False  # close the connection without an answer
    method: str = ""  # only calls of this method ("" for any)


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    token: str
    record: bool = True
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # file_id → content, for getFile and the download
    webhook: dict[str, Any] = field(default_factory=dict)  # what setWebhook was given ({} when none is set)
    poll_wait: float = 0.2  # how long an empty getUpdates waits (Telegram waits up to `timeout` seconds)
    requests: int = 0
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _faults: deque[_Fault] = field(default_factory=deque)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    # ---- faults ----------------------------------------------------------------------------------------------

    def fail_next(self, count: int, *, status: int = 503, method: str = "") -> None:
        self._faults.extend(_Fault(status=status, method=method) for _ in range(count))

    def throttle_next(self, count: int, *, retry_after: int = 3, method: str = "") -> None:
        self._faults.extend(_Fault(status=429, retry_after=retry_after, method=method) for _ in range(count))

    def drop_next(self, count: int, *, method: str = "") -> None:
        self._faults.extend(_Fault(drop=True, method=method) for _ in range(count))

    def recover(self) -> None:
        self._faults.clear()

    # ---- what the tests read ---------------------------------------------------------------------------------

    def called(self, method: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.method == method]

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """The sendMessage calls (to one chat), oldest first."""
        return [params for params in self.called("sendMessage") if chat_id is None or params["chat_id"] == chat_id]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [str(params["text"]) for params in self.sent(chat_id)]

    @property
    def waiting(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def queue_updates(self, *updates: dict[str, Any]) -> None:
        """Updates for getUpdates (long polling)."""
        self._updates.extend(updates)
        self._arrived.set()

    # ---- the server ------------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    def _fault_for(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if not fault.method or fault.method == method:
                self._faults.remove(fault)
                return fault
        return None

    async def _method(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        fault = self._fault_for(method)
        if fault is not None:
            if fault.drop:
                assert request.transport is not None
                request.transport.close()
                return web.Response()
            if fault.retry_after:
                return _error(429, f"Too Many Requests: retry after {fault.retry_after}",
                              parameters={"retry_after": fault.retry_after})  # fmt: skip
            return _error(fault.status, _DESCRIPTIONS.get(fault.status, "Service Unavailable"))
        params = await _params(request)
        if self.record:
            self.calls.append(Call(method, params))
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        answer: web.StreamResponse = await handler(params)
        return answer

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        fault = self._fault_for("download")
        if fault is not None:
            return _error(fault.status, "Service Unavailable")
        file_id = request.match_info["path"].removeprefix("photos/").removesuffix(".jpg")
        if file_id not in self.files:
            return _error(404, "Not Found")
        return web.Response(body=self.files[file_id], content_type="image/jpeg")

    async def _getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok({"id": 4242, "is_bot": True, "first_name": "Fairweigh", "username": BOT_NAME})

    async def _sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        if not text or len(text) > 4096:
            return _error(400, "Bad Request: message text is empty" if not text else "Bad Request: message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        chat = {"id": params["chat_id"], "type": "private", "first_name": "Shopper"}
        message = {"message_id": next(self._message_ids), "date": 1795400000, "chat": chat, "text": text}
        return _ok(message)

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        size = len(self.files[file_id])
        return _ok({"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": size,
                    "file_path": f"photos/{file_id}.jpg"})  # fmt: skip

    async def _setWebhook(self, params: dict[str, Any]) -> web.Response:
        if not str(params.get("url", "")).startswith("https://"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = params
        return _ok(True)

    async def _deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok(True)

    async def _getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
        return _ok(info)

    async def _getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active; "
                               "use deleteWebhook to delete the webhook first")  # fmt: skip
        offset = int(params.get("offset") or 0)
        # As Telegram: asking from an offset confirms (forgets) every update before it.
        self._updates = [update for update in self._updates if update["update_id"] >= offset]
        if not self._updates and float(params.get("timeout") or 0) > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), self.poll_wait)
            except TimeoutError:
                return _ok([])
        limit = int(params.get("limit") or 100)
        return _ok(self._updates[:limit])


# Parameters whose values are numbers, booleans or objects; in form fields they arrive JSON-encoded.
_JSON_FIELDS = frozenset({"chat_id", "reply_markup", "allowed_updates", "offset", "limit", "timeout",
                          "max_connections", "drop_pending_updates", "show_alert", "cache_time"})  # fmt: skip


async def _params(request: web.Request) -> dict[str, Any]:
    """A Bot API call's parameters, from a JSON body, form fields or a query string, as Telegram reads them."""
    fields: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.read()
        fields |= json.loads(body) if body else {}
    elif request.can_read_body:
        fields |= dict(await request.post())
    return {
        name: json.loads(value) if name in _JSON_FIELDS and isinstance(value, str) else value
        for name, value in fields.items()
    }


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description, **extra}, status=status)


def main() -> None:
    port, token = int(sys.argv[1]), sys.argv[2]
    web.run_app(FakeTelegram(token, record=False).app(), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
