"""The WeChat official account: `GET|POST /bot/wechat` (URL check and pushes) and the outbox sender.

The push is answered within WeChat's five seconds with a passive reply: the dialogue's turn is a few database
statements, and everything slow (photos, later notices) goes through the outbox. A turn that still runs after
WECHAT_REPLY_SECONDS (a database held by an import, say) is answered "success", which WeChat neither retries nor
shows; the turn goes on, and its answer follows from the outbox as a customer-service message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime

import aiohttp
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalogue import catalogue
from bot.channels.wechat import CHANNEL, WeChatWebhook, answer_address, render
from bot.channels.wechat_api import WeChatSender, parse_template_fields
from bot.conversation import Event
from bot.service import Handled, queue_answers
from complaints.outbox.senders import Sender
from web.auth.access import public
from web.db import for_writing
from web.keys import CLOCK, DIALOGUE, ENGINE, PHOTO_CODES, SETTINGS, Clock
from web.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK = web.AppKey("wechat_webhook", WeChatWebhook)
LATE_TURNS = web.AppKey("wechat_late_turns", set[asyncio.Task[None]])  # turns that outlasted the passive reply


def _secret(value: SecretStr | str | None) -> str:
    # Settings validate into SecretStr; a copy made with model_copy(update=…) may hold the plain string.
    return value.get_secret_value() if isinstance(value, SecretStr) else value or ""


def webhook_for(settings: Settings) -> WeChatWebhook | None:
    """The webhook's checker, or None (and one log line) when the account is not configured."""
    token = _secret(settings.wechat_token)
    if not settings.wechat_app_id or not token:
        log.info("WECHAT_APP_ID or WECHAT_TOKEN is not set: the WeChat official account (/bot/wechat) is off.")
        return None
    aes_key = _secret(settings.wechat_aes_key) or None
    try:
        return WeChatWebhook(token=token, app_id=settings.wechat_app_id, aes_key=aes_key)
    except ValueError as error:
        log.error("WECHAT_AES_KEY is not usable (%s): WeChat safe mode is OFF, plain mode only.", error)
        return WeChatWebhook(token=token, app_id=settings.wechat_app_id)


def add_routes(app: web.Application) -> None:
    webhook = webhook_for(app[SETTINGS])
    if webhook is None:
        return  # no route: /bot/wechat answers 404 like any unknown path
    app[WEBHOOK] = webhook
    app[LATE_TURNS] = set()
    app.cleanup_ctx.append(_finish_late_turns)
    app.cleanup_ctx.append(_photo_download)
    app.router.add_get("/bot/wechat", verify)
    app.router.add_post("/bot/wechat", push)


def _now(request: web.Request) -> float:
    return request.app[CLOCK]().timestamp()


@public
async def verify(request: web.Request) -> web.Response:
    echo = request.app[WEBHOOK].echo(request.query, now=_now(request))  # WebhookRefused: errors.middleware
    return web.Response(text=echo)


@public
async def push(request: web.Request) -> web.Response:
    webhook, now = request.app[WEBHOOK], _now(request)
    webhook.check(request.query, now=now)  # before reading the body: a forged push costs nothing
    inbound = webhook.read(request.query, await request.read())
    # A retry gets the first answer again: WeChat shows whichever response reaches it first.
    turn = asyncio.ensure_future(request.app[DIALOGUE].receive(inbound.event))
    try:
        handled = await asyncio.wait_for(asyncio.shield(turn), request.app[SETTINGS].wechat_reply_seconds)
    except TimeoutError:
        _answer_later(request.app, inbound.event, turn)
        return web.Response(text="success")
    body = webhook.reply(inbound, render(handled.replies, catalogue(handled.language)), now=now)
    return web.Response(text=body, content_type="application/xml" if body.startswith("<") else "text/plain")


def _answer_later(app: web.Application, event: Event, turn: asyncio.Future[Handled]) -> None:
    async def queue_answer() -> None:
        try:
            handled = await turn
        except Exception:
            # Nothing was stored, so WeChat's "success" is all the shopper saw: say so where someone looks.
            log.exception("wechat: a turn that outlasted the passive reply failed; message %s was not taken", event.key)
            return
        if not handled.first or not handled.replies:
            return  # a redelivery (answered the first time) or a turn that needs no answer
        await queue_answers(app[ENGINE], CHANNEL, [event.key], to=answer_address(event.chat_user), now=app[CLOCK]())

    task = asyncio.ensure_future(queue_answer())
    app[LATE_TURNS].add(task)
    task.add_done_callback(app[LATE_TURNS].discard)


async def _finish_late_turns(app: web.Application) -> AsyncIterator[None]:
    """On shutdown, before the database closes, the turns still running finish and queue their answers."""
    yield
    running: set[asyncio.Task[None]] = app[LATE_TURNS]
    if running:
        await asyncio.wait(running, timeout=30)


async def _photo_download(app: web.Application) -> AsyncIterator[None]:
    """Pictures sent to the account are downloaded (as the outbox fetches evidence) to look for a code in them."""
    sender = sender_for(app[SETTINGS], app[ENGINE], clock=app[CLOCK])
    if sender is not None:
        app[PHOTO_CODES].register(CHANNEL, sender.photo_bytes)
    yield


def configured_sender(settings: Settings, engine: AsyncEngine, session: aiohttp.ClientSession) -> Sender | None:
    """The outbox sender for wechat, or None when the channel is not configured."""
    return sender_for(settings, engine, clock=lambda: datetime.now(settings.zone))


def sender_for(settings: Settings, engine: AsyncEngine, *, clock: Clock) -> WeChatSender | None:
    secret, token = _secret(settings.wechat_app_secret), _secret(settings.wechat_token)
    if not (settings.wechat_app_id and secret and token):
        log.info("WECHAT_APP_ID, WECHAT_APP_SECRET or WECHAT_TOKEN is not set: WeChat notices wait in the outbox.")
        return None
    try:
        fields = parse_template_fields(settings.wechat_template_fields)
    except ValueError as error:
        log.error("WECHAT_TEMPLATE_FIELDS is not usable (%s): WeChat notices wait in the outbox.", error)
        return None
    if not settings.wechat_template_id:
        log.info("WECHAT_TEMPLATE_ID is not set: notices after WeChat's 48-hour window wait for the user to write.")
    return WeChatSender(
        engine=engine,
        writer=for_writing(engine),
        app_id=settings.wechat_app_id,
        app_secret=secret,
        api_url=settings.wechat_api_url,
        template_id=settings.wechat_template_id,
        template_fields=fields,
        secret=settings.secret(),
        base_url=settings.public_base_url,
        clock=clock,
    )
