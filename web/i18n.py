"""Message catalogues (one JSON file per language) and language negotiation.

Chinese is the default; English is chosen by ``?lang=en`` or the browser's Accept-Language. Views ask
:func:`request_language`, the one reading of a request's choice.
"""

from __future__ import annotations

import functools
import json
from collections.abc import ItemsView
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

LOCALES = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}


class Catalogue:
    def __init__(self, language: str, messages: dict[str, str]) -> None:
        self.language = language
        self.html_lang = HTML_LANG[language]
        self._messages = messages

    def __call__(self, key: str, /, **values: Any) -> str:
        # A missing key raises: a page must never show a raw key to a shopper, and tests render every page.
        message = self._messages[key]
        return message.format(**values) if values else message

    def keys(self) -> set[str]:
        return set(self._messages)

    def items(self) -> ItemsView[str, str]:
        return self._messages.items()


def _messages(folder: Path, language: str) -> dict[str, str]:
    """`zh.json` plus any `zh.<part>.json` (one file per area of the site); a key defined twice is an error."""
    messages: dict[str, str] = {}
    for path in [folder / f"{language}.json", *sorted(folder.glob(f"{language}.*.json"))]:
        part = json.loads(path.read_text(encoding="utf-8"))
        twice = sorted(set(messages) & set(part))
        if twice:
            raise ValueError(f"{path.name} defines keys already defined: {twice}")
        messages |= part
    return messages


def load_catalogues(folder: Path = LOCALES) -> dict[str, Catalogue]:
    catalogues = {language: Catalogue(language, _messages(folder, language)) for language in LANGUAGES}
    reference = catalogues[DEFAULT_LANGUAGE].keys()
    for language, catalogue in catalogues.items():
        if catalogue.keys() != reference:
            missing = sorted(reference ^ catalogue.keys())
            raise ValueError(f"catalogue {language} differs from {DEFAULT_LANGUAGE} in keys: {missing}")
    return catalogues


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    language: str
    explicit: bool  # chosen by ?lang=, so links on the page carry it on


@functools.lru_cache(maxsize=512)  # browsers send a handful of distinct headers; every scan negotiates
def negotiate(query_language: str | None, accept_language: str | None) -> LanguageChoice:
    if query_language in LANGUAGES:
        return LanguageChoice(query_language, explicit=True)
    for language in _ranked(accept_language or ""):
        primary = language.split("-", 1)[0]
        if primary in LANGUAGES:
            return LanguageChoice(primary, explicit=False)
    return LanguageChoice(DEFAULT_LANGUAGE, explicit=False)


def request_language(request: web.Request) -> LanguageChoice:
    """The language this request asked for: ``?lang=``, else its Accept-Language, else Chinese."""
    return negotiate(request.query.get("lang"), request.headers.get("Accept-Language"))


def _ranked(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]
