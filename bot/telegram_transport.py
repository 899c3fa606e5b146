"""python-telegram-bot's transport over our own aiohttp session, and a Bot pointed at a given Bot API server."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram import Bot
from telegram.error import NetworkError, TelegramError, TimedOut
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
