"""The handlers' queue over HTTP on 1,000,000 cases in PostgreSQL: the page a handler opens and the API listing.

`python bench/queue_http.py [--postgres URL] [--calls C]`

Uses the database `bench/queue_list.py` fills (default postgresql://postgres@127.0.0.1:5432/fairweigh_bench_queue;
run `python bench/queue_list.py` once first). Starts `fairweigh serve` on it pinned to core 0, adds a handler of the
busiest station and a supervisor (once), signs the handler in, then times C sequential requests per scenario
(after 10 warm-up requests) from one client on core 1: what a person clicking waits, not throughput. Prints
p50/p95/p99 against the target (p95 < 100 ms) and writes bench/out/queue_http.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
FAIRWEIGH = Path(sys.executable).parent / "fairweigh"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/fairweigh_bench_queue"
PASSWORD = "bench-password-not-secret"
PORT = 8731
TARGET_MS = 100.0


def percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(share * len(sorted_ms)))]


async def busiest_station(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        name: str = await connection.fetchval(
            "SELECT s.name FROM station AS s JOIN complaint AS c ON c.station_id = s.id "
            "GROUP BY s.name ORDER BY count(*) DESC LIMIT 1"
        )
        return name
    finally:
        await connection.close()


def fairweigh(env: dict[str, str], *argv: str, stdin: str = "") -> str:
    done = subprocess.run([str(FAIRWEIGH), *argv], env=env, input=stdin, capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


async def measure(session: aiohttp.ClientSession, url: str, calls: int, headers: dict[str, str]) -> dict[str, Any]:
    for _ in range(10):
        async with session.get(url, headers=headers) as response:
            await response.read()
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        async with session.get(url, headers=headers) as response:
            await response.read()
            assert response.status == 200, (url, response.status)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = percentile(timings, 0.95)
    return {
        "p50_ms": round(percentile(timings, 0.5), 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(percentile(timings, 0.99), 1),
        "meets_target": p95 < TARGET_MS,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    station = await busiest_station(args.postgres)
    env = {**os.environ, "DATABASE_URL": args.postgres, "FAIRWEIGH_SECRET": "b" * 48, "FAIRWEIGH_ENV": "test"}
    fairweigh(env, "users", "add", "bench-handler", "--role", "handler", "--station", station, stdin=PASSWORD + "\n")
    fairweigh(env, "users", "add", "bench-supervisor", "--role", "supervisor", stdin=PASSWORD + "\n")
    supervisor = fairweigh(env, "users", "token", "bench-supervisor").strip().splitlines()[-1]
    handler = fairweigh(env, "users", "token", "bench-handler").strip().splitlines()[-1]
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "queue_http-server.log").open("w") as log:
        server = subprocess.Popen(  # noqa: ASYNC220 - started once, before anything is measured
            ["taskset", "-c", "0", str(FAIRWEIGH), "serve", "--port", str(PORT)], env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{PORT}"
    try:
        # unsafe: keep cookies from an IP address (127.0.0.1), which aiohttp's jar drops by default.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            for _ in range(100):
                try:
                    async with session.get(f"{base}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
            login = await (await session.get(f"{base}/login")).text()
            csrf = re.findall(r'name="csrf" value="([^"]+)"', login)[0]
            form = {"username": "bench-handler", "password": PASSWORD, "csrf": csrf}
            async with session.post(f"{base}/login", data=form) as response:
                assert response.url.path == "/queue", "the bench handler could not sign in"
            handler_auth = {"Authorization": f"Bearer {handler}"}
            supervisor_auth = {"Authorization": f"Bearer {supervisor}"}
            scenarios = [
                ("handler: queue page (list + facet counts + HTML)", f"{base}/queue", {}),
                ("handler: queue page, status=received", f"{base}/queue?status=received", {}),
                ("handler: queue page, search 计价器", f"{base}/queue?q=计价器", {}),
                ("handler: API listing", f"{base}/api/v1/queue", handler_auth),
                (
                    "handler: API listing, category=short_weight",
                    f"{base}/api/v1/queue?category=short_weight",
                    handler_auth,
                ),
                ("supervisor: API listing", f"{base}/api/v1/queue", supervisor_auth),
            ]
            results = []
            for name, url, headers in scenarios:
                result = {"name": name, **await measure(session, url, args.calls, headers)}
                figures = f"p50 {result['p50_ms']:7.1f}  p95 {result['p95_ms']:7.1f}  p99 {result['p99_ms']:7.1f} ms"
                print(f"  {name:55} {figures}")
                results.append(result)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
    return {"station": station, "calls": args.calls, "target_p95_ms": TARGET_MS, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_URL)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    if args.postgres.rstrip("/").endswith("/test"):
        sys.exit("bench/queue_http.py: not the test suite's database")
    report = asyncio.run(run(args))
    met = all(result["meets_target"] for result in report["results"])
    print(f"target: p95 < {TARGET_MS:.0f} ms for every scenario; {'met' if met else 'MISSED'}")
    (OUT / "queue_http.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
