"""The one parser of what names a stored thing from outside: a case reference, and a row's id.

Every route, form and API field that reads one asks here, and gets the value to look up or None, which the
caller answers as "not found" (or, for a field of a form, as the field's refusal). Nothing that is not a
reference or an id ever reaches a query: neither a NUL (which PostgreSQL refuses in text) nor a number past
the database's integer range (which its driver refuses), so neither can become a server error.
"""

from __future__ import annotations

import re

REFERENCE_PREFIX = "JL"
# `JL20261123-0001`: the prefix, the day of receipt, and the day's number — four digits, more on a day with
# ten thousand cases or more.
_REFERENCE = re.compile(rf"{REFERENCE_PREFIX}[0-9]{{8}}-[0-9]{{4,6}}")
MAX_REFERENCE_CHARS = 20  # the column's width
# Every id column is PostgreSQL's `integer` (SQLModel's int primary keys and foreign keys).
MAX_ROW_ID = 2**31 - 1
_MAX_ID_DIGITS = len(str(MAX_ROW_ID))


def parse_reference(raw: object) -> str | None:
    """A case reference as stored (upper case, no surrounding space), or None for anything that cannot be one.

    Case and surrounding white space are forgiven, as a reference read out over the phone or pasted is typed.
    """
    if not isinstance(raw, str) or len(raw) > 4 * MAX_REFERENCE_CHARS:
        return None
    ref = raw.strip().upper()
    return ref if _REFERENCE.fullmatch(ref) else None


def parse_row_id(raw: object) -> int | None:
    """A row id from a path, a form or a JSON number: a whole number from 1 to :data:`MAX_ROW_ID`, else None.

    Text must be ASCII digits only (no sign, no other script's digits, no superscripts such as "²", which
    ``str.isdigit`` accepts and ``int`` does not); ``True`` and ``False`` are not numbers here.
    """
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= _MAX_ID_DIGITS):
            return None
        raw = int(text)
    if isinstance(raw, int) and 1 <= raw <= MAX_ROW_ID:
        return raw
    return None
