"""Telegram: a Bot API update becomes dialogue events, the dialogue's replies become Bot API messages.

The same :class:`TelegramChannel` serves the webhook (``web.views.bots.telegram``) and local long polling
(:func:`poll`). A reply that cannot be sent because Telegram is unreachable goes to the outbox, whose
:class:`TelegramSender` also fetches chat photos into their cases and tells shoppers about their cases.
The HTTP client is the caller's aiohttp session: one pool per process, closed by whoever opened it. Updates are
read and answers sent as plain JSON (``telegram_updates``, :class:`BotApi`), which halved a webhook call's cost;
python-telegram-bot does the rest (long polling, fetching photos, registering the webhook).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.channels.telegram_transport import BotApi
from bot.channels.telegram_updates import CHANNEL, Inbound, answer_address, inbound_of
from bot.conversation import Event, Reply
from bot.outbound.notices import notice_for
from bot.service import CHAT_REPLY, PHOTO, Handled, queue_answers, stored_replies
from complaints.outbox.claims import Delivery
from complaints.outbox.evidence import attach_photo
from complaints.outbox.senders import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from complaints.photos import MAX_PHOTO_BYTES, PhotoError

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")  # what setWebhook and getUpdates ask Telegram for
MAX_MESSAGE_CHARS = 4096  # Bot API limit of one message's text
MAX_CALLBACK_BYTES = 64  # Bot API limit of a button's callback_data
POLL_SECONDS = 30


def _linkable(url: str) -> bool:
    """Whether Telegram accepts the URL in a button: it refuses localhost and private addresses."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"} or "." not in host or host == "localhost":
        return False
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_global
    return True


def _chunks(text: str) -> list[str]:
    """The text in pieces Telegram takes, cut between lines where it can."""
    chunks: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while line:
            if len(current) + len(line) <= MAX_MESSAGE_CHARS:
                current, line = current + line, ""
            elif current:
                chunks.append(current)
                current = ""
            else:
                chunks.append(line[:MAX_MESSAGE_CHARS])
                line = line[MAX_MESSAGE_CHARS:]
    chunks.append(current)
    return [chunk.rstrip("\n") for chunk in chunks if chunk.strip()]


def messages_of(reply: Reply) -> list[tuple[str, dict[str, Any] | None]]:
    """A reply as Bot API messages (text, keyboard): the keyboard goes with the last one. A link Telegram
    would refuse (a development server's) is written out instead; a button whose data Telegram cannot carry
    is left out, since typing its words does the same."""
    rows: list[list[dict[str, str]]] = []
    written: list[str] = []
    for row in reply.buttons:
        buttons = []
        for button in row:
            if button.url and _linkable(button.url):
                buttons.append({"text": button.label, "url": button.url})
            elif button.url:
                written.append(f"{button.label}: {button.url}")
            elif button.data and len(button.data.encode()) <= MAX_CALLBACK_BYTES:
                buttons.append({"text": button.label, "callback_data": button.data})
        if buttons:
            rows.append(buttons)
    chunks = _chunks("\n".join([reply.text, *written]))
    keyboard = {"inline_keyboard": rows} if rows else None
    return [(chunk, keyboard if index == len(chunks) - 1 else None) for index, chunk in enumerate(chunks)]


async def send_reply(api: BotApi, chat_id: int, reply: Reply) -> None:
    for text, keyboard in messages_of(reply):
        await api.send_message(chat_id, text, keyboard)


def delivery_error(error: TelegramError, token: str) -> DeliveryError:
    """What a Bot API failure means for the outbox. The message is stored: it names the failure, never the
    chat or the text (Telegram's descriptions, like "bot was blocked by the user", name neither)."""
    described = error.message.replace(token, "<token>")[:200] if token else error.message[:200]
    if isinstance(error, RetryAfter):
        return RetryableDeliveryError("telegram asked to slow down (429 flood control)")
    if isinstance(error, TimedOut):
        return RetryableDeliveryError("telegram did not answer in time")
    if isinstance(error, Forbidden | BadRequest | ChatMigrated):  # BadRequest is a NetworkError: checked first
        return PermanentDeliveryError(f"telegram refused the message: {described}")
    if isinstance(error, InvalidToken):
        return RetryableDeliveryError("telegram refused the bot's token: check TELEGRAM_TOKEN")
    return RetryableDeliveryError(f"telegram unreachable or failing: {described}")


async def download_photo(bot: Bot, media: str) -> bytes:
    """A chat photo's bytes by its file id (into its case, or to look for a code in it)."""
    file = await bot.get_file(media)
    if file.file_size is not None and file.file_size > MAX_PHOTO_BYTES:
        raise PermanentDeliveryError(f"the photo is larger than {MAX_PHOTO_BYTES // 2**20} MB")
    return bytes(await file.download_as_bytearray())


class Dialogue(Protocol):
    async def receive(self, event: Event) -> Handled: ...


