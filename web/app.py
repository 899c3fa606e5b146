"""The composition root: builds the aiohttp application from settings and wires the packages together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime

from aiohttp import web

from bot.service import DialogueService
from bot.world import ServiceWorld
from web import errors
from web.auth import access as auth
from web.db import create_engine, for_writing
from web.http_cache import Freshness
from web.i18n import load_catalogues
from web.intake_service import IntakeService
from web.keys import CLOCK, DIALOGUE, ENGINE, FRESHNESS, INTAKE, PAGES, SCAN_READER, SETTINGS, Clock
from web.render.instrument_html import ChatEntries
from web.render.pages import Pages
from web.scan_readers import open_scan_reader
from web.settings import Settings
from web.views.api import complaints as complaint_api
from web.views.api import queue as queue_api
from web.views.bots import telegram as telegram_hook
from web.views.bots import wechat as wechat_hook
from web.views.public import complaint_form, health
from web.views.public import index as index_views
from web.views.public import lookup as lookup_views
from web.views.public import open_data as open_data_views
from web.views.public import public_record as public_record_views
from web.views.public import rating as rating_views
from web.views.staff import admin as admin_views
from web.views.staff import hotspots as hotspot_views
from web.views.staff import monitoring as monitoring_views
from web.views.staff import queue as queue_views
from web.views.staff import reports as report_views
from web.views.staff import visits as visit_views

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    app = web.Application(middlewares=[errors.middleware, auth.access], client_max_size=1024**2)
    app[SETTINGS] = settings
    app[CLOCK] = clock or (lambda: datetime.now(settings.zone))
    app[FRESHNESS] = Freshness(app[CLOCK], settings.fairweigh_lookup_max_age)
    telegram_bot, wechat_account = settings.chat_entries
    app[PAGES] = Pages(
        load_catalogues(),
        hotline=settings.fairweigh_hotline,
        chats=ChatEntries(telegram_bot=telegram_bot, wechat_account=wechat_account),
    )
    app.cleanup_ctx.append(_database)
    health.add_routes(app)
    auth.add_routes(app)
    lookup_views.add_routes(app)
    public_record_views.add_routes(app)
    open_data_views.add_routes(app)
    complaint_api.add_routes(app)
    complaint_form.add_routes(app)
    queue_api.add_routes(app)
    queue_views.add_routes(app)
    hotspot_views.add_routes(app)
    rating_views.add_routes(app)
    admin_views.add_routes(app)
    report_views.add_routes(app)
    telegram_hook.add_routes(app)
    wechat_hook.add_routes(app)
    visit_views.add_routes(app)
    index_views.add_routes(app)
    monitoring_views.add_routes(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    app[SETTINGS].announce()
    url = app[SETTINGS].async_database_url
    engine = create_engine(url)
    app[ENGINE] = engine
    reader = await open_scan_reader(url)
    app[SCAN_READER] = reader
    app[INTAKE] = IntakeService(engine, app[SETTINGS], app[CLOCK])
    app[INTAKE].classifier.start()
    settings = app[SETTINGS]
    world = ServiceWorld(
        engine=engine,
        writer=for_writing(engine),
        intake=app[INTAKE],
        cards=reader,
        clock=app[CLOCK],
        secret=settings.secret(),
        base_url=settings.public_base_url,
        hotline=settings.fairweigh_hotline,
    )
    app[DIALOGUE] = DialogueService(intake=app[INTAKE], states=reader, world=world, clock=app[CLOCK], engine=engine)
    try:
        yield
    finally:
        await app[INTAKE].close()
        await reader.close()
        await engine.dispose()
