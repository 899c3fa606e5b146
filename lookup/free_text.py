"""The one rule for free text from outside — every channel's words, names, comments, notes and ledger cells.

What people type is kept as they typed it (NFC, so that one character has one spelling); what only hides or
breaks things is dropped everywhere:

- control characters, C0 and C1 (NUL among them: PostgreSQL refuses it in text), and lone surrogates (they
  cannot be written as UTF-8);
- the invisible formatting characters (Unicode category Cf) — the bidirectional overrides and isolates
  U+202A–U+202E and U+2066–U+2069 that make a name read backwards on a handler's page or in an export, the
  marks U+200E/U+200F, zero-width spaces, the byte-order mark — except the joiners U+200C/U+200D, which
  shape emoji and some scripts.

A line (:func:`clean_line`: a name, a reason, a form field) keeps no line break: every run of white space is
one space. A block (:func:`clean_block`: the words of a complaint, a comment, a note) keeps its line breaks
(any of CR LF, CR, U+2028 and U+2029 becomes LF) and tabs. Both are stripped at the ends.
"""

from __future__ import annotations

import unicodedata

_JOINERS = frozenset("\u200c\u200d")
_CONTROL_SPACES = "".join(ch for ch in map(chr, range(0xA0)) if ch.isspace() and not ch.isprintable())
# Every other character Python counts as a line boundary: vertical tab, form feed, the file/group/record
# separators, NEL, and the Unicode line and paragraph separators.
_LINE_BREAKS = str.maketrans(dict.fromkeys("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029", "\n"))


def _shown(ch: str, keep: str) -> bool:
    if ch in keep:
        return True
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        return False
    return category != "Cf" or ch in _JOINERS


def _kept(raw: str, keep: str) -> str:
    # Dropped before normalising: a character removed from between a letter and its accent lets them compose.
    return unicodedata.normalize("NFC", "".join(ch for ch in raw if _shown(ch, keep)))


def clean_line(raw: str) -> str:
    """One line of text: what hides or breaks dropped, white space (line breaks too) collapsed to single spaces."""
    # White space among the control characters (tab, line feed, …) separates words: it becomes a space.
    return " ".join(_kept(raw, _CONTROL_SPACES).split())


def clean_block(raw: str) -> str:
    """Text of several lines: what hides or breaks dropped, line breaks made LF and kept, tabs kept, ends stripped."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_BREAKS)
    return _kept(text, "\n\t").strip()
