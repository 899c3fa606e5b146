"""Lookup requests/s on a 1,000,000-instrument SQLite registry, next to aiohttp's hello world (wrk).

`python bench/scan_http.py [--instruments N] [--duration S] [--connections C] [--db PATH] [--rebuild] [--profile]
[--metrics on|off] [--encoding gzip|identity] [--postgres URL] [--zipf S]`

Each server is one process pinned to core 0, wrk is pinned to core 1; every request asks for a random code
(100,000 drawn from the database, no unknown codes: any non-2xx answer fails the run). The issue's target:
lookup >= 0.35 x hello world requests/s, p99 < 25 ms at 64 connections.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lookup_db
import lookup_pg
from wrk_runs import OUT, ROOT, cpu_model, fetch, free_port, measure, measure_hello, run_main, save_report, server, wrk

FAIRWEIGH = Path(sys.executable).parent / "fairweigh"  # the venv's console script, next to its python
TARGET_RATIO, TARGET_P99_MS = 0.35, 25.0
SAMPLED_CODES = 100_000
ZIPF_DRAWS = 1_000_000
PREFIXES = {"HTML": "/i/", "JSON": "/api/v1/instruments/"}
# What phones send (WeChat's browser says "gzip, deflate"); "identity" measures a client that takes no compression.
ACCEPT_ENCODING = {"gzip": "gzip, deflate", "identity": ""}
LUA = """-- wrk <url> -s random_path.lua -- CODES_FILE PREFIX: every request asks for PREFIX..<a random code>.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local paths = {}
function init(args)  -- CODES_FILE PREFIX ACCEPT_ENCODING ("" for none)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = args[2] .. line end
  end
  -- What a phone's WeChat browser sends; the page negotiates its language from it.
  wrk.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
  if #args[3] > 0 then wrk.headers["Accept-Encoding"] = args[3] end
  math.randomseed(os.time() * 1000 + thread_number)
  for _ = 1, 10 do math.random() end  -- the first draws after seeding are poorly mixed
end

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""


def drawn_codes(db: Path, zipf: float | None) -> list[str]:
    """The codes wrk asks for, one drawn uniformly per line, so a code's share of the lines is its share of the
    scans: SAMPLED_CODES distinct codes; or, by Zipf's law over every instrument in a random order (the k-th most
    scanned is scanned k^-S as often as the first), a million draws."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        if zipf is None:
            drawn = connection.execute("SELECT code FROM instrument ORDER BY random() LIMIT ?", (SAMPLED_CODES,))
            return [code for (code,) in drawn]
        ranked = [code for (code,) in connection.execute("SELECT code FROM instrument ORDER BY random()")]
    weights = list(itertools.accumulate(1 / rank**zipf for rank in range(1, len(ranked) + 1)))
    draws = random.Random(17).choices(ranked, cum_weights=weights, k=ZIPF_DRAWS)
    top = set(ranked[: max(1, len(ranked) // 100)])
    distinct = len(set(draws))
    print(f"Zipf S={zipf}: {distinct:,} distinct codes in {ZIPF_DRAWS:,} draws; the busiest 1 % of instruments get "
          f"{sum(code in top for code in draws) / ZIPF_DRAWS:.0%} of the scans", flush=True)  # fmt: skip
    return draws


def check_lookups(base: str, db: Path) -> None:
    """A few random codes must come back 200 with their own serial number, as page and as JSON."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        sample = connection.execute("SELECT code, serial_no FROM instrument ORDER BY random() LIMIT 5").fetchall()
    for code, serial_no in sample:
        payload = json.loads(fetch(f"{base}/api/v1/instruments/{code}"))
        assert payload["code"] == code, f"{code}: wrong card {payload}"
        assert payload["serial_no"] == serial_no, f"{code}: wrong serial number {payload}"
        assert f">{serial_no}</strong>" in fetch(f"{base}/i/{code}"), f"{code}: page lacks {serial_no}"


