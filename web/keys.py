"""Typed keys for what the application holds; one module so views and the root import them alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.codes.photos import ChatPhotoCodes
from bot.service import DialogueService
from complaints.programme.targets import Targets
from lookup.rotation import RotationPolicy
from web.http.cache import Freshness
from web.intake_service import IntakeService
from web.render.pages import Pages
from web.render.stored import ScanPages
from web.scan_readers import ScanReader
from web.settings import Settings

Clock = Callable[[], datetime]

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SCAN_READER = web.AppKey("scan_reader", ScanReader)
PAGES = web.AppKey("pages", Pages)
SCAN_PAGES = web.AppKey("scan_pages", ScanPages)  # the stored scan pages' renderer and stamp
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
FRESHNESS = web.AppKey("freshness", Freshness)
INTAKE = web.AppKey("intake", IntakeService)
DIALOGUE = web.AppKey("dialogue", DialogueService)
PHOTO_CODES = web.AppKey("photo_codes", ChatPhotoCodes)  # each chat channel registers its photo download here
ROTATION = web.AppKey("rotation", RotationPolicy)
TARGETS = web.AppKey("targets", Targets)
