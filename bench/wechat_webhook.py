"""WeChat webhook messages/s (POST /bot/wechat: checked, parsed, one dialogue turn stored, passive reply), plain and
safe (AES) mode, next to aiohttp's hello world (wrk).

`python bench/wechat_webhook.py [--duration S] [--connections C] [--users N]`

`fairweigh serve --demo` on a new SQLite file with the official account configured, one process pinned to core 0,
wrk pinned to core 1 (bench/wrk_runs.py). wrk cannot compute WeChat's SHA-1 signatures or AES, so every
request is signed beforehand, as WeChat signs it, and wrk sends them in order: each a new MsgId, from `--users`
followers in turn (each follower's messages far apart, and well under the flood limit), each a sentence of the
shopper's account (greeting, then "noted" answers). The timestamps are taken just before each run (WeChat's
replay window is five minutes). Target: ≥ 500 messages/s per process; reported, not enforced.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/fairweigh-bench")
FAIRWEIGH = Path(sys.executable).parent / "fairweigh"
TARGET = 500.0
TOKEN, APP_ID = "bench-wechat-token", "wxbench0123456789"
AES_KEY = base64.b64encode(hashlib.sha256(b"bench").digest()).decode().rstrip("=")
SENTENCES = (
    "今天早上在东门菜市场买了两斤五花肉",
    "回家用自己的秤一称只有一斤七两",
    "老板的电子秤好像被动过手脚",
    "我付了五十六块钱",
    "要求退钱并且查一查这台秤",
)
LUA = """-- wrk <url> -s wechat.lua -- REQUESTS_FILE: POST each line (path?query TAB body) once, in order.
local requests, sent = {}, 0
function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\\t", 1, true)
    if tab then requests[#requests + 1] = {line:sub(1, tab - 1), line:sub(tab + 1)} end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/xml"
end

function request()
  sent = sent + 1
  local entry = requests[(sent - 1) % #requests + 1]
  return wrk.format(nil, entry[1], nil, entry[2])
end
"""


import wrk_runs as bench  # noqa: E402  (servers pinned to core 0, wrk output)

OUT: Path = bench.OUT


def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_requests(count: int, users: int, *, safe: bool, first_id: int) -> list[str]:
    """`count` pushes as WeChat's servers send them, stamped now: "path?query<TAB>body" per line."""
    from wechatpy.crypto import PrpCrypto

    crypto = PrpCrypto(base64.b64decode(AES_KEY + "="))
    stamp = str(int(time.time()))
    lines = []
    for n in range(count):
        openid = f"oBench{n % users:022d}"
        xml = (
            f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{SENTENCES[(n // users) % len(SENTENCES)]}]]></Content>"
            f"<MsgId>{first_id + n}</MsgId></xml>"
        )
        nonce = str(100_000 + n)
        query = {"signature": _sha1(TOKEN, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": openid}
        if safe:
            encrypted = crypto.encrypt(xml, APP_ID).decode()
            query |= {"encrypt_type": "aes", "msg_signature": _sha1(TOKEN, stamp, nonce, encrypted)}
            xml = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        lines.append(f"/bot/wechat?{urllib.parse.urlencode(query)}\t{xml}")
    return lines


def check_one(base: str, line: str) -> str:
    path, body = line.split("\t", 1)
    request = urllib.request.Request(f"{base}{path}", data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = str(response.read().decode())
    assert answer.startswith("<xml>"), answer
    return answer


def inbound_count(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return int(connection.execute("SELECT count(*) FROM inbound_message").fetchone()[0])


def run_wrk(base: str, seconds: int, connections: int, requests_file: Path) -> dict[str, Any]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
               "-s", str(OUT / "wechat.lua"), f"{base}/", "--", str(requests_file)]  # fmt: skip
    result: dict[str, Any] = bench.parse_wrk(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return result


def measure_mode(base: str, db: Path, safe: bool, args: argparse.Namespace, first_id: int) -> dict[str, Any]:
    label = f"wechat {'aes' if safe else 'plain'}"
    print(f"  {label}: signing {args.requests:,} pushes", flush=True)
    lines = signed_requests(args.requests, args.users, safe=safe, first_id=first_id)
    requests_file = OUT / f"wechat-{'aes' if safe else 'plain'}.txt"
    requests_file.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    check_one(base, lines[0])
    before = inbound_count(db)
    warm_up = min(3, args.duration)
    print(f"  {label}: warm-up {warm_up} s, then {args.duration} s", flush=True)
    # The warm-up has its own MsgIds: the measured run starts with messages the server has not seen.
    warm_lines = signed_requests(args.requests // 4, args.users, safe=safe, first_id=first_id + 10_000_000)
    warm_file = OUT / "wechat-warm.txt"
    warm_file.write_text("".join(f"{line}\n" for line in warm_lines), encoding="utf-8")
    run_wrk(base, warm_up, args.connections, warm_file)
    middle = inbound_count(db)
    result = run_wrk(base, args.duration, args.connections, requests_file)
    after = inbound_count(db)
    repeats = max(result["requests"] - len(lines), 0)
    return {"label": label, **result, "messages_stored": after - middle, "stored_before": before, "repeats": repeats}


def serve_and_measure(safe: bool, args: argparse.Namespace) -> dict[str, Any]:
    db = WORK / "wechat.db"
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UPSTREAM_", "FAIRWEIGH_", "WECHAT_", "TELEGRAM_"))}
    env |= {"DATABASE_URL": f"sqlite:///{db}", "PUBLIC_BASE_URL": "https://fairweigh.example.cn",
            "FAIRWEIGH_SECRET": "bench-only-secret-not-for-production-use-0123456789", "FAIRWEIGH_ACCESS_LOG": "0",
            "WECHAT_APP_ID": APP_ID, "WECHAT_TOKEN": TOKEN, "WECHAT_AES_KEY": AES_KEY}  # fmt: skip
    port = bench.free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"wechat webhook ({'aes' if safe else 'plain'}) on a new SQLite file (fairweigh serve --demo)", flush=True)
    argv = [str(FAIRWEIGH), "serve", "--demo", "--port", str(port)]
    with bench.server(f"wechat-{'aes' if safe else 'plain'}", argv, env, f"{base}/healthz"):
        return measure_mode(base, db, safe, args, first_id=1_000_000_000)


def adapter_alone(count: int = 2000) -> dict[str, float]:
    """The adapter's own share, in this process: check, decrypt and parse a push, render and encrypt a reply."""
    sys.path.insert(0, str(ROOT))
    from bot.catalogue import catalogue
    from bot.channels.wechat import WeChatWebhook, render
    from bot.conversation import Button, Reply

    webhook = WeChatWebhook(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY)
    answer = [Reply("记下了。说完了请点「说完了」或回复「好了」。", ((Button("说完了", data="done"),),))]
    rates = {}
    for safe in (False, True):
        pushes = [line.split("\t", 1) for line in signed_requests(count, 100, safe=safe, first_id=1)]
        start = time.perf_counter()
        for path, body in pushes:
            query = dict(urllib.parse.parse_qsl(path.split("?", 1)[1]))
            now = time.time()
            webhook.check(query, now=now)
            inbound = webhook.read(query, body.encode())
            webhook.reply(inbound, render(answer, catalogue("zh")), now=now)
        rates["aes" if safe else "plain"] = count / (time.perf_counter() - start)
    return rates


def dialogue_alone(count: int, users: int) -> float:
    """The dialogue core's messages/s without HTTP or WeChat (DialogueService.handle in this process, 64 at once,
    on a new SQLite file): the ceiling of any channel's webhook on this machine."""
    sys.path.insert(0, str(ROOT))
    import asyncio

    from aiohttp.test_utils import TestServer

    from bot.conversation import Event, EventKind
    from web.app import create_app
    from web.db import create_engine, upgrade
    from web.keys import DIALOGUE
    from web.settings import Settings

    db = WORK / "wechat-core.db"
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)

    async def run() -> float:
        engine = create_engine(f"sqlite+aiosqlite:///{db}")
        await upgrade(engine)
        await engine.dispose()
        settings = Settings(database_url=f"sqlite:///{db}", fairweigh_secret="bench-only-secret-" + "x" * 40)
        app = create_app(settings)
        async with TestServer(app):  # runs the app's startup: engine, intake, dialogue service
            service, gate = app[DIALOGUE], asyncio.Semaphore(64)

            async def one(n: int) -> None:
                text = SENTENCES[(n // users) % len(SENTENCES)]
                event = Event("wechat", f"oCore{n % users:022d}", f"core-{n}", EventKind.text, text)
                async with gate:
                    await service.handle(event)

            await asyncio.gather(*(one(n) for n in range(count // 4)))  # warm-up
            start = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(count // 4, count + count // 4)))
            return count / (time.perf_counter() - start)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--users", type=int, default=5000, help="followers the pushes come from, in turn")
    parser.add_argument("--requests", type=int, default=40_000, help="pushes signed per run (more than it sends)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "wechat.lua").write_text(LUA)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers' finally blocks run

    results = [bench.measure_hello(args)]

    for safe in (False, True):  # each mode on a new database, so neither inherits the other's followers
        results.append(serve_and_measure(safe, args))
    adapter = adapter_alone()
    print("the dialogue core alone (DialogueService.handle in-process)", flush=True)
    core = dialogue_alone(3000, args.users)

    hello = results[0]["requests_per_second"]
    print(f"\n{'':14} {'req/s':>9} {'× hello':>8} {'p50 ms':>8} {'p99 ms':>8} {'stored':>8}  target ≥ {TARGET:g}/s")
    for row in results:
        row["ratio"] = row["requests_per_second"] / hello
        webhook = row is not results[0]
        row["meets_target"] = row["requests_per_second"] >= TARGET if webhook else None
        verdict = ("met" if row["meets_target"] else "MISSED") if webhook else ""
        stored = f"{row['messages_stored']:8,}" if webhook else f"{'':8}"
        print(f"{row['label']:14} {row['requests_per_second']:9.0f} {row['ratio']:8.3f} {row['p50_ms']:8.2f} "
              f"{row['p99_ms']:8.2f} {stored}  {verdict}")  # fmt: skip
    print(f"aes / plain: {results[2]['requests_per_second'] / results[1]['requests_per_second']:.3f}")
    print(f"the adapter alone (no dialogue, no HTTP), one core: plain {adapter['plain']:,.0f}/s, "
          f"aes {adapter['aes']:,.0f}/s")  # fmt: skip
    print(f"the dialogue core alone (DialogueService.handle, no HTTP, no WeChat): {core:,.0f}/s "
          f"(plain webhook = {results[1]['requests_per_second'] / core:.2f} × core)")  # fmt: skip
    for row in results[1:]:
        if row["repeats"]:
            print(f"{row['label']}: {row['repeats']:,} requests were repeats (answered from the stored reply)")
    report = {
        "duration_s": args.duration, "connections": args.connections, "users": args.users, "target_per_s": TARGET,
        "results": results, "adapter_alone_per_s": adapter, "core_alone_per_s": core,
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cpu": bench.cpu_model(),
    }  # fmt: skip
    bench.save_report("wechat_webhook.json", report)


if __name__ == "__main__":
    bench.run_main(main)
