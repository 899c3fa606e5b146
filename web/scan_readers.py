"""Raw-driver readers for the two hot reads: a scan's instrument card and a bot message's dialogue row.

Each runs statements its owner compiles for the database (lookup/scan.py, bot/dialogue_state.py) and hands the rows
back to the owner's decoder; this module only holds the connections (see lookup/scan.py for why these skip the
engine)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from bot.dialogue_state import CompiledStateRead, StoredDialogue, compile_state_read, stored_dialogue
from lookup.pages.store import CompiledPageRead, StoredPage, compile_page_read, stored_page
from lookup.scan import CompiledScan, InstrumentCard, card_from_rows, compile_scan

# Per process; PostgreSQL's default max_connections is 100, shared with the engine's pool (10 + 20 overflow) and
# every other process. More connections did not help: 20 measured as 10 (bench/scan_http.py --postgres).
POSTGRES_CONNECTIONS = 10


class ScanReader(Protocol):
    async def card(self, code: str) -> InstrumentCard | None: ...
    async def page(self, code: str, language: str, format: str) -> StoredPage | None: ...
    async def dialogue_state(self, channel: str, chat_user: str) -> StoredDialogue | None: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


class SqliteScanReader:
    """Reads on one read-only sqlite3 connection, inline on the event loop.

    A scan is two lookups by unique index, a few microseconds each; handing them to a thread (as
    aiosqlite does) costs ten times more than the queries. In WAL mode readers never wait for writers,
    so the loop is not blocked by an import running in another process.
    """

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        # Reading pages through a memory map skips a copy into SQLite's cache: about a quarter of a scan's
        # query time with a million instruments.
        self._connection.execute("PRAGMA mmap_size=1073741824")
        dialect = sqlite.dialect(paramstyle="qmark")
        self._scan: CompiledScan = compile_scan(dialect)
        self._state: CompiledStateRead = compile_state_read(dialect)
        self._page: CompiledPageRead = compile_page_read(dialect)

    async def page(self, code: str, language: str, format: str) -> StoredPage | None:
        row = self._connection.execute(self._page.sql, self._page.parameters(code, language, format)).fetchone()
        return stored_page(row) if row is not None else None

    async def card(self, code: str) -> InstrumentCard | None:
        row = self._connection.execute(self._scan.card.sql, self._scan.card.parameters(code)).fetchone()
        if row is None:
            return None
        history = self._connection.execute(self._scan.history.sql, self._scan.history.parameters(row[0])).fetchall()
        return card_from_rows(row, history)

    async def dialogue_state(self, channel: str, chat_user: str) -> StoredDialogue | None:
        row = self._connection.execute(self._state.sql, self._state.parameters(channel, chat_user)).fetchone()
        return stored_dialogue(row) if row is not None else None

    async def ping(self) -> None:
        self._connection.execute("SELECT 1").fetchone()

    async def close(self) -> None:
        self._connection.close()


class PostgresScanReader:
    """Reads through an asyncpg pool, in the order the scans arrived.

    Two of the pool's defaults do not suit scans, which are many, short and all alike:

    - **Arrival order.** A connection put back in asyncpg's pool goes to whichever request asks next, not to the one
      woken for it, and the woken one goes to the back of the line. Scans keep arriving, so under load a few kept
      being overtaken: at 64 connections on a pool of 10, a median of 15 ms and a p99 of 77–300 ms
      (bench/scan_http.py). A semaphore of the pool's size in front of
      it (asyncio's serves its waiters first come, first served) keeps the line.
    - **No reset.** On release the pool sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``,
      a second round trip for every scan. These connections only ever run one SELECT outside a transaction and
      set nothing, so there is nothing to reset (a transaction left open would still be rolled back by asyncpg).
    """

    def __init__(self, pool: asyncpg.Pool, connections: int) -> None:
        self._pool = pool
        self._turn = asyncio.Semaphore(connections)
        dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
        self._scan: CompiledScan = compile_scan(dialect)
        self._state: CompiledStateRead = compile_state_read(dialect)
        self._page: CompiledPageRead = compile_page_read(dialect)

    @classmethod
    async def connect(cls, url: str, connections: int = POSTGRES_CONNECTIONS) -> PostgresScanReader:
        parsed = sa.engine.make_url(url)
        ssl = parsed.query.get("ssl")
        dsn = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=connections, ssl=ssl, reset=_nothing_to_reset)
        return cls(pool, connections)

    async def _row(self, sql: str, parameters: Sequence[object]) -> tuple[Any, ...] | None:
        async with self._turn:
            row = await self._pool.fetchrow(sql, *parameters)
        return tuple(row) if row is not None else None

    async def page(self, code: str, language: str, format: str) -> StoredPage | None:
        row = await self._row(self._page.sql, self._page.parameters(code, language, format))
        return stored_page(row) if row is not None else None

    async def card(self, code: str) -> InstrumentCard | None:
        async with self._turn, self._pool.acquire() as connection:
            row = await connection.fetchrow(self._scan.card.sql, *self._scan.card.parameters(code))
            if row is None:
                return None
            history = await connection.fetch(self._scan.history.sql, *self._scan.history.parameters(row[0]))
        return card_from_rows(tuple(row), [tuple(r) for r in history])

    async def dialogue_state(self, channel: str, chat_user: str) -> StoredDialogue | None:
        row = await self._row(self._state.sql, self._state.parameters(channel, chat_user))
        return stored_dialogue(row) if row is not None else None

    async def ping(self) -> None:
        async with self._turn:
            await self._pool.fetchval("SELECT 1")

    async def close(self) -> None:
        await self._pool.close()


async def _nothing_to_reset(_connection: asyncpg.Connection) -> None:
    """See PostgresScanReader: its connections keep no session state."""


async def open_scan_reader(url: str) -> ScanReader:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if not path or path == ":memory:":
            raise ValueError("the scan reader needs a SQLite file, not an in-memory database")
        return SqliteScanReader(path)
    return await PostgresScanReader.connect(url)
