"""Talking to the WeChat API from the outbox worker: a case's news to the shopper, a chat photo into its case.

WeChat lets an account write to a follower freely for 48 hours after the follower last wrote (customer-service
messages); after that only through an approved template. wechatpy's client is blocking (requests), so every
call runs in a thread; its access token lives in the database (``channel_credential``), because WeChat issues
one token per account at a time and every process of a deployment must use the same one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import requests
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from bot.catalogue import catalogue
from bot.channels.wechat import CHANNEL, render
from bot.conversation import Reply
from bot.models import ChannelCredential, DialogueState
from bot.outbound.notices import chat_language, notice_for
from bot.service import CHAT_REPLY, PHOTO, stored_replies
from complaints.outbox.claims import Delivery
from complaints.outbox.evidence import attach_photo
from complaints.outbox.senders import PermanentDeliveryError, RetryableDeliveryError
from complaints.photos import PhotoError
from lookup.models import table_of

log = logging.getLogger(__name__)

credential_t, state_t = table_of(ChannelCredential), table_of(DialogueState)
T = TypeVar("T")

WINDOW = timedelta(hours=48)  # customer-service messages are allowed this long after the user last wrote
TOKEN_MARGIN = timedelta(minutes=5)  # a token is renewed this long before WeChat says it expires
# A send is at most four requests (token, call, renewed token, call again): all of them end well inside the
# worker's 30-second send timeout, so a send the worker gave up on cannot still arrive later as a duplicate.
HTTP_TIMEOUT = 6.0
STORAGE_TIMEOUT = 10.0  # seconds a thread waits for the event loop's database work
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid or expired access token: renew once and retry
BUSY_ERRORS = frozenset({-1, 45009, 45011})  # system busy, API quota, API frequency: try later
WINDOW_ERRORS = frozenset({45015, 45047})  # outside the 48 hours, or the 5 messages per window used up
GONE_ERRORS = frozenset({43004, 40003})  # the user unfollowed, or the openid is not this account's


# The value limits of the field types of templates created since 2023 (thing: 20 characters, and so on).
FIELD_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "number": 32, "amount": 32, "time": 32}


def parse_template_fields(raw: str) -> dict[str, str]:
    """``first=thing1,keyword1=character_string2,…`` → a mapping of our parts to the template's fields."""
    mapping = {}
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        ours, _, theirs = pair.partition("=")
        if ours.strip() not in {"first", "keyword1", "keyword2", "remark"} or not theirs.strip():
            raise ValueError(f"not a field mapping: {pair!r} (expected e.g. first=thing1)")
        mapping[ours.strip()] = theirs.strip()
    return mapping


