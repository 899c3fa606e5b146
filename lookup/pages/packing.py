"""A page kept only in its gzip form, with one date in it that can be replaced without compressing again.

A lookup page says the day its status is "as of", and that day changes every midnight while nothing else on most
pages does for months. The gzip form is therefore made in three parts: the deflate stream of what comes before the
date, flushed to a byte boundary; the date itself in a stored (uncompressed) deflate block; the deflate stream of
what follows, compressed with what precedes it as its dictionary (the date's ten bytes as zeros, which no text
matches: the zero byte is not text), so it compresses as well as one stream.

Only that form is kept (a third of the bytes: a scan reads one short row, and a million pages fit in a few GB).
Serving on a later day writes the new date over the old one and mends gzip's CRC-32 without the page: a CRC is
affine over XOR, so for messages of one length crc(new) = crc(old) ^ crc(old ^ new) ^ crc(zeros), and old ^ new is
zero but for the date's ten bytes. Phones ask for gzip; a client that does not gets the page inflated, about 20 µs.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import date

DATE_LENGTH = 10  # YYYY-MM-DD
LEVEL = 9  # compressed once, served many times
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no time, best compression, unknown OS
_WINDOW = 32 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_DATE = re.compile(rb"\d{4}-\d{2}-\d{2}")


def content_tag(body: bytes, date_at: int) -> str:
    """Names what a page shows apart from its "as of" date (which ``etag`` adds): 16 hex digits of SHA-1."""
    blanked = body[:date_at] + bytes(DATE_LENGTH) + body[date_at + DATE_LENGTH :]
    return hashlib.sha1(blanked, usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Packed:
    gzipped: bytes
    date_at: int  # where the date stands in the page
    gzipped_date_at: int  # and in gzipped, where it is stored uncompressed so that it can be replaced
    tag: str  # content_tag of the page

    @property
    def day(self) -> str:
        return self.gzipped[self.gzipped_date_at : self.gzipped_date_at + DATE_LENGTH].decode("ascii")

    @property
    def etag(self) -> str:
        """The same for both encodings (a client revalidates with what it holds), and new each day."""
        return f'"{self.tag}{self.day.replace("-", "")}"'

    @property
    def size(self) -> int:
        """The page's length (gzip's trailer keeps it)."""
        return int.from_bytes(self.gzipped[-4:], "little")

    def body(self) -> bytes:
        """The page itself, for a client that does not take gzip."""
        return zlib.decompress(self.gzipped, _GZIP_WBITS)


def _raw_deflate(zdict: bytes | None = None) -> zlib._Compress:
    if zdict:
        return zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=zdict[-_WINDOW:])
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)


def pack(body: bytes, date_at: int) -> Packed:
    """The gzip form of ``body`` with the date at ``date_at`` stored uncompressed."""
    before, day, after = body[:date_at], body[date_at : date_at + DATE_LENGTH], body[date_at + DATE_LENGTH :]
    if not _DATE.fullmatch(day):
        raise ValueError(f"no date at {date_at}: {day!r}")
    head = _raw_deflate()
    start = head.compress(before) + head.flush(zlib.Z_SYNC_FLUSH)
    # A stored block, not final: a header byte (BFINAL 0, BTYPE 00, padded), LEN and its complement, the bytes.
    stored = b"\x00" + struct.pack("<HH", DATE_LENGTH, DATE_LENGTH ^ 0xFFFF)
    # A zero byte after the date could be matched against the zeros standing for the date, and would inflate as the
    # date instead: such a page (never one of ours, which are text) is compressed without the dictionary.
    tail = _raw_deflate(None if 0 in after else before + bytes(DATE_LENGTH))
    rest = tail.compress(after) + tail.flush(zlib.Z_FINISH)
    prefix = _GZIP_HEADER + start + stored
    trailer = struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)
    gzipped = prefix + day + rest + trailer
    return Packed(gzipped=gzipped, date_at=date_at, gzipped_date_at=len(prefix), tag=content_tag(body, date_at))


@functools.lru_cache(maxsize=4096)
def _crc_change(old: bytes, new: bytes, after: int) -> int:
    """crc(old ^ new) ^ crc(zeros) for a page whose date is followed by ``after`` bytes. What precedes the date
    does not count (zeros leave the CRC's linear part at zero), so this depends only on the two dates and ``after``,
    which is nearly the same on every page of a template: cached, it costs nothing on most scans."""
    difference = bytes(a ^ b for a, b in zip(old, new, strict=True))
    zeros = bytes(DATE_LENGTH + after)
    return zlib.crc32(difference + zeros[DATE_LENGTH:]) ^ zlib.crc32(zeros)


def redated(packed: Packed, day: date) -> Packed:
    """The same page as of ``day``."""
    new = day.isoformat().encode()
    at = packed.gzipped_date_at
    old = packed.gzipped[at : at + DATE_LENGTH]
    if old == new:
        return packed
    crc, size = struct.unpack("<II", packed.gzipped[-8:])
    crc ^= _crc_change(old, new, size - packed.date_at - DATE_LENGTH)
    gzipped = packed.gzipped[:at] + new + packed.gzipped[at + DATE_LENGTH : -8] + struct.pack("<II", crc, size)
    return Packed(gzipped=gzipped, date_at=packed.date_at, gzipped_date_at=at, tag=packed.tag)
