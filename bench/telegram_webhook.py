"""Telegram webhook updates handled per second by one process on SQLite, next to aiohttp's hello world (wrk).

`python bench/telegram_webhook.py [--duration S] [--connections C] [--users N]`

`fairweigh serve --demo` on a new SQLite file with the bot configured, pinned to core 0; the fake Bot API
(tests/fake_telegram.py, real HTTP, recording nothing) and wrk share core 1. Every request is a message update
with its own update_id from one of N private chats (default 1,000, so nobody reaches the flood limit of 30 a
minute); each chat walks the dialogue in turn (account, more words, done, where, when, amounts, photos, name,
phone, submit), so a request is a dialogue step stored in the database and one to three sendMessage calls.
Prints updates/s, p50/p99, non-2xx, the ratio to hello world, and what was stored; the target is ≥ 500/s,
reported, not enforced.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's packages (the bench folder, first as the script's own, stays)
WORK = Path("/tmp/fairweigh-bench")
FAIRWEIGH = Path(sys.executable).parent / "fairweigh"
TARGET = 500.0  # updates per second
TOKEN = "4242:bench-token"
SECRET = "bench-webhook-secret"
STEPS = ("今天在南门市场买了两斤猪肉，回家一称只有一斤六两，老板的秤肯定有问题，我要求退钱",
         "秤上的数字都不让我看", "好了", "南门农贸市场12号摊", "昨天下午", "付了40元买2斤，只有1.6斤", "没有照片",
         "王芳", "13800138000", "提交")  # fmt: skip


import wrk_runs as bench  # noqa: E402  (servers pinned to core 0, wrk output)

OUT: Path = bench.OUT

LUA = """-- wrk <url> -s telegram.lua -- STEPS_FILE OFFSET USERS: POST /bot/telegram, a message update each time, from
-- chat OFFSET + n % USERS, its text the chat's next dialogue step; update_ids never repeat within a run.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local steps, sent, offset, users = {}, 0, 0, 1000
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then steps[#steps + 1] = line end
  end
  offset = tonumber(args[2]) + thread_number * 100000000
  users = tonumber(args[3])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = "@SECRET@"
end

function request()
  local n = sent
  sent = sent + 1
  local chat = offset + n % users
  local text = steps[math.floor(n / users) % #steps + 1]
  local body = string.format('{"update_id":%d,"message":{"message_id":%d,"date":1795400000,' ..
    '"chat":{"id":%d,"type":"private","first_name":"B"},"from":{"id":%d,"is_bot":false,"first_name":"B",' ..
    '"language_code":"zh-hans"},"text":"%s"}}', offset + n, n + 1, chat, chat, text)
  return wrk.format(nil, "/bot/telegram", nil, body)
end
""".replace("@SECRET@", SECRET)


@contextlib.contextmanager
def fake_api(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """The fake Bot API on core 1 (with wrk): the server under test keeps core 0 to itself."""
    argv = ["taskset", "-c", "1", sys.executable, str(ROOT / "tests" / "fake_telegram.py"), str(port), TOKEN]
    with (OUT / "fake-telegram.log").open("wb") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        try:
            for _ in range(100):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", timeout=2).read()
                    break
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            process.wait(10)


def wrk_updates(base: str, seconds: float, connections: int, steps: Path, offset: int, users: int) -> dict[str, Any]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
               "-s", str(OUT / "telegram.lua"), f"{base}/", "--", str(steps), str(offset), str(users)]  # fmt: skip
    result: dict[str, Any] = bench.parse_wrk(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return result


def check_one(base: str) -> None:
    """One update by hand before measuring: answered 200, and refused without the secret."""
    update = {"update_id": 1, "message": {"message_id": 1, "date": 1795400000, "text": "你好",
                                          "chat": {"id": 1, "type": "private", "first_name": "B"}}}  # fmt: skip
    body = json.dumps(update).encode()
    for secret, expected in ((SECRET, 200), ("wrong", 403)):
        request = urllib.request.Request(f"{base}/bot/telegram", data=body, method="POST", headers={
            "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})  # fmt: skip
        try:
            status = urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == expected, f"{secret}: {status}"


def stored(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return {
            "updates": connection.execute("SELECT count(*) FROM inbound_message").fetchone()[0],
            "chats": connection.execute("SELECT count(*) FROM dialogue_state").fetchone()[0],
            "cases": connection.execute("SELECT count(*) FROM complaint WHERE channel = 'telegram'").fetchone()[0],
            "replies_waiting": connection.execute("SELECT count(*) FROM outbox WHERE kind = 'chat_reply'").fetchone()[
                0
            ],
        }


def measure_webhook(args: argparse.Namespace) -> dict[str, Any]:
    db = WORK / "telegram.db"
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    api_port, port = bench.free_port(), bench.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UPSTREAM_", "FAIRWEIGH_", "TELEGRAM_"))}
    env |= {"DATABASE_URL": f"sqlite:///{db}", "PUBLIC_BASE_URL": "https://fairweigh.example.cn",
            "FAIRWEIGH_SECRET": "bench-only-secret-not-for-production-use-0123456789", "FAIRWEIGH_ACCESS_LOG": "0",
            "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{api_port}"}  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    steps = OUT / "telegram-steps.txt"
    steps.write_text("".join(f"{step}\n" for step in STEPS), encoding="utf-8")
    print("telegram webhook on SQLite (fairweigh serve --demo, fake Bot API)", flush=True)
    with fake_api(api_port), bench.server("telegram", [str(FAIRWEIGH), "serve", "--demo", "--port", str(port)],
                                          env, f"{base}/healthz"):  # fmt: skip
        check_one(base)
        warm_up = min(5, args.duration)
        print(f"  warm-up {warm_up} s, then {args.duration} s", flush=True)
        wrk_updates(base, warm_up, args.connections, steps, 1_000_000, args.users)
        before = stored(db)
        result = wrk_updates(base, args.duration, args.connections, steps, 2_000_000, args.users)
    after = stored(db)
    return {"label": "telegram webhook", **result, "users": args.users,
            "stored_during_run": {key: after[key] - before[key] for key in after}, "stored_after": after}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--users", type=int, default=1000, help="private chats the updates come from")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "telegram.lua").write_text(LUA)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers' finally blocks run
    results = [bench.measure_hello(args)]
    results.append(measure_webhook(args))

    hello, webhook = results
    ratio = webhook["requests_per_second"] / hello["requests_per_second"]
    print(f"\n{'':18} {'req/s':>9} {'× hello':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}")
    for row in results:
        times = row["requests_per_second"] / hello["requests_per_second"]
        print(
            f"{row['label']:18} {row['requests_per_second']:9.0f} {times:8.3f} {row['p50_ms']:8.2f} "
            f"{row['p99_ms']:8.2f} {row['non_2xx']:8d} {row['socket_errors']:7d}"
        )
    met = webhook["requests_per_second"] >= TARGET
    print(f"target: ≥ {TARGET:.0f} updates/s on SQLite: {'met' if met else 'MISSED'} (reported, not enforced)")
    during = webhook["stored_during_run"]
    print(
        f"stored during the measured run: {during['updates']:,} updates, {during['chats']:,} new chats, "
        f"{during['cases']:,} cases submitted; answers left waiting in the outbox: {during['replies_waiting']}"
    )
    report = {"duration_s": args.duration, "connections": args.connections, "target_per_s": TARGET, "ratio": ratio,
              "meets_target": met, "results": results, "python": platform.python_version(),
              "sqlite": sqlite3.sqlite_version, "cpu": bench.cpu_model()}  # fmt: skip
    bench.save_report("telegram_webhook.json", report)


if __name__ == "__main__":
    bench.run_main(main)
