"""Pages rendered in bulk: every instrument's (ahead of the first scans), and by the worker at start and after
midnight: those whose day has passed (exactly the instruments whose status or countdown changed, found by the index
on true_until), then those an earlier release made (one pass in primary-key order)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.models import Instrument, table_of
from lookup.pages.models import HTML, JSON
from lookup.pages.store import Key, PageMaker, pages_of_other_releases, pages_past, pages_t, render_and_store_many

BATCH = 500  # pages per write transaction: short enough that a scan's own render does not wait long behind it
# What every instrument has made ahead of time: the page in the service's default language (web/i18n.py) and the
# JSON; an English page is made by its first scan, or by `fairweigh pages render --language en`.
AHEAD = (("zh", HTML), ("", JSON))


def render_keys(connection: sa.Connection, maker: PageMaker, keys: Sequence[Key], today: date) -> int:
    gone = render_and_store_many(connection, maker, keys, today)
    p = pages_t.c
    # No such instrument any more (its trigger removed its pages; this is for a page stored without one).
    for code, language, format in gone:
        connection.execute(sa.delete(pages_t).where(p.code == code, p.language == language, p.format == format))
    return len(keys) - len(gone)


async def render_past(writer: AsyncEngine, maker: PageMaker, today: date) -> int:
    """Render again every page whose day is over, then every page an earlier release made (served meanwhile);
    how many. ``writer`` begins write transactions."""
    total = 0
    while True:
        async with writer.begin() as connection:
            keys = await connection.run_sync(pages_past, today, BATCH)
            total += await connection.run_sync(render_keys, maker, keys, today)
        if len(keys) < BATCH:
            break
    after: Key = ("", "", "")
    while True:
        async with writer.begin() as connection:
            keys = await connection.run_sync(pages_of_other_releases, maker.stamp, after, BATCH)
            total += await connection.run_sync(render_keys, maker, keys, today)
        if len(keys) < BATCH:
            return total
        after = keys[-1]


async def render_night(writer: AsyncEngine, maker: PageMaker, today: date) -> tuple[int, int]:
    """The worker's pass at start and after midnight: the pages whose day is over or of an earlier release, then
    the ones missing (new instruments, pages a write invalidated that no scan has asked for since, or a table
    emptied by a migration); how many of each."""
    return await render_past(writer, maker, today), await render_all(writer, maker, today, AHEAD)


async def render_all(writer: AsyncEngine, maker: PageMaker, today: date, variants: Sequence[tuple[str, str]]) -> int:
    """Render every instrument's pages in ``variants`` (language, format) that are not stored and true today; how
    many."""
    i = table_of(Instrument).c
    total, after = 0, 0
    while True:
        async with writer.begin() as connection:
            rows = (
                await connection.execute(sa.select(i.id, i.code).where(i.id > after).order_by(i.id).limit(BATCH))
            ).all()
            keys = [(code, language, format) for _, code in rows for language, format in variants]
            p = pages_t.c
            # Only the primary key in the condition, the rest judged here: asked in SQL, PostgreSQL's generic plan
            # for this prepared statement also scanned the whole index on true_until (0.3 s a batch).
            stored = sa.select(p.code, p.language, p.format, p.stamp, p.rendered_on, p.true_until).where(
                p.code.in_([code for _, code in rows])
            )
            have = {
                (code, language, format)
                for code, language, format, stamp, rendered_on, until in (await connection.execute(stored)).all()
                if stamp == maker.stamp and rendered_on <= today <= until
            }
            keys = [key for key in keys if key not in have]  # an interrupted run goes on where it stopped
            total += await connection.run_sync(render_keys, maker, keys, today)
        if len(rows) < BATCH:
            return total
        after = rows[-1][0]
