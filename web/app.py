"""The composition root: builds the aiohttp application from settings and wires the packages together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from types import ModuleType

from aiohttp import web

from bot.codes.photos import ChatPhotoCodes
from bot.service import DialogueService
from bot.world import ServiceWorld
from web import errors
from web.auth import access as auth
from web.auth import login as login_views
from web.db import create_engine, for_writing
from web.http import compression
from web.http.cache import Freshness
from web.http.protective_headers import protect
from web.intake_service import IntakeService
from web.keys import (
    CLOCK,
    DIALOGUE,
    ENGINE,
    FRESHNESS,
    INTAKE,
    PAGES,
    PHOTO_CODES,
    ROTATION,
    SCAN_PAGES,
    SCAN_READER,
    SETTINGS,
    Clock,
)
from web.ops.metrics import Metrics, counting
from web.ops.scrape import METRICS, CountedDialogue, listener
from web.ops.scrape import add_routes as add_metrics_route
from web.render.stored import ScanPages, pages_for, rotation_policy
from web.scan_readers import open_scan_reader
from web.settings import Settings
from web.views.api import complaints as complaint_api
from web.views.api import openapi as openapi_views
from web.views.api import queue as queue_api
from web.views.bots import telegram as telegram_hook
from web.views.bots import wechat as wechat_hook
from web.views.public import case_contact as case_contact_views
from web.views.public import complaint_form, health
from web.views.public import district as district_views
from web.views.public import find_json as find_json_views
from web.views.public import home as home_views
from web.views.public import index as index_views
from web.views.public import lookup as lookup_views
from web.views.public import merchant_link as merchant_link_views
from web.views.public import odr as odr_views
from web.views.public import open_data as open_data_views
from web.views.public import privacy as privacy_notice
from web.views.public import public_record as public_record_views
from web.views.public import rating as rating_views
from web.views.staff import account as account_views
from web.views.staff import admin as admin_views
from web.views.staff import due as due_views
from web.views.staff import hotspots as hotspot_views
from web.views.staff import markets_admin as market_admin_views
from web.views.staff import merchants as merchant_views
from web.views.staff import monitoring as monitoring_views
from web.views.staff import privacy as privacy_views
from web.views.staff import queue as queue_views
from web.views.staff import reports as report_views
from web.views.staff import sign_in_admin as sign_in_admin_views
from web.views.staff import targets as target_views
from web.views.staff import visits as visit_views
from web.views.staff import warnings as warning_views

log = logging.getLogger(__name__)

# Every module that adds routes, in the order they are added (where two patterns could match a path, the first wins).
ROUTES: tuple[ModuleType, ...] = (
    health,
    login_views,
    lookup_views,
    home_views,
    find_json_views,
    public_record_views,
    open_data_views,
    complaint_api,
    openapi_views,
    complaint_form,
    queue_api,
    queue_views,
    hotspot_views,
    rating_views,
    case_contact_views,
    privacy_notice,
    admin_views,
    market_admin_views,
    account_views,
    sign_in_admin_views,
    report_views,
    telegram_hook,
    wechat_hook,
    visit_views,
    index_views,
    monitoring_views,
    due_views,
    target_views,
    district_views,
    warning_views,
    privacy_views,
    merchant_link_views,
    odr_views,
    merchant_views,
)


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    # Metrics cost a little on every request: without FAIRWEIGH_METRICS_* there is no counting middleware at all.
    metrics = Metrics() if settings.metrics_enabled else None
    middlewares = [compression.middleware, errors.middleware, auth.access]
    app = web.Application(
        middlewares=middlewares if metrics is None else [counting(metrics), *middlewares], client_max_size=1024**2
    )
    app[SETTINGS] = settings
    zone = settings.zone  # read once: a settings attribute costs a pydantic lookup, and every scan asks the clock
    app[CLOCK] = clock or (lambda: datetime.now(zone))
    if metrics is not None:
        app[METRICS] = metrics
        token = settings.fairweigh_metrics_token
        if token is not None and token.get_secret_value():
            add_metrics_route(app, token.get_secret_value(), lambda: app[ENGINE], app[CLOCK])
    app[PHOTO_CODES] = ChatPhotoCodes()
    app[FRESHNESS] = Freshness(app[CLOCK], settings.fairweigh_lookup_max_age)
    app[ROTATION] = rotation_policy(settings)
    app[PAGES] = pages_for(settings, app[ROTATION])
    app[SCAN_PAGES] = ScanPages(app[PAGES], base_url=settings.public_base_url, rotation=app[ROTATION])
    protect(app, inline_css=app[PAGES].inline_css, public_base_url=settings.public_base_url)
    app.cleanup_ctx.append(_database)
    for views in ROUTES:
        views.add_routes(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    app[SETTINGS].announce()
    url = app[SETTINGS].async_database_url
    engine = create_engine(url)
    app[ENGINE] = engine
    reader = await open_scan_reader(url)
    app[SCAN_READER] = reader
    metrics = app.get(METRICS)
    app[INTAKE] = IntakeService(engine, app[SETTINGS], app[CLOCK], metrics)
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
        retention=settings.retention,
        codes=app[PHOTO_CODES],
    )
    if metrics is None:
        app[DIALOGUE] = DialogueService(intake=app[INTAKE], states=reader, world=world, clock=app[CLOCK], engine=engine)
    else:
        app[DIALOGUE] = CountedDialogue(
            metrics=metrics, intake=app[INTAKE], states=reader, world=world, clock=app[CLOCK], engine=engine
        )
    try:
        async with listener(settings.metrics_listen, metrics, engine, app[CLOCK]):
            yield
    finally:
        await app[INTAKE].close()
        await reader.close()
        await engine.dispose()
