"""Reading, rendering and storing the pages.

A scan reads one row by primary key (the statement below, compiled once for the raw readers of web/scan_readers.py).
When the row is missing, of an older stamp or past its day, the page is rendered from the registry and stored in
one write transaction. On SQLite that transaction holds the only write lock, so no writer can change the registry
between the read and the store. On PostgreSQL the instrument's row is locked FOR SHARE first, and every
invalidating trigger locks the instrument rows it touches before deleting their pages (migration 0031): a writer
either commits before the read (and the read sees its change) or waits for the store (and then deletes it). Two
renders of one page store the same bytes; the last write wins.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from lookup.models import Instrument, table_of
from lookup.pages.models import RenderedPage
from lookup.pages.packing import Packed, pack, redated
from lookup.pages.true_until import true_until
from lookup.rotation import RotationPolicy
from lookup.scan import InstrumentCard, read_card, read_cards

pages_t = table_of(RenderedPage)
Key = tuple[str, str, str]  # code, language, format
_SERVED = ("stamp", "rendered_on", "true_until", "tag", "gzipped", "date_at", "gzipped_date_at")


class PageMaker(Protocol):
    """What renders the pages (web/render/stored.py): its stamp names everything the bytes are made from."""

    @property
    def stamp(self) -> str: ...
    @property
    def rotation(self) -> RotationPolicy: ...
    def render(self, card: InstrumentCard, language: str, format: str, today: date) -> tuple[bytes, int]:
        """The page's bytes and where its "as of" date stands in them."""
        ...


@dataclass(frozen=True, slots=True)
class StoredPage:
    stamp: str
    rendered_on: date
    true_until: date
    packed: Packed

    def usable(self, stamp: str, today: date) -> bool:
        """Made by this release, and true today (a clock set back before its day is not trusted with it)."""
        return self.stamp == stamp and self.true_on(today)

    def true_on(self, today: date) -> bool:
        """What it shows is true today, whichever release made it (an older release's page is served until the
        worker has made this release's: a release must not turn every scan into a render and a write)."""
        return self.rendered_on <= today <= self.true_until

    def as_of(self, today: date) -> Packed:
        return redated(self.packed, today)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def stored_page(row: Sequence[Any]) -> StoredPage:
    stamp, rendered_on, until, tag, gzipped, date_at, gzipped_date_at = row
    return StoredPage(
        stamp=stamp,
        rendered_on=_as_date(rendered_on),
        true_until=_as_date(until),
        packed=Packed(bytes(gzipped), date_at, gzipped_date_at, tag),
    )


@dataclass(frozen=True, slots=True)
class CompiledPageRead:
    sql: str
    order: tuple[str, ...]  # the names of the positional parameters

    def parameters(self, code: str, language: str, format: str) -> tuple[str, ...]:
        given = {"code": code, "language": language, "format": format}
        return tuple(given[name] for name in self.order)


def _read_statement() -> sa.Select[Any]:
    p = pages_t.c
    return sa.select(*(p[name] for name in _SERVED)).where(
        p.code == sa.bindparam("code"), p.language == sa.bindparam("language"), p.format == sa.bindparam("format")
    )


def compile_page_read(dialect: Dialect) -> CompiledPageRead:
    compiled = _read_statement().compile(dialect=dialect)
    assert compiled.positiontup is not None, f"{dialect.name} must use a positional parameter style"
    return CompiledPageRead(sql=str(compiled), order=tuple(compiled.positiontup))


@functools.cache
def _upsert(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE of every column, built once per dialect (run with one page or many)."""
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(pages_t)
    keys = ("code", "language", "format")
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={c.name: insert.excluded[c.name] for c in pages_t.c if c.name not in keys}
    )


def _lock_for_render(connection: sa.Connection, codes: Sequence[str]) -> None:
    """On PostgreSQL, hold the instruments FOR SHARE until the store commits (see the module's note)."""
    if connection.dialect.name == "postgresql":
        i = table_of(Instrument).c
        connection.execute(sa.select(i.id).where(i.code.in_(codes)).with_for_update(read=True))


def render_and_store(
    connection: sa.Connection, maker: PageMaker, code: str, language: str, format: str, today: date
) -> StoredPage | None:
    """Render one page from the registry and store it, in the caller's write transaction; None: no such code."""
    _lock_for_render(connection, [code])
    card = read_card(connection, code)
    if card is None:
        return None
    return store_pages(connection, maker, [(card, language, format)], today)[0]


def render_and_store_many(connection: sa.Connection, maker: PageMaker, keys: Sequence[Key], today: date) -> list[Key]:
    """Render and store many pages in the caller's write transaction, reading their cards in two statements and
    writing them in one; returns the keys whose code names no instrument (nothing stored for them)."""
    codes = sorted({code for code, _, _ in keys})
    _lock_for_render(connection, codes)
    cards = read_cards(connection, codes)
    store_pages(connection, maker, [(cards[c], language, f) for c, language, f in keys if c in cards], today)
    return [key for key in keys if key[0] not in cards]


def store_pages(
    connection: sa.Connection, maker: PageMaker, pages: Sequence[tuple[InstrumentCard, str, str]], today: date
) -> list[StoredPage]:
    stored, rows = [], []
    for card, language, format in pages:
        body, date_at = maker.render(card, language, format, today)
        page = StoredPage(
            stamp=maker.stamp,
            rendered_on=today,
            true_until=true_until(card, today=today, rotation=maker.rotation),
            packed=pack(body, date_at),
        )
        packed = page.packed
        rows.append({
            "code": card.code, "language": language, "format": format, "stamp": page.stamp,
            "rendered_on": page.rendered_on, "true_until": page.true_until, "tag": packed.tag,
            "gzipped": packed.gzipped, "date_at": packed.date_at, "gzipped_date_at": packed.gzipped_date_at,
        })  # fmt: skip
        stored.append(page)
    if rows:
        connection.execute(_upsert(connection.dialect.name), rows)
    return stored


def pages_past(connection: sa.Connection, today: date, limit: int) -> list[tuple[str, str, str]]:
    """Pages whose day has passed (the worker renders them again), by the index on true_until."""
    p = pages_t.c
    statement = sa.select(p.code, p.language, p.format).where(p.true_until < today).order_by(p.true_until).limit(limit)
    return [(code, language, format) for code, language, format in connection.execute(statement)]


def pages_of_other_releases(connection: sa.Connection, stamp: str, after: Key, limit: int) -> list[Key]:
    """Pages an earlier release made, in primary-key order after ``after``: one pass over the table in batches."""
    p = pages_t.c
    statement = (
        sa.select(p.code, p.language, p.format)
        .where(sa.tuple_(p.code, p.language, p.format) > sa.tuple_(*after), p.stamp != stamp)
        .order_by(p.code, p.language, p.format)
        .limit(limit)
    )
    return [(code, language, format) for code, language, format in connection.execute(statement)]
