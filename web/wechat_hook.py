"""The wechat webhook and outbox sender (being built: issue 5)."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.delivery import Sender
from web.settings import Settings


def add_routes(app: web.Application) -> None:
    """Nothing yet."""


def configured_sender(settings: Settings, engine: AsyncEngine, session: aiohttp.ClientSession) -> Sender | None:
    """The outbox sender for wechat, or None when the channel is not configured."""
    return None
