"""Responses that a reverse proxy or CDN may cache, revalidated by ETag."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime, timedelta

from aiohttp import web

from lookup.pages.packing import Packed
from web.http import compression

UNKNOWN_MAX_AGE = 60  # a code or page imported a minute ago must not stay "not found" at the proxy for long


def seconds_to_midnight(now: datetime) -> int:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(int((tomorrow - now).total_seconds()), 1)


class Freshness:
    """Today's date and how long an answer may be cached: the configured time, never past midnight.

    Worked out at most once per second of the clock, since every scan asks and the date arithmetic in a
    time zone costs more than the rest of the bookkeeping.
    """

    def __init__(self, clock: Callable[[], datetime], max_age: int) -> None:
        self._clock = clock
        self._max_age = max_age
        self._second = -1
        self._answer = (date.min, 0)

    def __call__(self) -> tuple[date, int]:
        now = self._clock()
        second = int(now.timestamp())
        if second != self._second:
            self._second = second
            self._answer = (now.date(), min(self._max_age, seconds_to_midnight(now)))
        return self._answer


def cached_response(
    request: web.Request,
    body: bytes,
    *,
    content_type: str,
    max_age: int,
    status: int = 200,
    vary_language: bool = True,
    charset: str | None = "utf-8",
) -> web.Response:
    """A response with ETag and Cache-Control; answers 304 when the client already holds this body."""
    # SHA-1 here only names a version of the body for revalidation; it is twice as fast as BLAKE2 on a page.
    etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:24] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if vary_language:
        headers["Vary"] = "Accept-Language"
    if status == 200 and etag in _listed(request.headers.get("If-None-Match", "")):
        return web.Response(status=304, headers=headers)
    return web.Response(status=status, body=body, content_type=content_type, charset=charset, headers=headers)


def _listed(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def stored_response(
    request: web.Request, page: Packed, *, content_type: str, max_age: int, vary_language: bool = True
) -> web.Response:
    """A page stored in its gzip form with its ETag (lookup/pages): answered as ``cached_response`` and the
    compression middleware would answer it, without hashing or compressing anything (a client that does not take
    gzip gets it inflated)."""
    etag = page.etag
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if vary_language:
        headers["Vary"] = "Accept-Language"
    if etag in _listed(request.headers.get("If-None-Match", "")):
        return web.Response(status=304, headers=headers)
    headers["Vary"] = f"{headers['Vary']}, Accept-Encoding" if vary_language else "Accept-Encoding"
    if page.size >= compression.MIN_BYTES and compression.accepts_gzip(request.headers.get("Accept-Encoding", "")):
        headers["Content-Encoding"] = "gzip"
        body = page.gzipped
    else:
        body = page.body()
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)