def prerender(env: dict[str, str], instruments: int, where: Callable[[], str]) -> None:
    """Every instrument's zh page and JSON made ahead of time (issue 17), as `fairweigh pages render` does after an
    import or a release: it renders only what is missing or of an earlier release, so a reused database is brought
    up to this code's pages (a no-op pass when it is)."""
    print(f"rendering {instruments:,} instruments' pages ahead of time (what is missing or older) …", flush=True)
    started = time.perf_counter()
    subprocess.run([FAIRWEIGH, "pages", "render"], env=env, check=True, capture_output=True)
    print(f"  rendered in {time.perf_counter() - started:.1f} s{where()}", flush=True)


def sqlite_size(db: Path) -> int:
    return sum(path.stat().st_size for path in (db, Path(f"{db}-wal")) if path.exists())


def prepare(args: argparse.Namespace, db: Path, env: dict[str, str]) -> dict[str, Any]:
    """The registry built (or reused), copied into PostgreSQL if asked, its pages made; the build's facts."""
    n = args.instruments
    if args.rebuild or not lookup_db.is_complete(db, n):
        print(f"building {db} with {n:,} instruments …", flush=True)
        print(f"  built in {lookup_db.build(db, n, env, FAIRWEIGH):.1f} s", flush=True)
    meta: dict[str, Any] = json.loads(lookup_db.meta_path(db).read_text())
    print(f"database {db}: {meta['instruments']:,} instruments, {meta['merchants']:,} merchants, "
          f"{db.stat().st_size / 2**20:.0f} MiB, built in {meta['build_seconds']} s")  # fmt: skip
    if args.postgres:
        if args.rebuild or not lookup_pg.is_complete(db, args.postgres, n):
            print(f"copying the registry into {args.postgres} …", flush=True)
            print(f"  copied in {lookup_pg.load(db, args.postgres, env, FAIRWEIGH, n):.1f} s", flush=True)
        env["DATABASE_URL"] = args.postgres
        prerender(env, n, lambda: f" into {args.postgres}")
    else:
        prerender(env, n, lambda: f", database now {sqlite_size(db) / 2**20:,.0f} MiB (with its write-ahead log)")
    return meta


def profile(pid: int, base: str, codes: Path, seconds: int, accept_encoding: str) -> dict[str, list[tuple[str, float]]]:
    """py-spy on the HTML lookup under load: the top functions by share of the loop thread's samples."""
    raw = OUT / "lookup-profile.txt"  # collapsed stacks: speedscope and flamegraph.pl read them
    # Blocking sampling (the default): --nonblocking tears a third of the stacks on a loaded server.
    options = ["--format", "raw", "-o", str(raw), "-d", str(seconds), "--pid", str(pid)]
    spy = subprocess.Popen([FAIRWEIGH.with_name("py-spy"), "record", *options])
    try:
        wrk(f"{base}/", seconds + 2, 64, [str(codes), PREFIXES["HTML"], accept_encoding])
    finally:
        spy.wait(30)
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        # Only the event loop's thread: py-spy counts aiosqlite's idle worker (blocked on its queue) as busy.
        if not stack.startswith("<module>"):
            continue
        # A frame reads "function (file:line)"; without the line a function counts once per stack.
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        inclusive.update(dict.fromkeys(set(frames), int(count)))
    # Frames on nearly every stack are the event loop's and aiohttp's spine: they say nothing.
    spine = {name for name, n in inclusive.items() if n > 0.9 * total}
    return {
        "self": [(name, n / total) for name, n in own.most_common(15)],
        "inclusive": [(name, n / total) for name, n in inclusive.most_common(40) if name not in spine][:20],
    }


