"""The unified social credit code (统一社会信用代码), GB 32100-2015.

Eighteen characters: registration authority (1), organisation type (1), the registering authority's
administrative division code (6, GB/T 2260), the subject identifier (9, GB 11714) and a check character
(ISO 7064 MOD 31-3 as GB 32100 adapts it).

Only what the standard itself fixes is enforced: length, character set, six digits for the division code
and the check character. The standard gives the authority and type codes as examples (1 机构编制, 5 民政,
9 工商 …) and leaves each authority to assign them; the published assignments have grown since 2015 (A, N
were added later), so rejecting an unlisted letter would turn away a genuine merchant on the day a new
authority starts issuing codes. The check character already catches every single mistyped character.
"""

from __future__ import annotations

import unicodedata

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_VALUES = {char: value for value, char in enumerate(CHARSET)}
_DIGITS = frozenset("0123456789")


def normalise_uscc(text: str) -> str:
    """The code as it should be stored: upper case, no spaces.

    NFKC folds the full-width letters and digits a Chinese input method produces (９１３５…) to ASCII.
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).upper()


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code.

    Raises ValueError when the input is not 17 characters of the code's character set.
    """
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character not allowed in a unified social credit code: {exc.args[0]!r}") from exc
    return CHARSET[(31 - total % 31) % 31]


def is_well_formed_uscc(code: str) -> bool:
    """Length, character set and division digits right, whatever the check character says.

    Lets a caller tell a mistyped character (check fails) from something that is not a code at all.
    """
    return len(code) == 18 and all(char in _VALUES for char in code) and all(char in _DIGITS for char in code[2:8])


def is_valid_uscc(code: str) -> bool:
    """True for a well-formed code whose check character matches. Expects normalised input."""
    return is_well_formed_uscc(code) and uscc_check_char(code[:17]) == code[17]
