"""HTML rendering: Jinja2 templates that take every word from the language's catalogue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from lookup.rotation import RotationPolicy
from lookup.status import PRESENTATION
from lookup.vocab import Status
from web.i18n import Catalogue
from web.render.instrument_html import ChatEntries, InstrumentPage, Shell

TEMPLATES = Path(__file__).parents[1] / "templates"
STATIC = Path(__file__).parents[1] / "static"


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _odds(p_value: float) -> str:
    """A small probability as odds people read: 1/17,000 (two significant figures); "" below one in a million."""
    if p_value < 1e-6:
        return ""
    odds = 1 / p_value
    rounded = round(odds, 2 - len(str(int(odds))))
    return f"1/{rounded:,.0f}"


def _plain(value: Decimal | int | float) -> str:
    """A number as people write it: no exponent, no trailing zeros (Decimal("1E+1") is "10")."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else f"{value:g}"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every environment of the process. Jinja checks each against its
    source's checksum. A server builds its pages once, but the test suite builds ~1,300 apps, and each compiled
    again every template it rendered (about a fifth of building an app, more in a test that renders pages)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class Pages:
    def __init__(
        self,
        catalogues: dict[str, Catalogue],
        *,
        hotline: str,
        chats: ChatEntries | None = None,
        rotation: RotationPolicy | None = None,
    ) -> None:
        self.catalogues = catalogues
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
            bytecode_cache=_COMPILED,
        )
        self._env.filters["iso"] = _iso
        self._env.filters["plain"] = _plain
        self._env.filters["odds"] = _odds
        # Inlined, not linked: one request per page is what a cheap phone on a weak signal can afford,
        # and the whole sheet is a few kilobytes.
        self.inline_css = (STATIC / "site.css").read_text(encoding="utf-8")
        self._env.globals["inline_css"] = self.inline_css
        self._env.globals["hotline"] = hotline
        self._env.globals["statuses"] = Status
        self._env.globals["colours"] = {status: p.colour for status, p in PRESENTATION.items()}

        shell = self._env.from_string(Shell.template_source())
        self.instrument = {
            language: InstrumentPage(
                catalogue,
                Shell(shell.render(t=catalogue, lang=catalogue.html_lang)),
                hotline=hotline,
                chats=chats or ChatEntries(),
                rotation=rotation or RotationPolicy(),
            )
            for language, catalogue in catalogues.items()
        }

    def render(self, template: str, language: str, **context: Any) -> str:
        catalogue = self.catalogues[language]
        return self._env.get_template(template).render(t=catalogue, lang=catalogue.html_lang, **context)