def template_data(parts: Mapping[str, str], fields: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The template's data: our four parts under the template's field names, each cut to its type's limit.
    Without a mapping the classic fields (first, keyword1, keyword2, remark) are used as they are."""
    data = {}
    for ours, value in parts.items():
        if fields and ours not in fields:
            continue  # a new-style template without this part
        field = fields.get(ours, ours)
        limit = next((n for kind, n in FIELD_LIMITS.items() if field.startswith(kind)), None)
        data[field] = {"value": value if limit is None or len(value) <= limit else value[: limit - 1] + "…"}
    return data


class _OutsideWindow(Exception):
    """WeChat refused a customer-service message: only a template can reach the user now."""


class _TokenRefused(Exception):
    """WeChat would not issue an access token (a wrong secret, a server not on the account's IP whitelist)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class CredentialStorage(SessionStorage):  # type: ignore[misc]
    """wechatpy's session storage on the ``channel_credential`` table, shared by every process.

    wechatpy calls it from the worker's threads; the database work runs on the event loop (the engine is async).
    """

    def __init__(self, engine: AsyncEngine, loop: asyncio.AbstractEventLoop, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._loop = loop
        self._clock = clock

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(STORAGE_TIMEOUT)

    def get(self, key: str, default: Any = None) -> Any:
        value = self._run(self._get(key))
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        if value is not None:
            self._run(self._set(key, str(value), ttl))

    def delete(self, key: str) -> None:
        self._run(self._delete(key, None))

    def discard(self, key: str, value: str) -> None:
        """Forget the value only if it is still the one given: another process may have renewed it already."""
        self._run(self._delete(key, value))

    async def _get(self, key: str) -> str | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(credential_t.c.value, credential_t.c.expires_at).where(credential_t.c.name == key)
                )
            ).first()
        if row is None or (row.expires_at is not None and row.expires_at <= self._clock()):
            return None
        return str(row.value)

    async def _set(self, key: str, value: str, ttl: int | None) -> None:
        expires = None if ttl is None else self._clock() + max(timedelta(seconds=ttl) - TOKEN_MARGIN, timedelta(0))
        async with self._engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(credential_t).values(name=key, value=value, expires_at=expires)
            await connection.execute(
                insert.on_conflict_do_update(
                    index_elements=[credential_t.c.name], set_={"value": value, "expires_at": expires}
                )
            )

    async def _delete(self, key: str, value: str | None) -> None:
        statement = sa.delete(credential_t).where(credential_t.c.name == key)
        if value is not None:
            statement = statement.where(credential_t.c.value == value)
        async with self._engine.begin() as connection:
            await connection.execute(statement)


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client pointed at ``api_url``, with the token always read from the shared storage."""

    def __init__(self, app_id: str, secret: str, *, api_url: str, storage: CredentialStorage, timeout: float) -> None:
        # auto_retry=False: wechatpy would renew and retry a rejected token without limit; we do it once.
        super().__init__(app_id, secret, session=storage, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = f"{api_url}/cgi-bin/"
        self._token_url = f"{api_url}/cgi-bin/stable_token"

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        if not token:
            self.fetch_access_token()
            token = self.session.get(self.access_token_key)
        return str(token or "")

    def fetch_access_token(self) -> dict[str, Any]:
        # The stable token (cgi-bin/stable_token): every process that asks while it is valid gets the same one, so
        # two workers fetching at once do not invalidate each other's (the classic cgi-bin/token would). And
        # wechatpy's own fetch has api.weixin.qq.com built in and no timeout.
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": False}
        response = self._http.post(self._token_url, json=body, timeout=self.timeout)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        if result.get("errcode"):
            raise _TokenRefused(int(result["errcode"]))
        self.session.set(self.access_token_key, result["access_token"], int(result.get("expires_in", 7200)))
        log.info("wechat: fetched a new access token (shared through the database)")
        return result


class WeChatSender:
    """The outbox sender of the WeChat channel: notices as customer-service or template messages, and photos."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        writer: AsyncEngine,
        app_id: str,
        app_secret: str,
        api_url: str,
        template_id: str,
        template_fields: Mapping[str, str] | None = None,
        secret: str,
        base_url: str,
        clock: Callable[[], datetime],
        timeout: float = HTTP_TIMEOUT,
    ) -> None:
        self._engine = engine
        self._writer = writer  # the engine for transactions that read then write (a photo added to its case)
        self._app_id, self._app_secret, self._api_url = app_id, app_secret, api_url.rstrip("/")
        self._template_id = template_id
        self._template_fields = dict(template_fields or {})
        self._secret, self._base_url = secret, base_url
        self._clock = clock
        self._timeout = timeout
        self._client: _Client | None = None

    def _client_for(self, loop: asyncio.AbstractEventLoop) -> _Client:
        if self._client is None:
            storage = CredentialStorage(self._engine, loop, self._clock)
            self._client = _Client(
                self._app_id, self._app_secret, api_url=self._api_url, storage=storage, timeout=self._timeout
            )
        return self._client

    async def send(self, delivery: Delivery) -> None:
        client = self._client_for(asyncio.get_running_loop())
        if delivery.kind == PHOTO:
            await self._photo(client, delivery)
            return
        if delivery.kind == CHAT_REPLY:
            await self._late_answer(client, delivery)
            return
        if delivery.recipient is None or not delivery.recipient.channel_user:
            raise PermanentDeliveryError(f"case {delivery.ref} has no WeChat user to tell")
        openid = delivery.recipient.channel_user
        reply = await notice_for(self._engine, delivery, secret=self._secret, base_url=self._base_url)
        if await self._in_window(openid):
            t = catalogue(await chat_language(self._engine, CHANNEL, openid))
            text = render([reply], t)
            try:
                await self._call(client, lambda: client.message.send_text(openid, text))
                return
            except _OutsideWindow:
                log.info("wechat: %s %s for %s: outside the 48-hour window, using the template", *_what(delivery))
        await self._template(client, openid, delivery, reply)

    async def _late_answer(self, client: _Client, delivery: Delivery) -> None:
        """The answer to a message whose turn outlasted WeChat's five seconds (web/views/bots/wechat.py)."""
        openid = str(delivery.payload["openid"])
        answers = await stored_replies(self._engine, CHANNEL, delivery.payload["answers"])
        if answers is None:
            raise PermanentDeliveryError("the answer waited longer than answers are kept")
        text = render(answers, catalogue(await chat_language(self._engine, CHANNEL, openid)))
        try:
            await self._call(client, lambda: client.message.send_text(openid, text))
        except _OutsideWindow as error:
            raise PermanentDeliveryError("the answer waited past WeChat's 48-hour window") from error

    async def _in_window(self, openid: str) -> bool:
        async with self._engine.connect() as connection:
            last = (
                await connection.execute(
                    sa.select(state_t.c.last_inbound_at).where(
                        state_t.c.channel == CHANNEL, state_t.c.chat_user == openid
                    )
                )
            ).scalar()
        return last is not None and self._clock() - last < WINDOW

    async def _template(self, client: _Client, openid: str, delivery: Delivery, reply: Reply) -> None:
        if not self._template_id:
            raise RetryableDeliveryError(
                "outside WeChat's 48-hour window and WECHAT_TEMPLATE_ID is not set: waiting for the user to write"
            )
        lines = reply.text.split("\n")
        parts = {
            "first": lines[0],
            "keyword1": delivery.ref,
            "keyword2": lines[1] if len(lines) > 1 else lines[0],
            "remark": "\n".join(lines[2:]),
        }
        data = template_data(parts, self._template_fields)
        url = next((button.url for row in reply.buttons for button in row if button.url), None)
        try:
            await self._call(client, lambda: client.message.send_template(openid, self._template_id, data, url=url))
        except _OutsideWindow as error:
            raise RetryableDeliveryError("WeChat refused the template message (quota)") from error

    async def _photo(self, client: _Client, delivery: Delivery) -> None:
        media, case = str(delivery.payload.get("media", "")), delivery.complaint_id
        if not media or case is None:
            raise PermanentDeliveryError("a photo message without media id or case")
        data = await self._download(client, media, f"WeChat media for {delivery.ref}")
        try:
            await attach_photo(self._writer, case, data)
        except PhotoError as error:
            raise PermanentDeliveryError(f"WeChat media for {delivery.ref} is not a usable picture") from error

    async def photo_bytes(self, media: str) -> bytes:
        """A picture sent to the account, for the dialogue's code reader (bot/codes/photos.py)."""
        return await self._download(self._client_for(asyncio.get_running_loop()), media, "WeChat media")

    async def _download(self, client: _Client, media: str, what: str) -> bytes:
        response = await self._call(client, lambda: client.media.download(media))
        if not isinstance(response, requests.Response):
            raise PermanentDeliveryError(f"{what} is not a picture")
        return response.content

    async def _call(self, client: _Client, call: Callable[[], T]) -> T:
        return await asyncio.to_thread(_with_token, client, call)


