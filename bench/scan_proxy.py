"""The scan behind a caching reverse proxy (nginx's proxy_cache), next to aiohttp's hello world on the same core.

`python bench/scan_proxy.py [--instruments N] [--duration S] [--warm-up S] [--connections C] [--zipf S]
[--postgres URL]`

The configuration is the README's ("Deploying on PostgreSQL"): the proxy keeps each scan's answer as long as its
`Cache-Control` allows (never past midnight) and revalidates it with its ETag after, so a repeat scan never reaches
Python. nginx (one process, no master) and `fairweigh serve` share core 0 and wrk is on core 1, as every server in
bench/ is measured; the CPU per request is both processes' together. The registry and its pages are
bench/scan_http.py's (built and rendered there when missing). Each run starts with an empty cache, which the first
seconds fill (--warm-up, 5 by default, not counted); the share of the measured requests answered from the cache is
printed beside the figures. Needs nginx (Debian: `apt-get install nginx-light`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_http
from wrk_runs import OUT, cpu_seconds, free_port, measure_hello, run_main, save_report, server, wrk

NGINX_CONF = """
worker_processes 1;
master_process off;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format cache_status '$upstream_cache_status $status';
    access_log {root}/cache.log cache_status;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    proxy_cache_path {root}/cache levels=1:2 keys_zone=scans:64m max_size=16g inactive=1d use_temp_path=off;
    upstream fairweigh {{
        server 127.0.0.1:{upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        location / {{
            proxy_pass http://fairweigh;
        }}
        # Only the scans are kept; their answers say how long (Cache-Control) and vary by language and encoding.
        location ~ ^/(i|api/v1/instruments)/[^/]+$ {{
            proxy_pass http://fairweigh;
            proxy_cache scans;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
        }}
    }}
}}
"""


def cache_statuses(log: Path, skip: int) -> tuple[Counter[str], int]:
    """The proxy's cache statuses logged after the first ``skip`` lines, and the number of lines now."""
    lines = log.read_text().splitlines() if log.exists() else []
    return Counter(line.split()[0] for line in lines[skip:]), len(lines)


def measure_proxied(
    label: str, url: str, args: argparse.Namespace, pids: tuple[int, int], script_args: list[str], log: Path
) -> dict[str, Any]:
    print(f"  {label}: warm-up {args.warm_up} s, then {args.duration} s", flush=True)
    wrk(url, args.warm_up, args.connections, script_args)
    _, seen = cache_statuses(log, 0)
    before = sum(cpu_seconds(pid) for pid in pids)
    result = wrk(url, args.duration, args.connections, script_args)
    result["cpu_us_per_request"] = (sum(cpu_seconds(pid) for pid in pids) - before) * 1e6 / result["requests"]
    statuses, _ = cache_statuses(log, seen)
    result["cache"] = dict(statuses)
    result["hit_ratio"] = statuses["HIT"] / max(1, sum(statuses.values()))
    return {"label": label, **result}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warm-up", type=int, default=5, help="seconds of scans that fill the cache first")
    parser.add_argument("--zipf", type=float, metavar="S", help="draw codes by Zipf's law (see bench/scan_http.py)")
    parser.add_argument("--postgres", metavar="URL", help="the service reads PostgreSQL (see bench/scan_http.py)")
    args = parser.parse_args()
    args.db, args.rebuild, args.encoding = None, False, "gzip"
    return args


def main() -> None:
    args = parse_args()
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        sys.exit("needs nginx: apt-get install nginx-light")
    n = args.instruments
    db = Path(f"/tmp/fairweigh-bench/lookup-{f'{n // 10**6}m' if n % 10**6 == 0 else n}.db").resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PUBLIC_BASE_URL": "https://fairweigh.example.cn",
           "FAIRWEIGH_SECRET": "bench-only-secret-not-for-production-use-0123456789",
           "FAIRWEIGH_TRUSTED_PROXIES": "127.0.0.1/32"}  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scan_http.prepare(args, db, env)
    codes = OUT / "lookup-codes.txt"
    codes.write_text("".join(f"{code}\n" for code in scan_http.drawn_codes(db, args.zipf)))
    (OUT / "random_path.lua").write_text(scan_http.LUA)

    results = [measure_hello(args, env)]
    upstream, port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    with server("lookup-upstream", [str(scan_http.FAIRWEIGH), "serve", "--port", str(upstream)], env,
                f"http://127.0.0.1:{upstream}/healthz") as service:  # fmt: skip
        scan_http.check_lookups(f"http://127.0.0.1:{upstream}", db)
        for kind, prefix in scan_http.PREFIXES.items():
            # In memory where there is /dev/shm: on this machine's disk nginx spent 0.4 ms creating each cache file.
            shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
            with tempfile.TemporaryDirectory(prefix="fairweigh-proxy-", dir=shm) as root:
                (Path(root) / "nginx.conf").write_text(NGINX_CONF.format(root=root, upstream=upstream, port=port))
                argv = [nginx, "-p", root, "-c", f"{root}/nginx.conf", "-e", f"{root}/error.log"]
                with server("lookup-proxy", argv, env, f"{base}/healthz") as proxy:
                    script_args = [str(codes), prefix, scan_http.ACCEPT_ENCODING["gzip"]]
                    pids, log = (proxy.pid, service.pid), Path(root) / "cache.log"
                    label = f"lookup {kind} via proxy"
                    results.append(measure_proxied(label, f"{base}/", args, pids, script_args, log))

    hello = results[0]["requests_per_second"]
    print(f"\n{'':26} {'req/s':>9} {'× hello':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'hits':>6}  target")
    for row in results:
        row["ratio"] = row["requests_per_second"] / hello
        proxied = "hit_ratio" in row
        row["meets_target"] = (row["ratio"] >= scan_http.TARGET_RATIO and row["p99_ms"] < scan_http.TARGET_P99_MS
                               if proxied else None)  # fmt: skip
        verdict = ("met" if row["meets_target"] else "MISSED") if proxied else ""
        hits = f"{row['hit_ratio']:6.0%}" if proxied else ""
        print(f"{row['label']:26} {row['requests_per_second']:9.0f} {row['ratio']:8.2f} {row['p50_ms']:8.2f} "
              f"{row['p99_ms']:8.2f} {row['cpu_us_per_request']:11.1f} {hits:>6}  {verdict}")  # fmt: skip
    print("CPU µs/req: the proxy's and the service's user + system time together, per request; hits: the share of "
          "measured requests the proxy answered from its cache (the rest went to the service)")  # fmt: skip
    report = {"instruments": n, "zipf": args.zipf, "database_url": env["DATABASE_URL"], "results": results,
              "connections": args.connections, "duration_s": args.duration}  # fmt: skip
    for row in results:
        row.pop("wrk_output", None)
    save_report("lookup-proxy.json", report)


if __name__ == "__main__":
    run_main(main)
