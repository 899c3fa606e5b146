"""End to end: a complaint posted to the app reaches the upstream 12315 receiver through `fairweigh worker`.

Retries, timeouts and two workers are tested on the delivery functions themselves (test_delivery.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from tests.fake_upstream import PATH, FakeUpstream
from web.app import create_app
from web.settings import Settings

SECRET = "shared-12315-key"
TEXT = "菜市场卖菜的秤短斤少两，少了一斤多，要求退款"


def forwarding(settings: Settings, upstream: TestServer) -> Settings:
    return settings.model_copy(
        update={
            "upstream_12315_url": str(upstream.make_url(PATH)),
            "upstream_12315_secret": SecretStr(SECRET),
        }
    )


async def test_the_worker_command_forwards_each_case_once_and_stops_cleanly(
    aiohttp_client: Any, aiohttp_server: Any, settings: Settings, clock: Any
) -> None:
    fake = FakeUpstream(SECRET)
    upstream = await aiohttp_server(fake.app())
    configured = forwarding(settings, upstream)
    client = await aiohttp_client(create_app(configured, clock=clock))
    refs = []
    for n in range(3):
        response = await client.post("/api/v1/complaints", json={"text": f"{TEXT}（第{n + 1}次）", "contact": {}})
        assert response.status == 201
        refs.append((await response.json())["ref"])

    environment = {
        **os.environ,
        "DATABASE_URL": configured.database_url,
        "FAIRWEIGH_SECRET": "test-secret-" + "x" * 40,
        "UPSTREAM_12315_URL": configured.upstream_12315_url,
        "UPSTREAM_12315_SECRET": SECRET,
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main(['worker']))",
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            while len(fake.documents) < len(refs):  # noqa: ASYNC110 - the worker is another process
                await asyncio.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(worker.communicate(), 30)
    assert worker.returncode == 0, output.decode()
    assert sorted(fake.documents) == refs
    assert all(count == 1 for count in fake.deliveries.values())
    document = fake.documents[refs[0]]
    assert (document["text"], document["intent"], document["category"]) == (
        f"{TEXT}（第1次）",
        "complaint",
        "short_weight",
    )
    assert document["received_at"] == "2026-11-23T10:00:00+08:00"


async def test_the_worker_says_forwarding_is_off_without_an_upstream(settings: Settings) -> None:
    environment = {**os.environ, "DATABASE_URL": settings.database_url, "FAIRWEIGH_SECRET": "s" * 48}
    environment.pop("UPSTREAM_12315_URL", None)
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main(['worker']))",
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert worker.stdout is not None
    said = []
    try:
        async with asyncio.timeout(30):
            while not said or "delivering" not in said[-1]:
                said.append((await worker.stdout.readline()).decode())
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 30)
    assert worker.returncode == 0
    assert any("cases are not forwarded" in line for line in said)
    assert "delivering: no channel yet" in said[-1]  # SMS and e-mail are off until configured
