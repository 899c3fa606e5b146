"""A server killed in the middle of a burst of complaints keeps every case it acknowledged, and each one whole.

`fairweigh serve` runs as a real process; 200 complaints arrive at once and the process group gets SIGKILL once
about a quarter of them have been answered. The server is then started again on the same database, and every
201 is checked through the API and in the tables, as is every case stored whose answer was lost on the way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint, ComplaintContact, ComplaintEvent, OutboxMessage, ReferenceCounter
from lookup.models import table_of

ROOT = Path(__file__).resolve().parents[1]
BURST = 200
KILL_AFTER = 50  # answers received before the kill
PUBLIC_BASE_URL = "http://fairweigh.test"
complaint_t, contact_t, event_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintEvent)
outbox_t, counter_t = table_of(OutboxMessage), table_of(ReferenceCounter)

MARKETS = ("南门农贸市场", "东街菜市场", "西湖水产市场", "南门菜场", "北门菜市场", "城西农贸市场")
VENDORS = ("门口第三家", "卖鱼的阿姨", "张记水产", "最里面那个摊位", "水果摊老板", "靠厕所那家", "新来的摊主")
GOODS = ("带鱼", "五花肉", "排骨", "牛腱子", "草莓", "荔枝", "基围虾", "大闸蟹", "冬笋", "板栗", "鲈鱼", "羊排")
WHEN = ("今天早上", "昨天下午", "周六上午", "前天晚上", "上周日", "刚才", "今天中午", "昨天傍晚")
PLACES = ("火车站", "五一广场", "东街口", "省立医院", "机场", "大学城", "西湖公园", "南门兜")
PACKS = ("挂面", "大米", "白砂糖", "洗衣粉", "茶叶", "坚果礼盒", "奶粉")
TEMPLATES = (
    "{when}在{market}{vendor}买了{n}斤{good}，回家用电子秤一称只有{got}，少了{short}两，要求商家退钱。",
    "{market}{vendor}的秤被动过手脚，{when}我买{n}斤{good}足足少了{short}两，公平秤一复称就露馅了，请严查。",
    "{when}在{place}旁边的加油站加了{yuan}元的92号汽油，油表才动了一格，怀疑加油机有问题，要求赔偿。",
    "{when}打车从{place}到{market}，平时{usual}块左右，这次计价器跳到{paid}块，司机不给发票，要求退还多收的钱。",
    "{market}{vendor}用的秤上没有检定合格的标签，{when}问老板说不用检，请问这种秤还能继续用吗？",
    "上个月投诉过{market}卖{good}的缺秤，监管所{days}天就处理好了，老板当面退了钱，谢谢你们。",
    "{when}在超市买了一袋标注{net}克的{pack}，回家连袋子称只有{net_got}克，净含量明显不够，要求退货。",
    "家里的水表上个月走了{tons}吨，平时一个月才{usual_tons}吨左右，{when}家里没人用水表也在转，要求重新检测。",
)


def complaint_texts(count: int, seed: int) -> list[str]:
    """`count` different messages of the kinds shoppers send, in their words."""
    rng = random.Random(seed)
    texts: dict[str, None] = {}
    while len(texts) < count:
        n = rng.choice((1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10))
        short = rng.randint(1, 5)
        got_liang = round(n * 10) - short
        net = rng.choice((250, 400, 500, 1000, 2500))
        usual = rng.randint(12, 45)
        slots = {
            "when": rng.choice(WHEN), "market": rng.choice(MARKETS), "vendor": rng.choice(VENDORS),
            "good": rng.choice(GOODS), "place": rng.choice(PLACES), "pack": rng.choice(PACKS),
            "n": f"{n:g}", "short": short, "got": f"{got_liang // 10}斤{got_liang % 10}两".removeprefix("0斤"),
            "yuan": rng.choice((100, 150, 200, 250, 300)), "usual": usual, "paid": usual + rng.randint(15, 60),
            "days": rng.randint(2, 9), "net": net, "net_got": net - rng.randint(15, 90),
            "tons": rng.randint(18, 60), "usual_tons": rng.randint(4, 12),
        }  # fmt: skip
        texts[rng.choice(TEMPLATES).format(**slots)] = None
    return list(texts)


def burst_bodies(codes: dict[str, str]) -> list[dict[str, Any]]:
    """Distinct messages; most with a name and phone (each its own), some anonymous, some sent from a sticker."""
    bodies: list[dict[str, Any]] = []
    for n, text in enumerate(complaint_texts(BURST + 10, seed=20261123)):
        body: dict[str, Any] = {"text": text, "channel": "web" if n % 2 else "api"}
        if n % 4:
            name = f"{'王李张刘陈杨黄赵吴周林郑'[n % 12]}{'女士' if n % 3 else '先生'}"
            body["contact"] = {"name": name, "phone": f"139 {n // 10000:04d} {n % 10000:04d}"}
            body["consent"] = n % 3 != 0
        if n % 5 == 0:
            body["code"] = codes[("valid", "expired", "suspended")[n // 5 % 3]]
        bodies.append(body)
    return bodies


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)  # the server leads its own process group (start_new_session)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def kill(self) -> None:
        _stop(self.process, signal.SIGKILL)


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        "-c",
        "from web.cli.main import main; raise SystemExit(main())",
        "serve",
        "--port",
        str(port),
    ]
    with log.open("ab") as output:
        return subprocess.Popen(argv, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def tail(log: Path, chars: int = 6000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else "(no output)"


@contextlib.asynccontextmanager
async def running_server(session: aiohttp.ClientSession, database_url: str, log: Path) -> AsyncIterator[Server]:
    """`fairweigh serve` on a free port, answering /healthz; stopped (SIGTERM, then SIGKILL) however it ends."""
    port = _free_port()
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("FAIRWEIGH_", "UPSTREAM_"))}
    env = {
        **keep,
        "DATABASE_URL": database_url,  # the async URL as is: DATABASE_URL accepts sqlite+aiosqlite and +asyncpg
        "FAIRWEIGH_SECRET": "crash-test-secret-" + "z" * 32,
        "FAIRWEIGH_ENV": "test",
        "FAIRWEIGH_ACCESS_LOG": "0",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "PYTHONPATH": str(ROOT),
    }
    server = Server(start_server(port, env, log), f"http://127.0.0.1:{port}", log)
    process = server.process
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"the server exited with {process.returncode}:\n{tail(log)}"
            with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                async with session.get(f"{server.base}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        break
            assert time.monotonic() < deadline, f"no /healthz within 30 s:\n{tail(log)}"
            await asyncio.sleep(0.1)
        yield server
    finally:
        _stop(process, signal.SIGTERM)


@dataclass
class Outcome:
    body: dict[str, Any]
    status: int | None = None  # None: the connection failed (refused, reset, closed before an answer)
    answer: dict[str, Any] | None = None
    text: str = ""
    error: str = ""


async def fire(session: aiohttp.ClientSession, server: Server, bodies: list[dict[str, Any]]) -> list[Outcome]:
    """POST every body at once; SIGKILL the server when KILL_AFTER answers are in."""
    answered = 0

    async def one(body: dict[str, Any]) -> Outcome:
        nonlocal answered
        try:
            async with session.post(f"{server.base}/api/v1/complaints", json=body) as response:
                outcome = Outcome(body, response.status, text=await response.text())
        except (TimeoutError, aiohttp.ClientError) as exc:
            return Outcome(body, error=f"{type(exc).__name__}: {exc}")
        if outcome.status == 201:
            outcome.answer = json.loads(outcome.text)
        answered += 1
        if answered == KILL_AFTER:
            server.kill()
        return outcome

    return await asyncio.gather(*(one(body) for body in bodies))


def expected_phone(body: dict[str, Any]) -> str:
    return str(body.get("contact", {}).get("phone", "")).replace(" ", "")


async def stored_cases(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    """Every stored case by reference, with its contact, its events' actions and facts, and its outbox keys."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(
                complaint_t.c.id, complaint_t.c.ref, complaint_t.c.text, complaint_t.c.intent,
                complaint_t.c.category, complaint_t.c.linked_id, contact_t.c.complaint_id.label("contact_of"),
                contact_t.c.phone, contact_t.c.consent_to_contact,
            ).outerjoin(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
        )  # fmt: skip
        cases = {row.ref: {**row._mapping, "events": {}, "outbox": set()} for row in rows}
        by_id = {case["id"]: case for case in cases.values()}
        for complaint_id, action, facts in await connection.execute(
            sa.select(event_t.c.complaint_id, event_t.c.action, event_t.c.facts)
        ):
            by_id[complaint_id]["events"][action] = facts
        for complaint_id, key in await connection.execute(
            sa.select(outbox_t.c.complaint_id, outbox_t.c.idempotency_key)
        ):
            by_id[complaint_id]["outbox"].add(key)
    return cases


