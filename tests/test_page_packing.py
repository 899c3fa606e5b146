"""A stored page's gzip form re-dated without the page (lookup/pages/packing.py): whatever the bytes around the date,
what a client inflates is the page with the new date, its CRC checks, and the ETag moves with the day only."""

from __future__ import annotations

import gzip
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookup.pages.packing import pack, redated

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def _page(before: bytes, day: date, after: bytes) -> tuple[bytes, int]:
    return before + day.isoformat().encode() + after, len(before)


@given(before=st.binary(max_size=3000), after=st.binary(max_size=3000), first=DAYS, later=DAYS)
def test_a_redated_page_inflates_to_the_page_with_the_new_date(
    before: bytes, after: bytes, first: date, later: date
) -> None:
    body, date_at = _page(before, first, after)
    packed = pack(body, date_at)
    assert gzip.decompress(packed.gzipped) == body
    moved = redated(packed, later)
    expected, _ = _page(before, later, after)
    assert gzip.decompress(moved.gzipped) == expected  # gzip checks the CRC-32 and the length
    assert moved.body() == expected
    assert moved.size == len(expected)
    assert (moved.etag == packed.etag) == (first == later)
    assert redated(moved, first).gzipped == packed.gzipped


def test_pages_that_differ_only_in_their_date_share_a_tag_and_not_an_etag() -> None:
    monday, _ = _page(b"<p>valid</p><span>", date(2026, 12, 7), b"</span>")
    tuesday, at = _page(b"<p>valid</p><span>", date(2026, 12, 8), b"</span>")
    other, _ = _page(b"<p>expired</p><span>", date(2026, 12, 7), b"</span>")
    assert pack(monday, at).tag == pack(tuesday, at).tag != pack(other, at + 2).tag
    assert pack(monday, at).etag != pack(tuesday, at).etag


def test_a_page_without_a_date_where_it_is_said_to_be_is_refused() -> None:
    with pytest.raises(ValueError, match="no date"):
        pack(b"<p>no date here</p>", 3)
