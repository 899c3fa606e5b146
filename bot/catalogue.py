"""Everything the bots say, one JSON catalogue per language (``bot/locales``); the keys of all must agree."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


class BotCatalogue:
    def __init__(self, language: str, messages: dict[str, str]) -> None:
        self.language = language
        self._messages = messages

    def __call__(self, key: str, /, **values: Any) -> str:
        # A missing key raises: a shopper must never be sent a raw key, and the tests walk every path.
        message = self._messages[key]
        return message.format(**values) if values else message

    def __contains__(self, key: object) -> bool:
        return key in self._messages

    def keys(self) -> set[str]:
        return set(self._messages)


@functools.cache
def catalogues(folder: Path = LOCALES) -> dict[str, BotCatalogue]:
    loaded = {
        language: BotCatalogue(language, json.loads((folder / f"{language}.json").read_text(encoding="utf-8")))
        for language in LANGUAGES
    }
    reference = loaded[DEFAULT_LANGUAGE].keys()
    for language, catalogue in loaded.items():
        if catalogue.keys() != reference:
            raise ValueError(f"bot catalogue {language} differs in keys: {sorted(reference ^ catalogue.keys())}")
    return loaded


def catalogue(language: str) -> BotCatalogue:
    return catalogues()[language if language in LANGUAGES else DEFAULT_LANGUAGE]