def measure_floor(args: argparse.Namespace, env: dict[str, str], page_url: str, codes: Path) -> dict[str, Any]:
    """bench/page_floor.py: one lookup page's bytes from memory, measured as the lookup is (what aiohttp alone
    costs for such a page)."""
    port = free_port()
    print("the same page from memory (bench/page_floor.py)", flush=True)
    accept_encoding = ACCEPT_ENCODING[args.encoding]
    argv = [sys.executable, str(ROOT / "bench" / "page_floor.py"), str(port), page_url, accept_encoding]
    url = f"http://127.0.0.1:{port}/"
    with server("page-floor", argv, env, url) as process:
        script_args = [str(codes), PREFIXES["HTML"], accept_encoding]
        return measure("page from memory (floor)", url, args, process.pid, script_args)


def measure_lean(args: argparse.Namespace, env: dict[str, str], codes: Path) -> dict[str, Any]:
    """bench/scan_lean.py: the same store read and re-dated with none of the service's web stack around it."""
    port = free_port()
    print("the scan alone on a bare aiohttp app (bench/scan_lean.py)", flush=True)
    argv = [sys.executable, str(ROOT / "bench" / "scan_lean.py"), str(port)]
    url = f"http://127.0.0.1:{port}/"
    with server("scan-lean", argv, env, f"{url}i/{codes.read_text().split()[0]}") as process:
        script_args = [str(codes), PREFIXES["HTML"], ACCEPT_ENCODING[args.encoding]]
        return measure("lookup HTML, lean server", url, args, process.pid, script_args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--db", type=Path, help="default /tmp/fairweigh-bench/lookup-<N>.db, reused when complete")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the database even when complete")
    parser.add_argument("--access-log", choices=("on", "off", "both"), default="off",
                        help="off: `fairweigh serve` as shipped; on: with FAIRWEIGH_ACCESS_LOG=1")  # fmt: skip
    parser.add_argument("--encoding", choices=tuple(ACCEPT_ENCODING), default="gzip",
                        help="gzip (default): Accept-Encoding as phones send it; identity: none")  # fmt: skip
    parser.add_argument("--postgres", metavar="URL", help="serve from this PostgreSQL database, made afresh from the "
                        "SQLite registry, then reused (postgresql://postgres@127.0.0.1/fairweigh_bench)")  # fmt: skip
    parser.add_argument("--zipf", type=float, metavar="S", help="draw codes by Zipf's law with exponent S (a market's "
                        "busy stalls are scanned more) instead of uniformly")  # fmt: skip
    parser.add_argument("--lean", action="store_true", help="also measure bench/scan_lean.py (SQLite only)")
    parser.add_argument("--profile", action="store_true", help="py-spy the lookup server after measuring")
    parser.add_argument("--metrics", choices=("on", "off"), default="off",
                        help="on: FAIRWEIGH_METRICS_TOKEN set (the counting middleware on every request)")  # fmt: skip
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.profile and not FAIRWEIGH.with_name("py-spy").exists():
        sys.exit(f"--profile needs py-spy in the virtualenv: {FAIRWEIGH.with_name('pip')} install py-spy")
    n = args.instruments
    db = (args.db or Path(f"/tmp/fairweigh-bench/lookup-{f'{n // 10**6}m' if n % 10**6 == 0 else n}.db")).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PUBLIC_BASE_URL": "https://fairweigh.example.cn",
           "FAIRWEIGH_SECRET": "bench-only-secret-not-for-production-use-0123456789"}  # fmt: skip
    if args.metrics == "on":
        env["FAIRWEIGH_METRICS_TOKEN"] = "bench-only-metrics-token"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers' finally blocks run

    meta = prepare(args, db, env)
    codes = OUT / "lookup-codes.txt"
    codes.write_text("".join(f"{code}\n" for code in drawn_codes(db, args.zipf)))
    (OUT / "random_path.lua").write_text(LUA)

    results = [measure_hello(args, env)]
    variants = {"on": ["on"], "off": ["off"], "both": ["on", "off"]}[args.access_log]
    hot: dict[str, list[tuple[str, float]]] = {}
    for variant in variants:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        argv = [str(FAIRWEIGH), "serve", "--port", str(port)]
        suffix = ", access log on" if variant == "on" else ""
        print(f"lookup (fairweigh serve{suffix})", flush=True)
        variant_env = {**env, "FAIRWEIGH_ACCESS_LOG": "1" if variant == "on" else "0"}
        with server(f"lookup-access-log-{variant}", argv, variant_env, f"{base}/healthz") as process:
            check_lookups(base, db)
            for kind, prefix in PREFIXES.items():
                script_args = [str(codes), prefix, ACCEPT_ENCODING[args.encoding]]
                results.append(measure(f"lookup {kind}{suffix}", f"{base}/", args, process.pid, script_args))
            if args.profile and variant == variants[0]:
                print("  profiling with py-spy", flush=True)
                hot = profile(process.pid, base, codes, 15, ACCEPT_ENCODING[args.encoding])
            if variant == variants[0]:
                results.append(measure_floor(args, env, f"{base}/i/{codes.read_text().split()[0]}", codes))
    if args.lean and not args.postgres:
        results.append(measure_lean(args, env, codes))

    hello = results[0]["requests_per_second"]
    header = (f"{'req/s':>9} {'× hello':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'transfer/s':>11} "
              f"{'CPU µs/req':>11} {'× hello':>8}  target")  # fmt: skip
    print(f"\n{'':32} {header}")
    for row in results:
        row["ratio"] = row["requests_per_second"] / hello
        lookup = row["label"].startswith("lookup") and "lean" not in row["label"]
        row["meets_target"] = row["ratio"] >= TARGET_RATIO and row["p99_ms"] < TARGET_P99_MS if lookup else None
        verdict = ("met" if row["meets_target"] else "MISSED") if lookup else ""
        # Hello world's CPU per request over this one's: the ratio requests/s would show on a machine with nothing
        # else running, where the server's core is all its own.
        row["cpu_ratio"] = results[0]["cpu_us_per_request"] / row["cpu_us_per_request"]
        print(f"{row['label']:32} {row['requests_per_second']:9.0f} {row['ratio']:8.2f} {row['p50_ms']:8.2f} "
              f"{row['p99_ms']:8.2f} {row['non_2xx']:8d} {row['transfer_per_second']:>11} "
              f"{row['cpu_us_per_request']:11.1f} {row['cpu_ratio']:8.2f}  {verdict}")  # fmt: skip
    print(
        f"target: ≥ {TARGET_RATIO} × hello world and p99 < {TARGET_P99_MS:.0f} ms at {args.connections} connections"
        " (the verdict is on requests/s; CPU µs/req is the server process's user + system time per request)"
    )
    by_label = {row["label"]: row["requests_per_second"] for row in results}
    if "page from memory (floor)" in by_label and "lookup HTML" in by_label:
        floor_us, page_us = 1e6 / by_label["page from memory (floor)"], 1e6 / by_label["lookup HTML"]
        budget_us = 1e6 / (TARGET_RATIO * hello) - floor_us
        print(f"per HTML request: aiohttp and the socket {floor_us:.0f} µs (the floor), the scan's own work "
              f"{page_us - floor_us:.0f} µs; the target leaves {budget_us:.0f} µs for that work")  # fmt: skip
    for kind, top in hot.items():
        print(f"\npy-spy, lookup HTML, {kind} share of samples (stacks in {OUT / 'lookup-profile.txt'}):")
        for name, share in top:
            print(f"  {share:6.1%}  {name}")
    report = {
        "instruments": n, "database": str(db), "database_meta": meta, "duration_s": args.duration,
        "connections": args.connections, "encoding": args.encoding, "codes_sampled": SAMPLED_CODES,
        "unknown_codes": 0, "metrics": args.metrics, "database_url": env["DATABASE_URL"], "zipf": args.zipf,
        "target": {"ratio": TARGET_RATIO, "p99_ms": TARGET_P99_MS}, "results": results,
        "profile": {kind: [{"function": f, "share": share} for f, share in top] for kind, top in hot.items()},
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cpu": cpu_model(),
    }  # fmt: skip
    save_report("lookup.json", report)


if __name__ == "__main__":
    run_main(main)