async def reference_counters(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.select(counter_t.c.day, counter_t.c.last))
        return {f"{day:%Y%m%d}": last for day, last in rows}


def check_whole(cases: dict[str, dict[str, Any]], sent: dict[str, dict[str, Any]]) -> None:
    """No half-written case: each has its contact and its events; a split report comes with its complaint."""
    by_id = {case["id"]: case for case in cases.values()}
    first_cases: list[str] = []
    for ref, case in cases.items():
        assert case["contact_of"] is not None, f"{ref}: stored without its contact row"
        assert {"received", "classified"} <= set(case["events"]), f"{ref}: events {sorted(case['events'])}"
        split_from = (case["events"]["received"] or {}).get("split_from")
        if split_from is not None:  # the report split from a complaint, in the same transaction
            assert by_id[split_from]["linked_id"] == case["id"], f"{ref}: its complaint does not link back"
            assert case["text"] == by_id[split_from]["text"]
            continue
        first_cases.append(case["text"])
        body = sent.get(case["text"])
        assert body is not None, f"{ref}: a stored text nobody sent: {case['text']!r}"
        assert case["phone"] == expected_phone(body), f"{ref}: contact {case['phone']!r} for {body}"
        if body.get("contact") and body.get("consent"):
            assert f"{ref}:received" in case["outbox"], f"{ref}: no acknowledgement queued in the outbox"
        if case["linked_id"] is not None:
            linked = by_id[case["linked_id"]]
            assert (linked["events"]["received"] or {}).get("split_from") == case["id"], f"{ref}: half a split"
    assert len(first_cases) == len(set(first_cases)), "a message was stored twice"


