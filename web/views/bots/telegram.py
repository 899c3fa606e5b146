"""The Telegram bot in the web app: the webhook `POST /bot/telegram`, and the outbox sender for `fairweigh worker`.

TELEGRAM_TOKEN turns the bot on; the webhook also needs TELEGRAM_WEBHOOK_SECRET, which Telegram sends back in
a header on every call (registered by `fairweigh bot telegram --set-webhook`). Without it the route does not
exist (404) and local polling still works.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.telegram import TelegramChannel, TelegramSender
from bot.channels.telegram_transport import AiohttpRequest, BotApi, make_bot
from bot.channels.telegram_updates import CHANNEL, MalformedUpdate, inbound_of
from complaints.outbox.senders import Sender
from lookup.problems import Kind, Problem
from web.auth.access import public
from web.db import for_writing
from web.http.json_body import read_json
from web.keys import CLOCK, DIALOGUE, ENGINE, PHOTO_CODES, SETTINGS
from web.settings import Settings

log = logging.getLogger(__name__)

PATH = "/bot/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
# Each webhook call sends its answers before it returns: Telegram waits for it, a stuck send must not.
CONNECT_SECONDS, READ_SECONDS = 3.0, 5.0
TELEGRAM = web.AppKey("telegram", TelegramChannel)


def secret_value(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


def add_routes(app: web.Application) -> None:
    settings = app[SETTINGS]
    app.cleanup_ctx.append(_bot)
    if secret_value(settings.telegram_token) and secret_value(settings.telegram_webhook_secret):
        app.router.add_post(PATH, webhook)


async def _bot(app: web.Application) -> AsyncIterator[None]:
    """One Bot per process, over its own connection pool; nothing is asked of Telegram at startup."""
    settings = app[SETTINGS]
    token = secret_value(settings.telegram_token)
    if not token:
        log.info("TELEGRAM_TOKEN is not set: the Telegram bot is off (POST %s answers 404).", PATH)
        yield
        return
    if not secret_value(settings.telegram_webhook_secret):
        log.warning(
            "TELEGRAM_WEBHOOK_SECRET is not set: the Telegram webhook is OFF (POST %s answers 404). Set it and run "
            "`fairweigh bot telegram --set-webhook`, or use `fairweigh bot telegram --polling` locally.",
            PATH,
        )
    timeout = aiohttp.ClientTimeout(sock_connect=CONNECT_SECONDS, sock_read=READ_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        request = AiohttpRequest(session, connect_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS)
        app[TELEGRAM] = TelegramChannel(
            bot=make_bot(token, settings.telegram_api_url, request),
            api=BotApi(
                session,
                settings.telegram_api_url,
                token,
                connect_timeout=CONNECT_SECONDS,
                read_timeout=READ_SECONDS,
            ),
            token=token,
            dialogue=app[DIALOGUE],
            engine=app[ENGINE],
            clock=app[CLOCK],
        )
        app[PHOTO_CODES].register(CHANNEL, app[TELEGRAM].photo_bytes)
        yield


@public
async def webhook(request: web.Request) -> web.Response:
    """An update from Telegram, answered before this returns; a button tap is acknowledged in the response body
    (Telegram runs a method named there), which saves a call to the Bot API."""
    expected = secret_value(request.app[SETTINGS].telegram_webhook_secret).encode()
    if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), expected):
        raise Problem("forbidden", "密钥不对。", "The secret token is wrong.", field=SECRET_HEADER, kind=Kind.refused)
    data = await read_json(request, code="malformed_update")  # past client_max_size: 413
    try:
        found = inbound_of(data)
    except MalformedUpdate:
        raise Problem("malformed_update", "无法读取这条更新。", "The update cannot be read.") from None
    await request.app[TELEGRAM].receive(found)
    if found.callback_id is not None:
        return web.json_response({"method": "answerCallbackQuery", "callback_query_id": found.callback_id})
    return web.Response()


def configured_sender(settings: Settings, engine: AsyncEngine, session: aiohttp.ClientSession) -> Sender | None:
    """The outbox sender for telegram, or None when the channel is not configured."""
    token = secret_value(settings.telegram_token)
    if not token:
        log.info("TELEGRAM_TOKEN is not set: messages to Telegram chats wait in the outbox.")
        return None
    return TelegramSender(
        bot=make_bot(token, settings.telegram_api_url, AiohttpRequest(session)),
        api=BotApi(session, settings.telegram_api_url, token),
        token=token,
        engine=engine,
        writer=for_writing(engine),
        secret=settings.secret(),
        base_url=settings.public_base_url,
    )
