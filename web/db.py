"""Engines, write transactions and migrations. The composition root owns them and hands them to the code that needs
them; nothing else opens a connection of its own.

The service reaches its database in three ways, each through one helper:

- **Async SQLAlchemy Core** on the engine from :func:`create_engine`: most code. Plain reads use the engine as it is
  and never wait for writers; a transaction that reads and then writes (a status change, a counter, an import batch,
  a rating, a photo added to its case) runs on :func:`for_writing`, which begins IMMEDIATE on SQLite. Code outside
  ``web`` is handed that engine (``writer``), never spells the option itself.
- **The raw-driver read** of the two hot paths (``web/scan_readers.py``): a scan's instrument card and a bot
  message's dialogue row, on sqlite3 inline or an asyncpg pool. The statements and their decoders belong to their
  owners (``lookup/scan.py``, ``bot/dialogue_state.py``), compiled once per process for the database.
- **The sync writer** from :func:`open_transactions` (:class:`SqliteWriter` on SQLite, :class:`EngineTransactions`
  on PostgreSQL) for intake and the bot's turns: a whole case, or a message with the case it submits, in one
  transaction, on one thread on SQLite. Domain code sees it as ``complaints.intake.Transactions``.

Migrations run through Alembic on one of the engine's connections (:func:`upgrade`). No ORM session is used:
SQLModel declares the tables, and every statement is Core.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Indexes on expressions that only PostgreSQL has (migration 0010): the models cannot declare them for both
# databases, so comparing models with migrations leaves them out.
MIGRATION_ONLY_INDEXES = frozenset({"ix_complaint_text_short_grams"})


def include_in_comparison(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's ``include_object`` hook for autogenerate and the drift test."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets scans read while an import or a complaint writes; NORMAL is durable across process
    # crashes in WAL mode, which is what a single-machine deployment needs.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 driver opens a transaction only at the first write, so a transaction's reads would run
    # before it holds any lock: two handlers could both read "received" and both accept. SQLAlchemy's
    # recipe: turn the driver's handling off and begin every transaction ourselves (below).
    dbapi_connection.isolation_level = None


def _begin(connection: sa.Connection) -> None:
    # Readers begin DEFERRED and never wait for a writer (WAL). A writer that reads first and then writes
    # must begin IMMEDIATE (see for_writing): it takes the write lock at BEGIN, so a second writer waits
    # for it and then reads what it committed, as SELECT … FOR UPDATE does on PostgreSQL.
    connection.exec_driver_sql("BEGIN " + connection.get_execution_options().get("sqlite_begin", "DEFERRED"))


def for_writing(engine: AsyncEngine) -> AsyncEngine:
    """The engine for transactions that read and then write (no effect on PostgreSQL)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine.sync_engine, "connect", _no_driver_transactions)
        sa.event.listen(engine.sync_engine, "begin", _begin)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class EngineTransactions:
    """Write transactions through the async engine (PostgreSQL): the work runs on the connection's sync side."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = for_writing(engine)

    async def run(self, work: Callable[[sa.Connection], T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(work)

    async def close(self) -> None:
        """The engine belongs to the caller."""


class SqliteWriter:
    """Write transactions on one thread with a plain (synchronous) sqlite3 connection.

    SQLite has one writer at a time anyway. Through aiosqlite every statement is a hop to its thread and back
    (about 40 per complaint, most of an intake's time), and concurrent writers poll the lock with sleeps (seconds
    of tail latency under load). Here a transaction is one hop and writers queue in order.
    """

    def __init__(self, url: str) -> None:
        sync_url = sa.engine.make_url(url).set(drivername="sqlite")
        self._engine = sa.create_engine(sync_url, poolclass=sa.pool.SingletonThreadPool)
        sa.event.listen(self._engine, "connect", _sqlite_pragmas)
        sa.event.listen(self._engine, "connect", _no_driver_transactions)
        sa.event.listen(self._engine, "begin", _begin)
        self._immediate = self._engine.execution_options(sqlite_begin="IMMEDIATE")
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    def _transaction(self, work: Callable[[sa.Connection], T]) -> T:
        with self._immediate.begin() as connection:
            return work(connection)

    async def run(self, work: Callable[[sa.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._transaction, work)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown(wait=True)


def open_transactions(url: str, engine: AsyncEngine) -> EngineTransactions | SqliteWriter:
    return SqliteWriter(url) if url.startswith("sqlite") else EngineTransactions(engine)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache  # the migrations ship with the code; reading them costs ~20 ms, and /readyz asks every probe
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def _upgrade_sync(connection: sa.Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current_revision_sync(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _sqlite_file(engine: AsyncEngine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


async def upgrade(engine: AsyncEngine) -> None:
    """Migrate to the head revision (creating a SQLite file, and its directory, when there is none)."""
    if (path := _sqlite_file(engine)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_sync)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision_sync)


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached or cannot write (down, restarting, disk full, locked
    past the busy timeout), as any of our three ways of reaching it raises it, rather than a fault in our code."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    down = (
        sa.exc.OperationalError,
        sa.exc.InterfaceError,
        sqlite3.OperationalError,
        OSError,
        asyncpg.PostgresConnectionError,
        asyncpg.InsufficientResourcesError,  # disk full, out of memory, too many connections
        asyncpg.CannotConnectNowError,
        asyncpg.InterfaceError,
    )
    return isinstance(error, down)


class DatabaseNotReady(Exception):
    """The schema is missing or older than this code; the message names the command that fixes it."""


def known_revisions() -> frozenset[str]:
    """Every revision this release's migrations know."""
    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


def schema_is_newer(revision: str | None) -> bool:
    """A revision this release does not know: a newer release's migrations ran (its rollout has begun). Migrations
    only expand the schema while the previous release still runs (README, Development), so this code runs on it."""
    return revision is not None and revision not in known_revisions()


async def require_current_schema(engine: AsyncEngine) -> None:
    """Refuse a database without the schema or with an older one; accept this release's schema or a newer one."""
    if (path := _sqlite_file(engine)) is not None and not path.exists():
        missing = "" if path.parent.is_dir() else f" (the directory {path.parent} does not exist)"
        raise DatabaseNotReady(
            f"There is no SQLite database at {path}{missing}. Check DATABASE_URL, or create it with "
            "`fairweigh db upgrade` (or `fairweigh serve --demo`)."
        )
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise DatabaseNotReady(
            "The database has no fairweigh schema yet. Run `fairweigh db upgrade` first "
            "(or `fairweigh serve --demo` to create it with demo data)."
        )
    if schema_is_newer(current):
        log.warning(
            "The database schema is at revision %s, newer than this release's %s: running on it, as a newer "
            "release's migrations keep the previous release working.",
            current,
            head,
        )
        return
    raise DatabaseNotReady(
        f"The database schema is at revision {current}, this version needs {head}. Run `fairweigh db upgrade`."
    )
