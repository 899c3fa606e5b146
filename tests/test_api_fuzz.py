"""Fuzzing the JSON API from its contract: Schemathesis generates requests (valid and invalid) for every operation
of /api/v1/openapi.json and sends them to a real `fairweigh serve` on loopback over PostgreSQL.

Whatever it sends, no request may get a 5xx, and every answer must be one the contract names, of the type and
shape it names. The number of examples per operation is bounded (FAIRWEIGH_FUZZ_EXAMPLES, default 100) so that
CI stays well within its time; raise it locally to look harder.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import POSTGRES_URL, _async_postgres_url, _empty_postgres
from tests.staff_support import SOUTH, add_staff, token_for, two_stations
from tests.support import code_of
from web.auth.models import StaffRole
from web.db import create_engine
from web.views.api.openapi import openapi_document
from web.views.api.openapi_schemas import JSON

EXAMPLES = int(os.environ.get("FAIRWEIGH_FUZZ_EXAMPLES", "100"))
MAX_REQUEST_LINE = 8000  # aiohttp's limit is 8190 bytes, method and protocol included
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
schema = schemathesis.openapi.from_dict(openapi_document("http://127.0.0.1"))


@dataclass(frozen=True)
class Server:
    url: str
    staff: dict[str, str]  # a supervisor's bearer header: every queue operation is reached, not only refused
    ref: str  # a case at 南门
    code: str  # the code of 张记水产's scale


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _district() -> tuple[str, str]:
    """Two stations and their staff; the supervisor's token and the scale's code."""
    engine = create_engine(_async_postgres_url())
    try:
        await two_stations(engine)
        await add_staff(engine, "south", StaffRole.handler, SOUTH)
        await add_staff(engine, "boss", StaffRole.supervisor)
        return await token_for(engine, "boss"), await code_of(engine, "N-1")
    finally:
        await engine.dispose()


def _file_a_case(url: str, code: str) -> str:
    body = json.dumps({"text": "张记水产的秤不准，称的鱼少了二两，要求退钱", "code": code}).encode()
    request = urllib.request.Request(f"{url}/api/v1/complaints", data=body, headers={"Content-Type": JSON})
    with urllib.request.urlopen(request, timeout=30) as response:
        ref: str = json.load(response)["ref"]
    return ref


def _wait_until_serving(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"fairweigh serve exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("fairweigh serve did not start within 60 s")


@pytest.fixture(scope="module")
def server(postgres_ready: str | None) -> Iterator[Server]:
    if postgres_ready:
        pytest.skip(postgres_ready)
    asyncio.run(_empty_postgres())
    token, code = asyncio.run(_district())
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    unrelated = ("DATABASE_URL", "PUBLIC_BASE_URL", "TELEGRAM_TOKEN", "WECHAT_APP_ID", "UPSTREAM_12315_URL")
    environment = {name: value for name, value in os.environ.items() if name not in unrelated}
    environment |= {
        "DATABASE_URL": POSTGRES_URL,
        "PUBLIC_BASE_URL": url,
        "FAIRWEIGH_ENV": "test",
        "FAIRWEIGH_SECRET": "fuzz-secret-" + "x" * 40,
        "PYTHONPATH": str(Path(__file__).parents[1]),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main())", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_serving(process, url)
        yield Server(url, {"Authorization": f"Bearer {token}"}, _file_a_case(url, code), code)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        assert "Traceback" not in output, output[-3000:]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_no_request_gets_a_server_error_and_every_answer_keeps_the_contract(
    case: schemathesis.Case, server: Server
) -> None:
    # Three times in four a path names a case or an instrument that exists, so that actions reach the workflow
    # and lookups the registry; the fourth keeps whatever was generated.
    chosen = case.path_parameters or {}
    for name, real in (("ref", server.ref), ("code", server.code)):
        if name in chosen and hash(str(chosen[name])) % 4:
            chosen[name] = real
    # aiohttp answers a request line past 8 KiB itself (400, plain text) before the application sees it.
    request = requests.Request(**case.as_transport_kwargs(base_url=server.url)).prepare()
    assume(len(request.url or "") < MAX_REQUEST_LINE)
    case.call_and_validate(base_url=server.url, headers=server.staff, checks=CHECKS)