def _with_token(client: _Client, call: Callable[[], T]) -> T:
    """Run one API call in this thread, renewing a rejected token once; WeChat's answers as delivery errors."""
    for attempt in (1, 2):
        try:
            used = client.access_token
            return call()
        except WeChatClientException as error:
            code = error.errcode
            if code in TOKEN_ERRORS and attempt == 1:
                client.session.discard(client.access_token_key, used)
                continue
            raise _delivery_error(error) from error
        except requests.RequestException as error:
            raise RetryableDeliveryError(f"WeChat API unreachable: {type(error).__name__}") from error
        except _TokenRefused as error:
            raise RetryableDeliveryError(
                f"WeChat issued no access token (errcode {error.code}): check WECHAT_APP_ID, WECHAT_APP_SECRET "
                "and the account's IP whitelist"
            ) from error
    raise RetryableDeliveryError("WeChat kept rejecting a fresh access token")


def _delivery_error(error: WeChatClientException) -> Exception:
    """What a WeChat error means for the outbox; the message holds WeChat's code, never the user or the text."""
    code = error.errcode
    if code is None:
        status = getattr(error.response, "status_code", None)
        return RetryableDeliveryError(f"WeChat API answered HTTP {status}")
    if code in WINDOW_ERRORS:
        return _OutsideWindow(code)
    if code in BUSY_ERRORS or code in TOKEN_ERRORS:
        return RetryableDeliveryError(f"WeChat API busy or limited (errcode {code})")
    if code in GONE_ERRORS:
        return PermanentDeliveryError(f"WeChat user cannot be reached (errcode {code})")
    return PermanentDeliveryError(f"WeChat API refused the call (errcode {code})")


def _what(delivery: Delivery) -> tuple[str, str, str]:
    return delivery.channel, delivery.kind, delivery.ref
