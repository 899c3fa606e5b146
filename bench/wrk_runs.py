"""Measuring a server with wrk, as every script in bench/ does: servers pinned to core 0, wrk to core 1, wrk's
figures parsed, the server's CPU time per request read from /proc, and aiohttp's hello world as the yardstick."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # raises on 4xx/5xx
        assert response.status == 200, f"{url}: HTTP {response.status}"
        body = response.read()
        # the floor sends its copied gzip bytes whatever was asked
        return (gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body).decode()


@contextlib.contextmanager
def server(name: str, argv: list[str], env: dict[str, str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """A server pinned to core 0, stopped however the block ends; its output (access log too) goes to a file."""
    with (OUT / f"{name}.log").open("wb") as log:
        process = subprocess.Popen(["taskset", "-c", "0", *argv], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited with {process.returncode}; see {log.name}")
                with contextlib.suppress(OSError):
                    fetch(ready_url)
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not answer {ready_url} within 60 s; see {log.name}")
                time.sleep(0.2)
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert match, f"unexpected wrk latency {text!r}"
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match[2]]


def parse_wrk(output: str) -> dict[str, Any]:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        assert match, f"no {pattern!r} in wrk output:\n{output}"
        return match

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(find(r"^Requests/sec:\s+([\d.]+)")[1]),
        "p50_ms": to_ms(find(r"^\s+50%\s+(\S+)")[1]),
        "p99_ms": to_ms(find(r"^\s+99%\s+(\S+)")[1]),
        "requests": int(find(r"^\s+(\d+) requests in")[1]),
        "non_2xx": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "transfer_per_second": find(r"^Transfer/sec:\s+(\S+)")[1],
        "wrk_output": output,
    }


def wrk(url: str, seconds: float, connections: int, script_args: list[str] | None = None) -> dict[str, Any]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script_args:
        command += ["-s", str(OUT / "random_path.lua"), url, "--", *script_args]
    else:
        command.append(url)
    result = parse_wrk(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    # wrk leaves failed and timed-out requests out of its latency figures: a run with any is not a result.
    if result["non_2xx"] or result["socket_errors"]:
        raise SystemExit(f"FAILED: {url}: {result['non_2xx']} non-2xx, {result['socket_errors']} socket errors\n"
                         f"{result['wrk_output']}")  # fmt: skip
    return result


def cpu_seconds(pid: int) -> float:
    """The process's user and system time so far (/proc/PID/stat's utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    label: str, url: str, args: argparse.Namespace, pid: int, script_args: list[str] | None = None
) -> dict[str, Any]:
    """wrk's figures, and the server's CPU time per request: unlike requests/s, it barely moves when another
    process shares the machine, so runs on a busy machine can still be compared."""
    print(f"  {label}: warm-up {min(5, args.duration)} s, then {args.duration} s", flush=True)
    wrk(url, min(5, args.duration), args.connections, script_args)
    before = cpu_seconds(pid)
    result = wrk(url, args.duration, args.connections, script_args)
    result["cpu_us_per_request"] = (cpu_seconds(pid) - before) * 1e6 / result["requests"]
    return {"label": label, **result}


def measure_hello(args: argparse.Namespace, env: dict[str, str] | None = None) -> dict[str, Any]:
    """aiohttp's hello world (bench/hello.py) on core 0, measured as every server here is: the run's yardstick."""
    port = free_port()
    print("hello world (bench/hello.py)", flush=True)
    hello_url = f"http://127.0.0.1:{port}/"
    argv = [sys.executable, str(ROOT / "bench" / "hello.py"), str(port)]
    with server("hello", argv, dict(os.environ) if env is None else env, hello_url) as process:
        return measure("hello world", hello_url, args, process.pid)


def cpu_model() -> str:
    found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    return found[1] if found else platform.processor()


def save_report(name: str, report: dict[str, Any]) -> None:
    """The run's figures as JSON in bench/out/, for the README's table and for comparing runs."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"\nwrote {OUT / name}")


def run_main(main: Callable[[], None]) -> None:
    """Runs a benchmark's ``main``; Ctrl-C stops it with one line (its servers stop with their context managers)."""
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted: servers stopped")