class TelegramChannel:
    """The bot of one process: hands updates to the dialogue and its answers to Telegram."""

    def __init__(
        self,
        *,
        bot: Bot,
        api: BotApi,
        token: str,
        dialogue: Dialogue,
        engine: AsyncEngine,
        clock: Callable[[], datetime],
    ) -> None:
        self.bot = bot  # python-telegram-bot's, for long polling
        self._api = api
        self._token = token
        self._dialogue = dialogue
        self._engine = engine
        self._clock = clock

    async def receive(self, found: Inbound) -> None:
        """Hand an update's events to the dialogue and send its answers."""
        if found.chat_id is None or not found.events:
            return
        replies: list[Reply] = []
        answered: list[str] = []
        for event in found.events:
            handled = await self._dialogue.receive(event)
            # A redelivered update was answered the first time (sent, or queued in the outbox): not again.
            if handled.first:
                replies.extend(handled.replies)
                answered.append(event.key)
        await self.answer(found.chat_id, answered, replies)

    async def photo_bytes(self, media: str) -> bytes:
        """A photo sent to the bot, for the dialogue's code reader (bot/codes/photos.py)."""
        return await download_photo(self.bot, media)

    async def answer(self, chat_id: int, keys: Sequence[str], replies: Sequence[Reply]) -> None:
        """Send the replies (the answers to the messages ``keys``) in order; from the first that Telegram cannot
        take now, the rest wait in the outbox (in one row, so they keep their order)."""
        key = keys[0] if keys else ""
        for index, reply in enumerate(replies):
            try:
                await send_reply(self._api, chat_id, reply)
            except TelegramError as exc:
                error = delivery_error(exc, self._token)
                if isinstance(error, PermanentDeliveryError):
                    log.warning("telegram: the answer to update %s was refused: %s", key, error)
                    return
                await self._queue(chat_id, keys, index)
                log.warning("telegram: the answer to update %s waits in the outbox: %s", key, error)
                return

    async def _queue(self, chat_id: int, keys: Sequence[str], sent: int) -> None:
        await queue_answers(self._engine, CHANNEL, keys, to=answer_address(chat_id, sent), now=self._clock())


async def poll(
    channel: TelegramChannel, *, stop: asyncio.Event, max_updates: int | None = None, wait: int = POLL_SECONDS
) -> int:
    """Long polling (getUpdates, each waiting up to ``wait`` seconds) until ``stop`` is set or ``max_updates``
    were handled; returns how many were.

    A failure to reach Telegram or the database is waited out; the update is fetched again and, being handled
    exactly once, answered with its first answer. Conflict (a webhook is set) and InvalidToken end the loop.
    """
    bot, offset, handled, failures = channel.bot, None, 0, 0
    while not stop.is_set() and (max_updates is None or handled < max_updates):
        try:
            updates = await bot.get_updates(offset=offset, timeout=wait, allowed_updates=ALLOWED_UPDATES)
            for update in updates:
                found = inbound_of(update.to_dict())
                await channel.receive(found)
                offset, handled = update.update_id + 1, handled + 1
                if found.callback_id is not None:
                    with contextlib.suppress(TelegramError):  # the client's spinner also stops by itself
                        await bot.answer_callback_query(found.callback_id)
                if max_updates is not None and handled >= max_updates:
                    break
            failures = 0
        except (Conflict, InvalidToken, BadRequest, Forbidden):
            raise
        except Exception as exc:  # Telegram or the database away: try again, more slowly each time
            failures += 1
            delay = min(2.0**failures, 30.0)
            log.warning("telegram polling: %s; trying again in %g s", type(exc).__name__, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    if offset is not None:
        # Confirm what was handled, or the next start would fetch (and answer) it again.
        with contextlib.suppress(TelegramError):
            await bot.get_updates(offset=offset, limit=1, timeout=0)
    return handled


class _Turns:
    """The worker sends a batch concurrently; one chat's messages still leave in the order they were claimed
    ("accepted" before "closed"), since each waits for the chat's lock, which asyncio grants first come first."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def of(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            users = self._locks[chat_id][1] - 1
            if users:
                self._locks[chat_id] = (lock, users)
            else:
                del self._locks[chat_id]


class TelegramSender:
    """The outbox sender: chat photos into their cases, replies that waited, and notices about cases."""

    def __init__(
        self,
        *,
        bot: Bot,
        api: BotApi,
        token: str,
        engine: AsyncEngine,
        writer: AsyncEngine,
        secret: str,
        base_url: str,
    ) -> None:
        self._bot = bot  # python-telegram-bot's, for fetching photos
        self._api = api
        self._token = token
        self._engine = engine
        self._writer = writer  # the engine for transactions that read then write (IMMEDIATE on SQLite)
        self._secret = secret
        self._base_url = base_url
        self._turns = _Turns()

    async def send(self, delivery: Delivery) -> None:
        try:
            if delivery.kind == PHOTO:
                await self._fetch_photo(delivery)
            elif delivery.kind == CHAT_REPLY:
                chat_id = int(delivery.payload["chat_id"])
                answers = await stored_replies(self._engine, CHANNEL, delivery.payload["answers"])
                if answers is None:
                    raise PermanentDeliveryError("the answers waited longer than they are kept")
                async with self._turns.of(chat_id):
                    for reply in answers[int(delivery.payload["sent"]) :]:
                        await send_reply(self._api, chat_id, reply)
            else:
                if delivery.recipient is None or not delivery.recipient.channel_user:
                    raise PermanentDeliveryError("the case has no Telegram chat to write to")
                chat_id = int(delivery.recipient.channel_user)
                async with self._turns.of(chat_id):
                    reply = await notice_for(self._engine, delivery, secret=self._secret, base_url=self._base_url)
                    await send_reply(self._api, chat_id, reply)
        except TelegramError as exc:
            raise delivery_error(exc, self._token) from exc

    async def _fetch_photo(self, delivery: Delivery) -> None:
        if delivery.complaint_id is None:
            raise PermanentDeliveryError("a chat photo without its case")
        data = await download_photo(self._bot, str(delivery.payload["media"]))
        try:
            await attach_photo(self._writer, delivery.complaint_id, data)
        except PhotoError as exc:
            raise PermanentDeliveryError(f"the photo cannot be kept: {exc.code}") from exc
