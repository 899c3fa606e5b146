"""A page's bytes with one date in them that can be replaced without compressing again.

A lookup page says the day its status is "as of", and that day changes every midnight while nothing else on most
pages does for months. The gzip form is therefore made in three parts: the deflate stream of what comes before the
date, flushed to a byte boundary; the date itself in a stored (uncompressed) deflate block; the deflate stream of
what follows, compressed with what precedes it as its dictionary (the date's ten bytes as zeros, which no text
matches), so it compresses as well as one stream. Serving on a later day writes the new date over the old one in
both forms and recomputes gzip's CRC-32: microseconds, where compressing costs a hundred or more.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from datetime import date

DATE_LENGTH = 10  # YYYY-MM-DD
LEVEL = 9  # compressed once, served many times
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no time, best compression, unknown OS
_WINDOW = 32 * 1024


def etag_of(body: bytes) -> str:
    # As web/http/cache.py names a body, so a stored page revalidates like a rendered one.
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:24] + '"'


@dataclass(frozen=True, slots=True)
class Packed:
    body: bytes
    gzipped: bytes
    date_at: int
    gzipped_date_at: int
    etag: str


def _raw_deflate(zdict: bytes | None = None) -> zlib._Compress:
    if zdict:
        return zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=zdict[-_WINDOW:])
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)


def _trailer(body: bytes) -> bytes:
    return struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)


def pack(body: bytes, date_at: int) -> Packed:
    """``body`` with its date at ``date_at``, and its gzip form with the date uncompressed."""
    before, day, after = body[:date_at], body[date_at : date_at + DATE_LENGTH], body[date_at + DATE_LENGTH :]
    if len(day) != DATE_LENGTH or not day.isascii():
        raise ValueError(f"no date at {date_at}: {day!r}")
    head = _raw_deflate()
    start = head.compress(before) + head.flush(zlib.Z_SYNC_FLUSH)
    # A stored block, not final: a header byte (BFINAL 0, BTYPE 00, padded), LEN and its complement, the bytes.
    stored = b"\x00" + struct.pack("<HH", DATE_LENGTH, DATE_LENGTH ^ 0xFFFF)
    tail = _raw_deflate(before + b"\x00" * DATE_LENGTH)
    rest = tail.compress(after) + tail.flush(zlib.Z_FINISH)
    prefix = _GZIP_HEADER + start + stored
    gzipped = prefix + day + rest + _trailer(body)
    return Packed(body=body, gzipped=gzipped, date_at=date_at, gzipped_date_at=len(prefix), etag=etag_of(body))


def redated(packed: Packed, day: date) -> Packed:
    """The same page as of ``day``."""
    new = day.isoformat().encode()
    old_end = packed.date_at + DATE_LENGTH
    if packed.body[packed.date_at : old_end] == new:
        return packed
    body = packed.body[: packed.date_at] + new + packed.body[old_end:]
    at = packed.gzipped_date_at
    gzipped = packed.gzipped[:at] + new + packed.gzipped[at + DATE_LENGTH : -8] + _trailer(body)
    return Packed(body=body, gzipped=gzipped, date_at=packed.date_at, gzipped_date_at=at, etag=etag_of(body))
