"""Public instrument codes: the short identifier printed under each QR sticker and used in `/i/{code}`.

A code is 9 random Crockford base32 symbols (45 bits from `secrets`, so codes cannot be guessed or
enumerated) followed by one check symbol, 10 characters, upper case, no separators.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
RANDOM_LENGTH = CODE_LENGTH - 1

_N = len(ALPHABET)
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's reading rules: people and OCR confuse these letters with digits, so accept both.
_CONFUSABLES = str.maketrans({"I": "1", "L": "1", "O": "0"})
# Grouping people type or paste (NFKC has already folded full-width forms and spaces into ASCII).
_SEPARATORS = str.maketrans("", "", "-_.\u00b7\u2010\u2011\u2012\u2013\u2014\u2212")
# Anything much longer than a grouped code is not a code; bail out before doing work on it.
_MAX_INPUT = 64


def _luhn_addends(values: list[int], *, doubled_first: bool) -> int:
    total = 0
    double = doubled_first
    for value in reversed(values):
        addend = value * 2 if double else value
        total += addend // _N + addend % _N
        double = not double
    return total


def check_symbol(payload: str) -> str:
    """The Luhn mod 32 check symbol for `payload` (canonical symbols only)."""
    # Luhn mod N: one symbol from the same alphabet catches every single-symbol typo and every adjacent
    # swap except 0<->Z (Crockford's own mod-37 check would need five extra symbols in URLs).
    total = _luhn_addends([_VALUE[symbol] for symbol in payload], doubled_first=True)
    return ALPHABET[(_N - total % _N) % _N]


def _is_valid(code: str) -> bool:
    return _luhn_addends([_VALUE[symbol] for symbol in code], doubled_first=False) % _N == 0


def new_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A fresh random code; `randbelow` is injectable so tests can be deterministic."""
    payload = "".join(ALPHABET[randbelow(_N)] for _ in range(RANDOM_LENGTH))
    return payload + check_symbol(payload)


def normalise_code(text: str) -> str | None:
    """The canonical code for what someone typed or scanned, or None when it is not a valid code."""
    if len(text) == CODE_LENGTH and all(symbol in _VALUE for symbol in text):
        # Fast path for what a sticker's QR code carries: already canonical, so only the check is left.
        return text if _is_valid(text) else None
    if len(text) > _MAX_INPUT:
        return None
    cleaned = "".join(unicodedata.normalize("NFKC", text).translate(_SEPARATORS).split())
    # Non-ASCII must not reach upper(): 'ı'.upper() == 'I' and 'ſ'.upper() == 'S' would sneak in.
    if not cleaned.isascii():
        return None
    candidate = cleaned.upper().translate(_CONFUSABLES)
    if len(candidate) != CODE_LENGTH or any(symbol not in _VALUE for symbol in candidate):
        return None
    return candidate if _is_valid(candidate) else None


def format_code(code: str) -> str:
    """The code as printed for people, in two groups of five: `7K3MQ-9XR4P`."""
    if normalise_code(code) != code:
        raise ValueError(f"not a canonical instrument code: {code!r}")
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def typed_symbols(text: str) -> str | None:
    """What someone typed as canonical symbols (case, separators and I/L/O forgiven), whatever its length or check;
    None when it holds anything that is not a code symbol, or nothing."""
    if len(text) > _MAX_INPUT:
        return None
    cleaned = "".join(unicodedata.normalize("NFKC", text).translate(_SEPARATORS).split())
    if not cleaned or not cleaned.isascii():
        return None
    candidate = cleaned.upper().translate(_CONFUSABLES)
    return candidate if all(symbol in _VALUE for symbol in candidate) else None


def looks_mistyped(text: str) -> bool:
    """A code one slip away from being one: 9 to 11 code symbols that do not pass the check. A well-formed code that
    names no instrument is not mistyped (it may be forged); nor is text that is plainly not a code."""
    symbols = typed_symbols(text)
    if symbols is None or abs(len(symbols) - CODE_LENGTH) > 1:
        return False
    return len(symbols) != CODE_LENGTH or not _is_valid(symbols)


def near_codes(text: str) -> list[str]:
    """Every valid code one slip from what was typed — one symbol changed, two neighbours swapped, one symbol
    missing or one too many — in the order a person most likely made the slip (changed, swapped, missing, extra).
    At most a few hundred candidates are tried; about one in 32 passes the check, so a dozen or so come back."""
    symbols = typed_symbols(text)
    if symbols is None or abs(len(symbols) - CODE_LENGTH) > 1:
        return []
    candidates: list[str] = []
    if len(symbols) == CODE_LENGTH:
        for position, typed in enumerate(symbols):
            candidates += [symbols[:position] + other + symbols[position + 1 :] for other in ALPHABET if other != typed]
        for position in range(CODE_LENGTH - 1):
            a, b = symbols[position], symbols[position + 1]
            if a != b:
                candidates.append(symbols[:position] + b + a + symbols[position + 2 :])
    elif len(symbols) == RANDOM_LENGTH:
        for position in range(CODE_LENGTH):
            candidates += [symbols[:position] + other + symbols[position:] for other in ALPHABET]
    else:
        candidates += [symbols[:position] + symbols[position + 1 :] for position in range(len(symbols))]
    return list(dict.fromkeys(code for code in candidates if code != symbols and _is_valid(code)))
