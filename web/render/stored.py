"""The scan pages as they are stored (lookup/pages): rendered by the same code as ever, with a stamp that names
everything the bytes are made from, so that a release (or a changed setting) makes every stored page out of date."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from pathlib import Path

from lookup.pages.models import HTML_WITH_LANGUAGE, JSON
from lookup.rotation import RotationFileError, RotationPolicy, load_rotation
from lookup.scan import InstrumentCard
from web.i18n import LanguageChoice, load_catalogues
from web.render.instrument_html import ChatEntries
from web.render.instrument_json import instrument_json
from web.render.pages import Pages
from web.settings import Settings

log = logging.getLogger(__name__)

_ROOT = Path(__file__).parents[2]
# The code that decides what a scan page says; templates and catalogues enter the stamp as rendered and loaded.
_SOURCES = (
    "web/render/instrument_html.py", "web/render/instrument_json.py", "web/render/stored.py", "lookup/scan.py",
    "lookup/status.py", "lookup/rotation.py", "lookup/pages/true_until.py", "lookup/pages/packing.py",
)  # fmt: skip
_DATE_SPAN = '<span class="date">'
_AS_OF = b'"as_of":"'


def _stamp(pages: Pages, base_url: str) -> str:
    digest = hashlib.sha256()
    for language, page in sorted(pages.instrument.items()):
        shell = page.shell
        digest.update(language.encode())
        for piece in (shell.before_title, shell.before_main, shell.before_footer, shell.after_footer):
            digest.update(piece.encode())
        digest.update(json.dumps(sorted(page.t.items()), ensure_ascii=False).encode())
        digest.update(repr((page.hotline, page.chats, sorted(page.rotation.years.items()))).encode())
        digest.update(str(page.rotation.warn_days).encode())
    digest.update(base_url.encode())
    for source in _SOURCES:
        digest.update((_ROOT / source).read_bytes())
    return digest.hexdigest()[:16]


class ScanPages:
    """Renders one stored page: an instrument's HTML in a language (its links keeping ?lang= or not), or its JSON."""

    def __init__(self, pages: Pages, *, base_url: str, rotation: RotationPolicy) -> None:
        self._pages = pages
        self._base_url = base_url
        self._rotation = rotation
        self._stamp = _stamp(pages, base_url)

    @property
    def stamp(self) -> str:
        return self._stamp

    @property
    def rotation(self) -> RotationPolicy:
        return self._rotation

    def render(self, card: InstrumentCard, language: str, format: str, today: date) -> tuple[bytes, int]:
        if format == JSON:
            payload = instrument_json(card, today=today, base_url=self._base_url)
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            return body, body.index(_AS_OF) + len(_AS_OF)
        choice = LanguageChoice(language, explicit=format == HTML_WITH_LANGUAGE)
        body = self._pages.instrument[language].render(card, today=today, choice=choice).encode()
        # The footer's date, the page's last: any earlier date is a record's, which does not move.
        marker = f"{_DATE_SPAN}{today.isoformat()}</span>".encode()
        return body, body.rindex(marker) + len(_DATE_SPAN)


def rotation_policy(settings: Settings) -> RotationPolicy:
    """Household meters' terms; a file that cannot be used turns rotation dates off with a log line."""
    try:
        return load_rotation(settings.fairweigh_meter_rotation)
    except (RotationFileError, OSError) as error:
        log.error("Household meters' terms cannot be used (%s): rotation dates are OFF.", error)
        return RotationPolicy()


def pages_for(settings: Settings, rotation: RotationPolicy) -> Pages:
    telegram_bot, wechat_account = settings.chat_entries
    return Pages(
        load_catalogues(),
        hotline=settings.fairweigh_hotline,
        chats=ChatEntries(telegram_bot=telegram_bot, wechat_account=wechat_account),
        rotation=rotation,
    )


def scan_pages(settings: Settings) -> ScanPages:
    """The stored pages' renderer as the web application builds it, for the worker and the command line."""
    rotation = rotation_policy(settings)
    return ScanPages(pages_for(settings, rotation), base_url=settings.public_base_url, rotation=rotation)