def check_references(cases: dict[str, dict[str, Any]], counters: dict[str, int]) -> None:
    """Each day's counter is at (or past) the highest number it gave out, so nothing will be given out twice."""
    numbers: dict[str, list[int]] = {}
    for ref in cases:
        day, number = ref.removeprefix("JL").split("-")
        numbers.setdefault(day, []).append(int(number))
    for day, issued in numbers.items():
        assert len(issued) == len(set(issued))
        assert counters.get(day, 0) >= max(issued), f"{day}: counter {counters.get(day)} behind {max(issued)}"


@contextlib.contextmanager
def logs_on_failure(*logs: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        for log in logs:  # captured by pytest: shown only with the failure
            print(f"--- {log.name} (last 6000 characters) ---\n{tail(log)}")
        raise


async def test_a_server_killed_mid_burst_keeps_every_acknowledged_case_whole(
    database_url: str, engine: AsyncEngine, codes: dict[str, str], tmp_path: Path
) -> None:
    bodies = burst_bodies(codes)
    burst, after_restart = bodies[:BURST], bodies[BURST:]
    sent = {body["text"]: body for body in bodies}
    first_log, second_log = tmp_path / "serve-1.log", tmp_path / "serve-2.log"
    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # every request on its own connection, all at once
    timeout = aiohttp.ClientTimeout(total=30)
    with logs_on_failure(first_log, second_log):
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            async with running_server(session, database_url, first_log) as server:
                outcomes = await fire(session, server, burst)
                assert server.process.poll() == -signal.SIGKILL, "the server was not killed"

            answered = [o for o in outcomes if o.status is not None]
            failed = [o for o in outcomes if o.status is None]
            unexpected = [(o.status, o.text[:300]) for o in answered if o.status != 201]
            assert not unexpected, f"answers other than 201 Created: {unexpected[:5]}"
            acknowledged = [o for o in answered if o.answer and o.answer.get("ref") and o.answer.get("token")]
            assert len(acknowledged) == len(answered), "a 201 without ref and token"
            assert len(answered) >= KILL_AFTER
            # Proof that the kill landed mid-burst: otherwise this test could not fail.
            assert failed, f"all {BURST} requests were answered: the kill came too late"

            cases = await stored_cases(engine)
            check_whole(cases, sent)
            check_references(cases, await reference_counters(engine))
            for outcome in acknowledged:
                assert outcome.answer is not None
                case = cases.get(outcome.answer["ref"])
                assert case is not None, f"acknowledged but lost: {outcome.answer['ref']} {outcome.body}"
                assert case["text"] == outcome.body["text"]
                assert (case["intent"], case["category"]) == (outcome.answer["intent"], outcome.answer["category"])

            async with running_server(session, database_url, second_log) as server:

                async def read(outcome: Outcome) -> tuple[Outcome, int, dict[str, Any]]:
                    assert outcome.answer is not None
                    url = f"{server.base}/api/v1/complaints/{outcome.answer['ref']}"
                    async with session.get(url, params={"token": outcome.answer["token"]}) as response:
                        return outcome, response.status, await response.json()

                for outcome, status, case in await asyncio.gather(*(read(o) for o in acknowledged)):
                    assert outcome.answer is not None
                    assert status == 200, f"{outcome.answer['ref']}: HTTP {status} {case}"
                    assert case["ref"] == outcome.answer["ref"]
                    assert (case["intent"], case["category"]) == (outcome.answer["intent"], outcome.answer["category"])
                    assert "received" in [event["action"] for event in case["events"]]

                # New cases after the restart get fresh numbers, never one given out before the crash.
                fresh = []
                for body in after_restart:
                    async with session.post(f"{server.base}/api/v1/complaints", json=body) as response:
                        assert response.status == 201, await response.text()
                        fresh.append((await response.json())["ref"])
                assert len(set(fresh)) == len(fresh)
                assert not set(fresh) & set(cases), f"references given out twice: {set(fresh) & set(cases)}"

            after = await stored_cases(engine)
            assert set(cases) | set(fresh) <= set(after)
            check_whole(after, sent)
            check_references(after, await reference_counters(engine))
