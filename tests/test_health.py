"""Liveness, readiness, and a database that goes away: every route answers 503 with Retry-After in the asker's
language, and the complaint form keeps what was typed. The outage is real: PostgreSQL is reached through a TCP
relay of the test's own, which is then shut, so every connection and every new one fails."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from web.app import create_app
from web.settings import Settings

Client = TestClient[Any, Any]
TEXT = "菜市场的秤短斤少两，少了二两，要求退钱"


async def test_liveness_and_readiness(client: Client) -> None:
    live = await client.get("/healthz")
    assert (live.status, await live.json()) == (200, {"status": "ok"})
    ready = await client.get("/readyz")
    body = await ready.json()
    assert (ready.status, body["status"], body["database"]) == (200, "ok", "ok")
    assert body["outbox_oldest_due_seconds"] is None
    assert (await client.post("/api/v1/complaints", json={"text": TEXT})).status == 201
    body = await (await client.get("/readyz")).json()
    assert body["outbox_oldest_due_seconds"] is None or body["outbox_oldest_due_seconds"] >= 0


async def test_readiness_says_the_schema_is_behind(client: Client, settings: Settings) -> None:
    engine = sa.ext.asyncio.create_async_engine(settings.async_database_url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    await engine.dispose()
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert ready.headers["Retry-After"]
    assert (await ready.json())["database"] == "outdated"
    assert (await client.get("/healthz")).status == 200  # alive all the same: no restart would help


class Relay:
    """A TCP relay to PostgreSQL that can be shut: afterwards every connection through it is refused or cut."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.port)
        self.pipes |= {writer, upstream_writer}

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pump(reader, upstream_writer), pump(upstream_reader, writer))

    async def shut(self) -> None:
        assert self.server is not None
        self.server.close()
        for pipe in self.pipes:
            pipe.close()
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_with_the_database_gone_every_route_answers_503_and_the_form_keeps_the_words(
    aiohttp_client: Any, settings: Settings
) -> None:
    url = sa.engine.make_url(settings.async_database_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=await relay.start()).render_as_string(hide_password=False)
    client: Client = await aiohttp_client(create_app(settings.model_copy(update={"database_url": relayed})))
    assert (await client.get("/readyz")).status == 200

    await relay.shut()

    page = await client.get("/c/JL20261123-0001?token=abc", headers={"Accept-Language": "zh-CN"})
    assert page.status == 503
    assert page.headers["Retry-After"] == "30"
    assert "服务暂时无法读写数据" in await page.text()
    english = await client.get("/c/JL20261123-0001?token=abc&lang=en")
    assert english.status == 503
    assert "cannot store or read anything" in await english.text()
    api = await client.post("/api/v1/complaints", json={"text": TEXT})
    assert (api.status, api.headers["Retry-After"]) == (503, "30")
    assert (await api.json())["error"] == "unavailable"
    form = await client.post("/complain", data={"text": TEXT, "phone": "13800138000"})
    assert form.status == 503
    assert form.headers["Retry-After"] == "30"
    kept = await form.text()
    assert TEXT in kept
    assert "13800138000" in kept
    ready = await client.get("/readyz")
    assert (ready.status, (await ready.json())["database"]) == (503, "unreachable")
    assert (await client.get("/healthz")).status == 200


def fairweigh(*argv: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": database_url, "FAIRWEIGH_SECRET": "s" * 48, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main())", *argv]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_starting_against_an_unreachable_postgresql_says_so_in_one_line() -> None:
    done = fairweigh("serve", "--port", "1", database_url="postgresql://nobody@127.0.0.1:1/fairweigh")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("fairweigh: cannot reach the database at postgresql+asyncpg://nobody@127.0.0.1:1/")


def test_a_sqlite_path_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "fairweigh.db"
    done = fairweigh("serve", "--port", "1", database_url=f"sqlite:///{missing}")
    assert done.returncode == 2
    assert f"There is no SQLite database at {missing} (the directory {missing.parent} does not exist)" in done.stderr
    assert not missing.parent.exists()
