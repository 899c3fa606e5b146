"""Intake requests/s (POST /api/v1/complaints: classified, routed, persisted), next to aiohttp's hello world (wrk).

`python bench/intake.py [--duration S] [--connections C] [--postgres URL]`

The embedded default: `fairweigh serve --demo` on a new SQLite file (the demo district's 290 instruments);
with --postgres the same again on that database (its fairweigh tables are dropped first: never the suite's
`test`). Each server is one process pinned to core 0, wrk to core 1 (same helpers as bench/scan_http.py). Every
request POSTs one of a few hundred messages in turn, some sent from a demo sticker (with its code), most with
a name and a phone number no other request of the run uses (so the duplicate check merges none), the rest
anonymous. Prints req/s, p50/p99, non-2xx, the ratio to hello world and the cases stored; the target is
≥ 0.15 × hello world, reported, not enforced. The classifier's own messages/s is bench/classify.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's packages, for the table names dropped on PostgreSQL
WORK = Path("/tmp/fairweigh-bench")
FAIRWEIGH = Path(sys.executable).parent / "fairweigh"  # the venv's console script, next to its python
TARGET_RATIO = 0.15
MESSAGES = 400
PHONE = "@PHONE@"  # replaced by the Lua script with a number of its own for every request


import wrk_runs as bench  # noqa: E402  (servers pinned to core 0, wrk output)

OUT: Path = bench.OUT

LUA = f"""-- wrk <url> -s intake.lua -- BODIES_FILE OFFSET: POST /api/v1/complaints with each line of BODIES_FILE in
-- turn; "{PHONE}" in a line becomes a mobile number no other request of the run uses (OFFSET separates runs).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local bodies, sent, offset = {{}}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  offset = tonumber(args[2]) + thread_number * 10000000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local body = bodies[(sent - 1) % #bodies + 1]
  body = body:gsub("{PHONE}", string.format("13%09d", offset + sent))
  return wrk.format(nil, "/api/v1/complaints", nil, body)
end
"""

GOODS = ("带鱼", "五花肉", "排骨", "牛腱子", "草莓", "荔枝", "基围虾", "大闸蟹", "冬笋", "板栗", "鲈鱼", "羊排", "鸡蛋")
WHEN = ("今天早上", "昨天下午", "周六上午", "前天晚上", "上周日", "刚才", "今天中午", "昨天傍晚")
PLACES = ("火车站", "五一广场", "东街口", "省立医院", "机场", "大学城", "西湖公园", "南门兜")
PACKS = ("挂面", "大米", "白砂糖", "洗衣粉", "茶叶", "坚果礼盒", "奶粉")
# (needs a sticker's merchant, template): what shoppers send, from a sticker or typed into the form.
TEMPLATES = (
    (True, "{when}在{merchant}买了{n}斤{good}，回家用电子秤一称只有{got}，少了{short}两，要求退钱。"),
    (True, "{merchant}的秤有问题，{when}买{n}斤{good}少了{short}两，去公平秤复称才发现，老板还不认账，要求赔偿"),
    (True, "扫了{merchant}秤上的码，显示检定已经过期了，这秤还能用吗？{when}在他家买了{n}斤{good}"),
    (True, "{merchant}称{good}的时候连塑料筐一起称，筐子都有{short}两重，按{good}的价钱算，必须退钱道歉"),
    (True, "{merchant}老板人很好，{when}自己发现少称了{short}两，主动补给我了，给他点个赞"),
    (False, "{market}{stall}的秤被动过手脚，{when}我买{n}斤{good}足足少了{short}两，请你们严查处罚。"),
    (False, "{when}在{place}旁边的加油站加了{yuan}元的92号汽油，油表才动了一格，怀疑加油机有问题，要求赔偿。"),
    (False, "{when}打车从{place}到{market}，平时{usual}块左右，这次计价器跳到{paid}块，要求退还多收的钱。"),
    (False, "{market}{stall}用的秤上没有检定合格的标签，{when}问老板说不用检，请问这种秤还能用吗？"),
    (False, "{when}在超市买了一袋标注{net}克的{pack}，回家连袋子称只有{net_got}克，净含量不够，要求退货。"),
    (False, "家里的水表上个月走了{tons}吨，平时一个月才{usual_tons}吨，{when}没人用水表也在转，要求重新检测。"),
    (False, "上个月投诉过{market}卖{good}的缺秤，监管所{days}天就处理好了，老板当面退了钱，谢谢你们。"),
)


def request_bodies(codes: list[dict[str, Any]], count: int, seed: int = 20261123) -> list[str]:
    """`count` different JSON bodies: a third from a demo sticker, most with a name and a fresh phone number."""
    rng = random.Random(seed)
    scales = [entry for entry in codes if entry["kind"] == "price_scale"]
    markets = sorted({entry["market"] for entry in codes if entry["market"]})
    bodies: dict[str, None] = {}
    while len(bodies) < count:
        from_sticker, template = rng.choice(TEMPLATES)
        instrument = rng.choice(scales)
        n, short, usual, net = rng.choice((1, 1.5, 2, 3, 4, 5, 8)), rng.randint(1, 5), rng.randint(12, 45), 500
        got = round(n * 10) - short
        text = template.format(
            when=rng.choice(WHEN), merchant=instrument["merchant"], market=rng.choice(markets), good=rng.choice(GOODS),
            stall=f"{rng.randint(1, 60)}号摊位", place=rng.choice(PLACES), pack=rng.choice(PACKS), n=f"{n:g}",
            short=short, got=f"{got // 10}斤{got % 10}两".removeprefix("0斤"), yuan=rng.choice((100, 200, 300)),
            usual=usual, paid=usual + rng.randint(15, 60), net=net, net_got=net - rng.randint(15, 90),
            tons=rng.randint(18, 60), usual_tons=rng.randint(4, 12), days=rng.randint(2, 9),
        )  # fmt: skip
        body: dict[str, Any] = {"text": text, "channel": rng.choice(("web", "api"))}
        if from_sticker:
            body["code"] = instrument["code"]
        if rng.random() < 0.75:
            body["contact"] = {"name": f"{rng.choice('王李张刘陈杨黄赵吴周林郑')}{rng.choice(('女士', '先生'))}",
                               "phone": PHONE}  # fmt: skip
            body["consent"] = rng.random() < 0.7
        bodies[json.dumps(body, ensure_ascii=False)] = None
    return list(bodies)


def fresh_database(postgres: str | None) -> str:
    """DATABASE_URL of an empty database: a new SQLite file, or PostgreSQL with its fairweigh tables dropped."""
    if postgres is None:
        db = WORK / "intake.db"
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        return f"sqlite:///{db}"
    asyncio.run(_drop_tables(postgres))
    return postgres


async def _drop_tables(url: str) -> None:
    import asyncpg
    from sqlmodel import SQLModel

    import web.tables  # noqa: F401  (puts every table of the service on SQLModel.metadata)

    tables = [table.name for table in SQLModel.metadata.sorted_tables] + ["alembic_version"]
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE")
    finally:
        await connection.close()


def count(url: str, sql: str) -> int:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            return int(connection.execute(sql).fetchone()[0])

    async def query() -> int:
        import asyncpg

        connection = await asyncpg.connect(url)
        try:
            return int(await connection.fetchval(sql))
        finally:
            await connection.close()

    return asyncio.run(query())


def stored(url: str) -> dict[str, int]:
    return {
        "cases": count(url, "SELECT count(*) FROM complaint"),
        # A report split from a complaint is written after it (higher id) and links back to it.
        "messages": count(url, "SELECT count(*) FROM complaint WHERE linked_id IS NULL OR linked_id > id"),
        "events": count(url, "SELECT count(*) FROM complaintevent"),
        "duplicates": count(url, "SELECT count(*) FROM complaintevent WHERE action = 'duplicate_received'"),
        "outbox": count(url, "SELECT count(*) FROM outbox"),
    }


def wrk_intake(url: str, seconds: float, connections: int, bodies: Path, offset: int) -> dict[str, Any]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
               "-s", str(OUT / "intake.lua"), url, "--", str(bodies), str(offset)]  # fmt: skip
    result: dict[str, Any] = bench.parse_wrk(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    return result


def check_one(base: str, body: str) -> dict[str, Any]:
    """One request by hand before measuring: it must be stored (201) with a reference."""
    data = body.replace(PHONE, "13999999999").encode()
    request = urllib.request.Request(f"{base}/api/v1/complaints", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        assert response.status == 201, f"{response.status}: {answer}"
        assert answer.get("ref"), answer
    return answer


def measure_intake(database: str, postgres: str | None, args: argparse.Namespace) -> dict[str, Any]:
    url = fresh_database(postgres)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UPSTREAM_", "FAIRWEIGH_"))}
    env |= {"DATABASE_URL": url, "PUBLIC_BASE_URL": "https://fairweigh.example.cn", "FAIRWEIGH_ACCESS_LOG": "0",
            "FAIRWEIGH_SECRET": "bench-only-secret-not-for-production-use-0123456789"}  # fmt: skip
    port = bench.free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"intake on {database} (fairweigh serve --demo)", flush=True)
    argv = [str(FAIRWEIGH), "serve", "--demo", "--port", str(port)]
    with bench.server(f"intake-{database.lower()}", argv, env, f"{base}/healthz"):
        listing = subprocess.run([FAIRWEIGH, "codes", "--format", "json"], env=env, check=True, capture_output=True)
        codes = json.loads(listing.stdout)
        bodies = OUT / "intake-bodies.jsonl"
        lines = request_bodies(codes, MESSAGES)
        bodies.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        check_one(base, lines[0])
        before = stored(url)
        warm_up = min(5, args.duration)
        print(f"  warm-up {warm_up} s, then {args.duration} s", flush=True)
        warm = wrk_intake(f"{base}/", warm_up, args.connections, bodies, 100_000_000)
        after_warm_up = stored(url)
        result = wrk_intake(f"{base}/", args.duration, args.connections, bodies, 200_000_000)
    after = stored(url)  # the server has stopped: whatever it acknowledged is on disk
    answered = result["requests"] - result["non_2xx"]
    return {
        "label": f"intake {database}",
        **result,
        "database_url": url.split("@")[-1],
        "codes_in_demo": len(codes),
        "messages_in_rotation": len(lines),
        "warm_up": {key: warm[key] for key in ("requests", "requests_per_second", "non_2xx", "socket_errors")},
        "stored_before": before,
        "stored_after": after,
        "stored_during_run": {key: after[key] - after_warm_up[key] for key in after},
        "answered_2xx": answered,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--postgres", metavar="URL", help="also on PostgreSQL, e.g. postgresql://…/fairweigh_bench")
    args = parser.parse_args()
    if args.postgres and args.postgres.rstrip("/").rsplit("/", 1)[-1].split("?")[0] == "test":
        raise SystemExit("refusing the `test` database: the test suite owns it (create fairweigh_bench instead)")
    WORK.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "intake.lua").write_text(LUA)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers' finally blocks run

    results = [bench.measure_hello(args)]
    results.append(measure_intake("SQLite", None, args))
    if args.postgres:
        results.append(measure_intake("PostgreSQL", args.postgres, args))

    hello = results[0]["requests_per_second"]
    header = f"{'req/s':>9} {'× hello':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}  target"
    print(f"\n{'':20} {header}")
    for row in results:
        row["ratio"] = row["requests_per_second"] / hello
        intake = row is not results[0]
        row["meets_target"] = row["ratio"] >= TARGET_RATIO if intake else None
        verdict = ("met" if row["meets_target"] else "MISSED") if intake else ""
        print(f"{row['label']:20} {row['requests_per_second']:9.0f} {row['ratio']:8.3f} {row['p50_ms']:8.2f} "
              f"{row['p99_ms']:8.2f} {row['non_2xx']:8d} {row['socket_errors']:7d}  {verdict}")  # fmt: skip
    print(f"target: ≥ {TARGET_RATIO} × hello world at {args.connections} connections (reported, not enforced)")
    for row in results[1:]:
        during, total = row["stored_during_run"], row["stored_after"]
        print(f"{row['label']}: {row['answered_2xx']:,} answered 2xx in the measured run, {during['messages']:,} "
              f"messages stored meanwhile ({during['cases']:,} cases with split reports, {during['outbox']:,} "
              f"outbox rows); {total['cases']:,} cases in the database, {total['duplicates']} merged as "
              f"duplicates")  # fmt: skip
    report = {
        "duration_s": args.duration, "connections": args.connections, "target": {"ratio": TARGET_RATIO},
        "results": results, "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "cpu": bench.cpu_model(),
    }  # fmt: skip
    bench.save_report("intake.json", report)


if __name__ == "__main__":
    bench.run_main(main)
