"""Backups that restore: `fairweigh backup` copies a SQLite database while complaints keep arriving, and every case
acknowledged before the backup began is in the copy; `fairweigh restore` puts it back and refuses to overwrite
without --force. On PostgreSQL the README's pg_dump / pg_restore drill is run the same way, under the same load."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import POSTGRES_URL
from tests.staff_support import two_stations
from web.app import create_app
from web.cli.main import main
from web.db import create_engine
from web.ops.backup import BackupError, backup, restore, sqlite_path
from web.settings import Settings

Client = Any
WRITERS = 8


class Load:
    """Complaints posted by several clients at once, remembering each reference once its 201 has arrived."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.acknowledged: list[tuple[str, str]] = []  # (reference, token), in the order the answers came
        self.stop = asyncio.Event()
        self.warm = asyncio.Event()  # set once a few cases are in: the copy is taken mid-stream, not before it

    async def _writer(self, number: int) -> None:
        sent = 0
        while not self.stop.is_set():
            sent += 1
            body = {
                "text": f"在南门市场买的虾少了{sent}两，要求退钱（{number}号）",
                "contact": {"phone": "13800138000"},
            }
            answer = await self.client.post("/api/v1/complaints", json=body)
            assert answer.status == 201, await answer.text()
            created = await answer.json()
            self.acknowledged.append((created["ref"], created["token"]))
            if len(self.acknowledged) >= 20:
                self.warm.set()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Load]:
        writers = [asyncio.create_task(self._writer(n)) for n in range(WRITERS)]
        try:
            await self.warm.wait()
            yield self
        finally:
            self.stop.set()
            await asyncio.gather(*writers)


async def refs_in_sqlite(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return {ref for (ref,) in connection.execute("SELECT ref FROM complaint")}


async def serves(settings: Settings, acknowledged: list[tuple[str, str]]) -> None:
    """The restored database passes the health check and shows a complainant their case."""
    async with TestClient(TestServer(create_app(settings))) as restored:
        assert (await restored.get("/healthz")).status == 200
        ref, token = acknowledged[0]
        answer = await restored.get(f"/api/v1/complaints/{ref}", params={"token": token})
        assert answer.status == 200
        assert (await answer.json())["ref"] == ref


async def test_a_backup_taken_during_intake_holds_every_acknowledged_case(
    client: Client, engine: Any, settings: Settings, tmp_path: Path
) -> None:
    if not settings.is_sqlite:
        pytest.skip("fairweigh backup is for SQLite; PostgreSQL's drill is the next test")
    await two_stations(engine)
    out = tmp_path / "backup.db"
    async with Load(client).running() as load:
        before = list(load.acknowledged)
        copied = await asyncio.to_thread(backup, sqlite_path(settings.async_database_url), out)
    assert len(load.acknowledged) > len(before)  # intake went on while the copy was taken
    restored = tmp_path / "restored" / "fairweigh.db"
    put_back = restore(out, restored)
    assert put_back.revision == copied.revision
    in_copy = await refs_in_sqlite(restored)
    assert {ref for ref, _ in before} <= in_copy
    assert copied.cases == len(in_copy)
    with contextlib.closing(sqlite3.connect(restored)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    # The restored database serves.
    served = Settings(database_url=f"sqlite:///{restored}", fairweigh_env="test", fairweigh_secret="s" * 48)
    from aiohttp.test_utils import TestClient, TestServer

    async with TestClient(TestServer(create_app(served))) as restored_client:
        assert (await restored_client.get("/healthz")).status == 200
        answer = await restored_client.get(f"/api/v1/complaints/{before[0]}", params={"token": "wrong"})
        assert answer.status == 404


def test_restore_refuses_to_overwrite_without_force(tmp_path: Path, sqlite_template: Path, capsys: Any) -> None:
    live = tmp_path / "live.db"
    shutil.copy(sqlite_template, live)
    env = {"DATABASE_URL": f"sqlite:///{live}", "FAIRWEIGH_ENV": "test"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert main(["backup", "--out", str(tmp_path / "b.db")]) == 0
        assert "integrity_check ok" in capsys.readouterr().out
        assert main(["backup", "--out", str(tmp_path / "b.db")]) == 2
        assert "--force" in capsys.readouterr().err
        assert main(["restore", str(tmp_path / "b.db")]) == 2
        assert "already holds a database; add --force" in capsys.readouterr().err
        assert main(["restore", str(tmp_path / "b.db"), "--force"]) == 0
        assert "restored 0 cases" in capsys.readouterr().out
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match=r"not a SQLite database|integrity"):
        restore(tmp_path / "junk.db", tmp_path / "new.db")


def test_backup_on_postgresql_points_at_pg_dump() -> None:
    with pytest.raises(BackupError, match="pg_dump"):
        sqlite_path("postgresql+asyncpg://u@h/db")


def _drill_url(database: str) -> str:
    return sa.engine.make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


async def _run(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    assert process.returncode == 0, f"{command[0]} failed: {err.decode()[-500:]}"


async def test_the_postgresql_drill_restores_every_acknowledged_case(
    client: Client, engine: Any, settings: Settings, tmp_path: Path
) -> None:
    if settings.is_sqlite:
        pytest.skip("the pg_dump drill is for PostgreSQL; SQLite's backup is the first test")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed (Debian: postgresql-client)")
    await two_stations(engine)
    live = sa.engine.make_url(POSTGRES_URL)
    drill = f"{live.database}_restore"  # the drill's own database beside the live one
    dump = tmp_path / "fairweigh.dump"
    async with Load(client).running() as load:
        before = list(load.acknowledged)
        await _run("pg_dump", "--format=custom", f"--file={dump}", POSTGRES_URL)
    admin = create_engine(_drill_url("postgres").replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{drill}"'))
            await connection.execute(sa.text(f'CREATE DATABASE "{drill}"'))
        await _run("pg_restore", "--no-owner", f"--dbname={_drill_url(drill)}", str(dump))
        restored = create_engine(_drill_url(drill).replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            async with restored.connect() as connection:
                refs = set((await connection.execute(sa.text("SELECT ref FROM complaint"))).scalars())
        finally:
            await restored.dispose()
        assert {ref for ref, _ in before} <= refs
        served = Settings(database_url=_drill_url(drill), fairweigh_env="test", fairweigh_secret="s" * 48)
        async with TestClient(TestServer(create_app(served))) as restored_client:
            assert (await restored_client.get("/healthz")).status == 200
    finally:
        async with admin.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{drill}" WITH (FORCE)'))
        await admin.dispose()
