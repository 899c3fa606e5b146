"""Upgrades without downtime: the migrations since the previous release only expand the schema (every table and
column the previous release uses is still there, every column added is nullable or has a default, and no migration
since then drops or alters anything unless it declares itself a contract step); a demo database filled under the
previous release's schema upgrades and serves; and a release runs on a schema newer than its own."""

from __future__ import annotations

import ast
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.demo import demo_rows
from qr.codes import new_code
from tests.conftest import POSTGRES_URL
from tests.support import NOW, TODAY
from web.app import create_app
from web.db import MIGRATIONS, alembic_config, create_engine, require_current_schema, upgrade
from web.settings import Settings

# The head revision of the last release deployed. Move it forward when a release ships: what came after it must
# keep that release working (expand now, contract in a later release).
PREVIOUS_RELEASE = "0015"
DESTRUCTIVE = {"drop_column", "drop_table", "alter_column", "rename_table", "drop_constraint"}


def _upgrade_to(connection: sa.Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _columns(connection: sa.Connection) -> dict[str, dict[str, dict[str, Any]]]:
    inspector = sa.inspect(connection)
    return {
        table: {column["name"]: column for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
    }


@pytest.fixture
async def empty_engine(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a database with no schema at all, of each kind (PostgreSQL: a database of the test's own)."""
    if database_url.startswith("sqlite"):
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        yield engine
        await engine.dispose()
        return
    live = sa.engine.make_url(POSTGRES_URL)
    name = f"{live.database}_upgrade"
    admin = create_engine(
        live.set(drivername="postgresql+asyncpg", database="postgres").render_as_string(hide_password=False)
    )
    async with admin.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(
        live.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        await engine.dispose()
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_migrations_since_the_previous_release_only_expand(empty_engine: AsyncEngine) -> None:
    async with empty_engine.begin() as connection:
        await connection.run_sync(_upgrade_to, PREVIOUS_RELEASE)
        before = await connection.run_sync(_columns)
    await upgrade(empty_engine)
    async with empty_engine.connect() as connection:
        after = await connection.run_sync(_columns)
    for table, columns in before.items():
        assert table in after, f"table {table} was dropped: the previous release still uses it"
        for name, column in columns.items():
            assert name in after[table], f"{table}.{name} was dropped: the previous release still uses it"
            assert after[table][name]["nullable"] == column["nullable"], f"{table}.{name} changed nullability"
        for name in after[table].keys() - columns.keys():
            added = after[table][name]
            # The previous release inserts rows without it: it must be nullable or have a default.
            assert added["nullable"] or added.get("default") is not None, f"{table}.{name}: NOT NULL, no default"


def _operations(path: Path) -> set[str]:
    """The alembic operations a migration's upgrade() calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upgrade_function = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "upgrade")
    return {
        node.func.attr
        for node in ast.walk(upgrade_function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_no_migration_since_the_previous_release_drops_or_alters_without_saying_so() -> None:
    newer = [path for path in sorted((MIGRATIONS / "versions").glob("*.py")) if path.name[:4] > PREVIOUS_RELEASE]
    assert newer, "no migration since the previous release: move PREVIOUS_RELEASE forward"
    for path in newer:
        destructive = _operations(path) & DESTRUCTIVE
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert not destructive or "Contract step" in docstring, (
            f"{path.name} calls {sorted(destructive)}: that is a contract step, allowed only once no release in "
            "service uses what it removes; say so in its docstring ('Contract step: …')"
        )


def _fill_as_the_previous_release(connection: sa.Connection, rows: int = 60) -> list[str]:
    """The demo district's first ledger rows written into the tables as they stand (the previous release's
    columns only: today's importer writes columns that schema has not got), with the lookup URLs of five."""
    tables = sa.MetaData()
    tables.reflect(connection, only=["station", "market", "merchant", "instrument", "verification"])
    station_t, market_t, merchant_t = tables.tables["station"], tables.tables["market"], tables.tables["merchant"]
    instrument_t, verification_t = tables.tables["instrument"], tables.tables["verification"]
    ids: dict[tuple[str, str], int] = {}

    def once(table: sa.Table, key: str, values: dict[str, Any]) -> int:
        if (table.name, key) not in ids:
            ids[table.name, key] = connection.execute(sa.insert(table).values(**values)).inserted_primary_key[0]
        return ids[table.name, key]

    urls = []
    for row in itertools.islice(demo_rows(TODAY), rows):
        station = once(
            station_t, row.station, {"name": row.station, "district": row.district, "phone": "", "address": ""}
        )
        place = {"aliases": [], "address": row.address, "district": row.district, "fair_scale_location": ""}
        market = (
            once(market_t, row.market, {"name": row.market, "station_id": station, **place}) if row.market else None
        )
        merchant = once(
            merchant_t,
            row.uscc,
            {
                "name": row.merchant,
                "uscc": row.uscc,
                "sector": row.sector.value,
                "stall": row.stall,
                "address": row.address,
                "station_id": station,
                "market_id": market,
                "standing": "ordinary",
                "contact": "",
            },
        )
        code = new_code()
        instrument = connection.execute(
            sa.insert(instrument_t).values(
                code=code,
                merchant_id=merchant,
                kind=row.kind.value,
                mandatory=row.mandatory,
                model=row.model,
                serial_no=row.serial_no,
                manufacturer=row.manufacturer,
                pattern_approval=row.pattern_approval,
                state="in_use",
                created_at=NOW,
            )
        ).inserted_primary_key[0]
        if row.verification is not None:
            record = row.verification
            connection.execute(
                sa.insert(verification_t).values(
                    instrument_id=instrument,
                    kind="verification",
                    performed_on=record.performed_on,
                    valid_until=record.valid_until,
                    passed=record.passed,
                    certificate_no=record.certificate_no,
                    institution=record.institution,
                )
            )
        urls.append(f"http://fairweigh.test/i/{code}")
    return urls


async def test_a_demo_database_from_the_previous_release_upgrades_and_serves(
    empty_engine: AsyncEngine, settings: Settings
) -> None:
    async with empty_engine.begin() as connection:
        await connection.run_sync(_upgrade_to, PREVIOUS_RELEASE)
        urls = await connection.run_sync(_fill_as_the_previous_release)

    await upgrade(empty_engine)
    await require_current_schema(empty_engine)
    served = settings.model_copy(update={"database_url": empty_engine.url.render_as_string(hide_password=False)})
    async with TestClient(TestServer(create_app(served, clock=lambda: NOW))) as client:
        assert (await client.get("/healthz")).status == 200
        for url in urls[:5]:  # the demo's lookups, stored before the upgrade
            assert (await client.get(url.removeprefix("http://fairweigh.test").split()[0])).status == 200
        body = {"text": "北门市场买的肉少了一两，请帮忙退钱", "contact": {"phone": "13800138000"}}
        created = await client.post("/api/v1/complaints", json=body)
        assert created.status == 201
        receipt = await created.json()
        page = await client.get(f"/c/{receipt['ref']}", params={"token": receipt["token"]})
        assert "138****8000" in await page.text()


async def test_a_release_runs_on_a_newer_schema_and_refuses_an_older_one(
    client: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_next_release'"))
    await require_current_schema(engine)
    ready = await client.get("/readyz")
    assert ready.status == 200
    async with engine.begin() as connection:
        await connection.execute(sa.text(f"UPDATE alembic_version SET version_num = '{PREVIOUS_RELEASE}'"))
    outdated = await client.get("/readyz")
    assert outdated.status == 503
    assert (await outdated.json())["database"] == "outdated"
    assert (await client.get("/healthz")).status == 200  # liveness: the process still serves
