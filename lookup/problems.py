"""The one base of every refusal the service explains to a person: :class:`Problem`.

It lives at the bottom of the domain (lookup imports no other package of ours), so that every package may derive
its errors from it: lookup, complaints and bot. A problem carries a stable ``code`` for programs, what went wrong
in Chinese and in English for people, the ``field`` at fault (None: the request as a whole) and its
:class:`Kind`, which the web layer alone turns into an HTTP status and a JSON problem or an error page.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    bad_request = "bad_request"  # the request itself is malformed
    unauthenticated = "unauthenticated"  # who is asking is not known
    refused = "refused"  # understood, but not for this person
    not_found = "not_found"  # nothing by that name (or nothing the asker may see)
    conflict = "conflict"  # cannot be done in the thing's present state
    too_large = "too_large"
    unsupported = "unsupported"  # content of a kind that is not taken (a photo's format)
    unprocessable = "unprocessable"  # well-formed, but its content cannot be taken
    unavailable = "unavailable"  # a service it needs is down; try again later


class Problem(Exception):
    """A refusal with a stable code and a message in Chinese and English; ``str()`` is the English message.

    A subclass names its usual :attr:`kind`; a raise may name another (``kind=Kind.conflict``).
    """

    kind: Kind = Kind.bad_request

    def __init__(
        self, code: str, chinese: str, english: str, *, field: str | None = None, kind: Kind | None = None
    ) -> None:
        super().__init__(english)
        self.code = code
        self.chinese = chinese
        self.english = english
        self.field = field
        if kind is not None:
            self.kind = kind

    def __str__(self) -> str:
        return self.english
