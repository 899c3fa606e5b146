"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from FAIRWEIGH_TEST_POSTGRES_URL (default: the local server's `test` database). When it
cannot be reached the PostgreSQL half is skipped with the reason printed, unless
FAIRWEIGH_REQUIRE_POSTGRES=1 (as in CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from tests.contract_support import Contract
from tests.fake_wechat import wechat
from tests.support import NOW, STATUS_ROWS, code_of, seed
from web.app import create_app
from web.db import create_engine, head_revision, upgrade
from web.keys import SETTINGS
from web.settings import Settings

pytest_plugins = ("tests.queue_fixtures", "tests.telegram_fixtures")

_GIVEN_POSTGRES_URL = os.environ.get("FAIRWEIGH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
# pytest-xdist runs the suite in several processes; each takes a database of its own beside the given one
# (test_gw0, test_gw1, ...), created on first use, so that one worker's clean-up never empties another's tables.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
POSTGRES_URL = (
    sa.engine.make_url(_GIVEN_POSTGRES_URL)
    .set(database=f"{sa.engine.make_url(_GIVEN_POSTGRES_URL).database}_{_WORKER}")
    .render_as_string(hide_password=False)
    if _WORKER
    else _GIVEN_POSTGRES_URL
)
REQUIRE_POSTGRES = os.environ.get("FAIRWEIGH_REQUIRE_POSTGRES") == "1"


def _async_postgres_url() -> str:
    return POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1)


async def _create_worker_database() -> None:
    """The worker's own database, made from the given one's server (nothing to do outside pytest-xdist)."""
    if not _WORKER:
        return
    admin = create_engine(_GIVEN_POSTGRES_URL.replace("postgresql://", "postgresql+asyncpg://", 1))
    name = sa.engine.make_url(POSTGRES_URL).database
    try:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            exists = await connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def _reset_postgres() -> str | None:
    """Drop and re-create the schema and migrate it; returns why PostgreSQL is unusable, or None."""
    engine = create_engine(_async_postgres_url())
    try:
        await _create_worker_database()
        async with engine.begin() as connection:
            await connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(sa.text("CREATE SCHEMA public"))
        await upgrade(engine)
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}: {exc}"[:300]
    finally:
        await engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_ready() -> str | None:
    problem = asyncio.run(_reset_postgres())
    if problem and REQUIRE_POSTGRES:
        pytest.fail(f"FAIRWEIGH_REQUIRE_POSTGRES=1 but {problem}")
    return problem


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy, which is much faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    # Fold the WAL into the file, so that copying the one file copies the whole database.
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


async def _empty_postgres() -> None:
    """Every table emptied, every sequence back at 1, the schema's revision at head, in one round trip.

    DELETE, children first, rather than TRUNCATE: a test leaves a few rows, and TRUNCATE of the 42 tables (a new file
    for each) took ~100 ms where this takes ~6, before each of ~670 PostgreSQL tests."""
    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        sequences = await connection.fetch(
            "SELECT quote_ident(sequencename) AS name FROM pg_sequences WHERE schemaname = 'public'"
        )
        await connection.execute(
            "BEGIN;"
            + "".join(f'DELETE FROM "{table.name}";' for table in reversed(SQLModel.metadata.sorted_tables))
            + "".join(f"ALTER SEQUENCE {row['name']} RESTART;" for row in sequences)
            # A test may have moved the schema's revision to check refusals; every test starts at head.
            + f"UPDATE alembic_version SET version_num = '{head_revision()}';"
            + "COMMIT;"
        )
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The async URL of a migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "fairweigh.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    problem = request.getfixturevalue("postgres_ready")
    if problem:
        pytest.skip(problem)
    asyncio.run(_empty_postgres())
    yield _async_postgres_url()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        fairweigh_env="test",
        fairweigh_secret="test-secret-" + "x" * 40,
        public_base_url="http://fairweigh.test",
        # Signing in with a second factor is tested where it is the subject (tests/test_sign_in_security.py).
        fairweigh_second_factor_roles="",
    )


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


@pytest.fixture
def contract() -> Iterator[Contract]:
    """The API's contract, holding every answer under /api/v1 of every app the test builds (contract_support.py)."""
    contract = Contract()
    yield contract
    assert not contract.breaches, "answers that break the API's contract:\n" + "\n".join(contract.breaches)


@pytest.fixture
def aiohttp_client(aiohttp_client: Any, contract: Contract) -> Callable[..., Any]:
    """pytest-aiohttp's client factory, with our application watched by the contract."""

    async def client(app: Any, **options: Any) -> Any:
        if isinstance(app, web.Application) and SETTINGS in app:
            contract.watch(app)
        return await aiohttp_client(app, **options)

    return client


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime]) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(create_app(settings, clock=clock))
    return client


@pytest.fixture
async def wx(aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime]) -> TestClient[Any, Any]:
    """The app with the WeChat official account configured: tests/fake_wechat.py signs (and encrypts) its pushes."""
    client: TestClient[Any, Any] = await aiohttp_client(create_app(wechat(settings), clock=clock))
    return client


@pytest.fixture
async def codes(engine: AsyncEngine) -> dict[str, str]:
    await seed(engine, *STATUS_ROWS.values())
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE instrument SET state = 'suspended' WHERE serial_no = 'S-1'"))
        await connection.execute(sa.text("UPDATE market SET fair_scale_location = '东门管理处旁'"))
    return {status: await code_of(engine, row.serial_no) for status, row in STATUS_ROWS.items()}
