"""Text normalisation and jieba tokenisation with the domain dictionary.

The tokenizer is a private ``jieba.Tokenizer`` so the classifier never depends on, or changes, the global jieba
state other code may use. Building jieba's prefix dictionary costs about a second, so it happens once per process
in ``load()``, which callers on an event loop run in a thread (``await asyncio.to_thread(load)``).
"""

import logging
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

import jieba  # type: ignore[import-untyped]
import opencc

from qr.codes import normalise_code

from .cues import cue_features

DOMAIN_WORDS = Path(__file__).with_name("data") / "domain_words.txt"

# Traditional → Simplified with OpenCC's own phrase and character tables (the C++ library's wheel carries them:
# nothing is fetched at run time). Phrases matter: 乾隆 stays, 乾淨 becomes 干净. About 3 µs a message.
_T2S = opencc.OpenCC("t2s")

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Mainland mobile numbers and landlines: personal data, and noise for the model.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
# An instrument's code typed into the words ("7K3MQ-9XR4P 这台秤过期了"): ten letters and digits, both kinds. Its
# symbols say nothing of the story and, read as character n-grams, pulled such messages towards `other`.
_CODE = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9A-Za-z-]*\d)(?=[0-9A-Za-z-]*[A-Za-z])[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}(?![0-9A-Za-z])"
)
# A code of letters only (about one in forty: "ZETYX-STPKT") is told from an English word by its check symbol, as
# printed: upper case.
_CODE_OF_LETTERS = re.compile(r"(?<![0-9A-Za-z])[A-Z]{5}-?[A-Z]{5}(?![0-9A-Za-z])")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_SPACE = re.compile(r"\s+")

# 表 alone is a meter (电表, 水表, 表跑得快); in these everyday words it is not, and its character n-grams would pull
# "老板表示下次注意" or "我要表明态度" towards utility_meter. The words keep their jieba feature; only the character
# stream sees 表 masked. 电表示数 (a meter's reading) is no 表示.
_NOT_A_METER = re.compile(r"(?<![电水气热])表(?=示(?!数)|明|扬|达|态|现|演|格|彰|白|情)|(?<=[代发外列图报])表")
_MASKED = "\ue000"  # a private-use character: in no training text, so it carries no weight of its own
_lock = threading.Lock()
_tokenizer: Any = None


def simplified(text: str) -> str:
    """The text in simplified characters and half-width forms, as the registry's names are written."""
    return str(_T2S.convert(unicodedata.normalize("NFKC", text)))


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), Traditional → Simplified, lower case, URLs, phone numbers and instrument codes
    replaced.

    Numbers collapse to one placeholder digit: "加了200块" and "加了350块" tell the same story.
    """
    text = _CODE_OF_LETTERS.sub(_code_of_letters, _T2S.convert(unicodedata.normalize("NFKC", text))).lower()
    text = _URL.sub(" 链接 ", text)
    text = _PHONE.sub(" 电话 ", text)
    text = _CODE.sub(" 编码 ", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


def _code_of_letters(match: re.Match[str]) -> str:
    return " 编码 " if normalise_code(match.group()) else match.group()


def load() -> None:
    """Build the private jieba tokenizer once per process (about a second: run it off the event loop)."""
    _ensure()


def _ensure() -> Any:
    global _tokenizer
    with _lock:
        if _tokenizer is not None:
            return _tokenizer
        # jieba announces every dictionary build at DEBUG on its own logger; quiet it, keep its warnings.
        logging.getLogger("jieba").setLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        # jieba leaves a file it opened itself unclosed (a ResourceWarning); hand it one we close.
        with DOMAIN_WORDS.open("rb") as words_file:
            tokenizer.load_userdict(words_file)
        _tokenizer = tokenizer
        return tokenizer


def words(normalized: str) -> list[str]:
    """jieba words of already-normalised text; HMM off so new-word guessing never varies the features."""
    tokenizer = _tokenizer if _tokenizer is not None else _ensure()
    return [w for w in tokenizer.lcut(normalized, HMM=False) if w.strip()]


def features(text: str) -> list[str]:
    """The model's features: jieba words (prefixed ``w:``) and character 1–3-grams of the normalised text.

    Spaces become ``_`` so no n-gram contains ``:``, which keeps the two kinds apart without prefixing the many
    n-grams (string building is a visible share of the per-message cost).
    """
    return normalized_features(normalize(text))


def normalized_features(norm: str, cues: list[str] | None = None) -> list[str]:
    """``features`` of already-normalised text; ``cues`` are its ``cue_features`` when the caller has them."""
    chars = _NOT_A_METER.sub(_MASKED, norm.replace(" ", "_").replace(":", "_"))
    n = len(chars)
    feats = ["w:" + w for w in words(norm)]
    feats += chars
    feats += [chars[i : i + 2] for i in range(n - 1)]
    feats += [chars[i : i + 3] for i in range(n - 2)]
    feats += cue_features(norm) if cues is None else cues
    return feats
