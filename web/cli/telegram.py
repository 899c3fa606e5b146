"""`fairweigh bot telegram --polling | --set-webhook`: the Telegram bot without a public URL, and its registration.

The bot's libraries are imported when the command runs, so other commands do not pay for them.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
from collections.abc import Callable
from datetime import datetime

from web.settings import Settings

# What Telegram accepts as a webhook's secret_token.
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bots = commands.add_parser("bot", help="the chat bots").add_subparsers(dest="bot_command", required=True)
    telegram = bots.add_parser("telegram", help="the Telegram bot: local polling, or registering the webhook")
    mode = telegram.add_mutually_exclusive_group(required=True)
    mode.add_argument("--polling", action="store_true", help="answer by long polling (no public URL needed)")
    mode.add_argument("--set-webhook", action="store_true", help="register PUBLIC_BASE_URL/bot/telegram with Telegram")
    telegram.add_argument(
        "--delete-webhook", action="store_true", help="with --polling: remove a registered webhook first"
    )
    telegram.set_defaults(run=telegram_command)


def _fail(message: str) -> int:
    print(f"fairweigh: {message}", file=sys.stderr)
    return 2


def telegram_command(settings: Settings, args: argparse.Namespace) -> int:
    from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError

    from web.views.bots.telegram import secret_value

    if not secret_value(settings.telegram_token):
        return _fail("TELEGRAM_TOKEN is not set: the Telegram bot is off. Set it to the token @BotFather gave you.")
    try:
        if args.set_webhook:
            return asyncio.run(set_webhook(settings))
        return asyncio.run(run_polling(settings, delete_webhook=args.delete_webhook))
    except InvalidToken:
        return _fail("Telegram refused TELEGRAM_TOKEN: check it with @BotFather.")
    except Conflict:
        return _fail("Telegram says another process is polling with this token (or a webhook was just set).")
    except BadRequest as exc:
        return _fail(f"Telegram refused the request: {exc.message}")
    except NetworkError as exc:
        return _fail(f"cannot reach Telegram at {settings.telegram_api_url}: {exc.message}")
    except TelegramError as exc:
        return _fail(f"Telegram answered an error: {type(exc).__name__}")


async def set_webhook(settings: Settings) -> int:
    import aiohttp

    from bot.channels.telegram import ALLOWED_UPDATES
    from bot.channels.telegram_transport import AiohttpRequest, make_bot
    from web.views.bots.telegram import PATH, secret_value

    secret = secret_value(settings.telegram_webhook_secret)
    if not _SECRET_SHAPE.fullmatch(secret):
        return _fail(
            "TELEGRAM_WEBHOOK_SECRET must be set to 1–256 letters, digits, _ or - (Telegram sends it back with "
            "every update), e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    url = f"{settings.public_base_url}{PATH}"
    async with aiohttp.ClientSession() as session:
        bot = make_bot(secret_value(settings.telegram_token), settings.telegram_api_url, AiohttpRequest(session))
        await bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    print(f"fairweigh: Telegram will deliver updates to {url}")
    return 0


async def run_polling(
    settings: Settings,
    *,
    delete_webhook: bool = False,
    stop: asyncio.Event | None = None,
    max_updates: int | None = None,
    poll_seconds: int = 30,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """Answer the bot's updates by long polling with the app's own dialogue, until a signal (or ``stop``, or
    ``max_updates``). A registered webhook would take the updates away: it is removed only when asked."""
    from aiohttp import web

    from bot.channels.telegram import poll
    from web.app import create_app
    from web.db import create_engine, require_current_schema
    from web.views.bots.telegram import TELEGRAM

    engine = create_engine(settings.async_database_url)
    try:
        await require_current_schema(engine)
    finally:
        await engine.dispose()
    runner = web.AppRunner(create_app(settings, clock=clock))
    await runner.setup()  # the app's start-up without a server: database, dialogue, bot
    try:
        bot = runner.app[TELEGRAM].bot
        me = await bot.get_me()
        hooked = (await bot.get_webhook_info()).url
        if hooked and not delete_webhook:
            return _fail(
                f"a webhook is registered ({hooked}): Telegram delivers there, not to polling. Run again with "
                "--delete-webhook to remove it (and `--set-webhook` later to restore it)."
            )
        if hooked:
            await bot.delete_webhook()
            print(f"fairweigh: removed the webhook {hooked}; restore it with `fairweigh bot telegram --set-webhook`")
        if stop is None:
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        print(f"fairweigh: polling Telegram as @{me.username}; Ctrl-C stops", flush=True)
        handled = await poll(runner.app[TELEGRAM], stop=stop, max_updates=max_updates, wait=poll_seconds)
        print(f"fairweigh: stopped after {handled} update(s)")
        return 0
    finally:
        await runner.cleanup()
