"""Queue latency on 1,000,000 cases in PostgreSQL: list_cases (first and deep pages), counts and facets.

`python bench/queue_list.py [--postgres URL] [--cases N] [--stations S] [--calls C] [--refill] [--only RE] [--explain]`

Fills the database (default postgresql://postgres@127.0.0.1:5432/fairweigh_bench_queue, created when missing;
never the suite's `test`) with N cases over S stations, the district and general intake queues included, as
bench/queue_fill.py describes: texts from the hand-written complaints, two years of receipts, statuses by intent
and age, deadlines on the open ones only, the trigram index built by migrating to head over the full table. A
database already at head with N cases and S stations is reused (`--refill` fills it again).

Then each scenario (scope × filters × page depth, or a count) is called C times (default 300; 30 or 10 for
the slow searches of two-character words) after 10 warm-up calls, in process through `complaints.queue.listing`, one
pooled connection per call as a request would take. Scopes: the handler of the busiest station (about a tenth
of all cases), of the median station, and a supervisor who sees every station and the intake queues. It prints
p50/p95/p99/max against the target (p95 < 100 ms) and writes bench/out/queue.json. `--only RE` keeps the
scenarios whose name matches; `--explain` adds EXPLAIN (ANALYZE, BUFFERS) of each scenario's statements to
bench/out/queue-plans.txt.

The filling (`fill` in bench/queue_fill.py) and the scenarios (`scenarios`) are importable, and a scenario is
data: an HTTP mode against `GET /api/v1/queue` only needs another `Runner`.
"""

# ruff: noqa: E402  (the project goes on sys.path before its packages are imported)
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/queue_list.py`: the project's packages must be importable

import argparse
import asyncio
import json
import platform
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.queue.conditions import QueueFilter
from complaints.queue.listing import count_cases, facet_counts, list_cases
from complaints.scope import Scope
from complaints.workflow import CaseStatus
from web.db import create_engine

OUT = ROOT / "bench" / "out"
TARGET_P95_MS = 100.0
DEEP_ROWS = 10_000
WARM_UP = 10

# bench/queue_fill.py (bench/ is on sys.path when a bench script runs): the database the scenarios run on.
from queue_fill import DEFAULT_URL, async_url, corpus, database_name, describe, ensure_database, fill, is_filled


@dataclass(frozen=True)
class Scenario:
    """One measured call: a page of the queue (from `depth` rows in) or a count, for a viewer's scope."""

    name: str
    scope: Scope
    filters: QueueFilter = field(default_factory=QueueFilter)
    kind: str = "page"  # page, count, facets
    depth: int = 0  # rows before the page: its cursor is found by walking there once
    limit: int = 50
    calls: int | None = None  # fewer calls than the run's for a slow scenario


def scenarios(
    station_id: int, median_station_id: int, common: str, trigram: str, rare: str, rare_short: str
) -> list[Scenario]:
    """The busiest station's handler (a tenth of all cases), a median station's, and a supervisor who sees all."""
    station = Scope.station(station_id)
    median = Scope.station(median_station_id)
    everyone = Scope.everything()
    received = QueueFilter(status=CaseStatus.received)
    # Words of one or two characters have no trigrams: PostgreSQL filters while walking the deadline index, which
    # for a rare word means reading the whole scope (see the report); measured with fewer calls.
    slow = 30
    return [
        Scenario("station: first page", station),
        Scenario(f"station: page after {DEEP_ROWS:,} rows", station, depth=DEEP_ROWS),
        Scenario("station: status=received", station, received),
        Scenario("station: category=short_weight", station, QueueFilter(category="short_weight")),
        Scenario(f"station: text {common!r} (common, 2 chars)", station, QueueFilter(text=common)),
        Scenario(f"station: text {trigram!r} (common)", station, QueueFilter(text=trigram)),
        Scenario(f"station: text {rare!r} (rare)", station, QueueFilter(text=rare)),
        Scenario(f"station: text {rare_short!r} (rare, 2 chars)", station, QueueFilter(text=rare_short), calls=slow),
        Scenario("station: text '咖啡' (no case has it, 2 chars)", station, QueueFilter(text="咖啡"), calls=slow),
        Scenario("station: count_cases", station, kind="count"),
        Scenario("station: facet_counts", station, kind="facets"),
        Scenario("station: facet_counts, status=received", station, received, kind="facets"),
        Scenario("median station: first page", median),
        Scenario("median station: count_cases", median, kind="count"),
        Scenario("median station: facet_counts", median, kind="facets"),
        Scenario("supervisor: first page", everyone),
        Scenario(f"supervisor: page after {DEEP_ROWS:,} rows", everyone, depth=DEEP_ROWS),
        Scenario("supervisor: status=received", everyone, received),
        Scenario("supervisor: category=eyeglasses", everyone, QueueFilter(category="eyeglasses")),
        Scenario(f"supervisor: text {trigram!r} (common)", everyone, QueueFilter(text=trigram)),
        Scenario(f"supervisor: text {rare!r} (rare)", everyone, QueueFilter(text=rare)),
        Scenario(
            f"supervisor: text {rare_short!r} (rare, 2 chars)", everyone, QueueFilter(text=rare_short), calls=slow
        ),
        Scenario("supervisor: text '咖啡' (no case has it, 2 chars)", everyone, QueueFilter(text="咖啡"), calls=10),
        Scenario("supervisor: count_cases", everyone, kind="count"),
    ]


class Runner(Protocol):
    """Calls a scenario once; `prepare` returns the cursor a deep page starts from."""

    async def prepare(self, scenario: Scenario) -> str | None: ...

    async def call(self, scenario: Scenario, cursor: str | None) -> object: ...


class InProcess:
    """Through complaints.queue.listing on the engine's pool, one connection per call as a request would take."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def prepare(self, scenario: Scenario) -> str | None:
        cursor, walked = None, 0
        while walked < scenario.depth:
            async with self.engine.connect() as connection:
                step = min(500, scenario.depth - walked)
                page = await list_cases(connection, scenario.scope, scenario.filters, after=cursor, limit=step)
            if page.next_cursor is None:
                raise SystemExit(f"{scenario.name}: fewer than {scenario.depth} rows")
            cursor, walked = page.next_cursor, walked + len(page.rows)
        return cursor

    async def call(self, scenario: Scenario, cursor: str | None) -> object:
        async with self.engine.connect() as connection:
            if scenario.kind == "count":
                return await count_cases(connection, scenario.scope, scenario.filters)
            if scenario.kind == "facets":
                return await facet_counts(connection, scenario.scope, scenario.filters)
            return await list_cases(connection, scenario.scope, scenario.filters, after=cursor, limit=scenario.limit)


def percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(share * (len(sorted_ms) - 1)))]


async def measure(runner: Runner, scenario: Scenario, calls: int) -> dict[str, Any]:
    cursor = await runner.prepare(scenario)
    for _ in range(WARM_UP):
        result = await runner.call(scenario, cursor)
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        result = await runner.call(scenario, cursor)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = percentile(timings, 0.95)
    return {
        "name": scenario.name,
        "kind": scenario.kind,
        "calls": calls,
        "p50_ms": round(percentile(timings, 0.5), 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(percentile(timings, 0.99), 2),
        "max_ms": round(timings[-1], 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "result": summary(result),
        "meets_target": p95 < TARGET_P95_MS,
    }


def summary(result: object) -> str:
    if isinstance(result, int):
        return f"{result:,} cases"
    if isinstance(result, dict):
        return f"{sum(result['status'].values()):,} cases, {sum(len(v) for v in result.values())} values"
    rows = getattr(result, "rows", [])
    return f"{len(rows)} rows" + (f", first due {rows[0].due_on}" if rows else "")


async def explain(engine: AsyncEngine, runner: InProcess, scenario: Scenario) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement one call of the scenario runs."""
    cursor = await runner.prepare(scenario)
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await runner.call(scenario, cursor)
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", capture)
    lines = [f"=== {scenario.name}"]
    async with engine.connect() as connection:
        for statement, parameters in captured:
            lines.append(re.sub(r"\s+", " ", statement)[:600])
            lines.append(f"  parameters: {parameters}")
            plan = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            lines += [f"  {row[0]}" for row in plan]
    return "\n".join(lines)


def search_words() -> tuple[str, str, str, str]:
    """Words to search for, by how many texts of the corpus have them: a common two-character word, a common
    word of three characters, a rare one (in one text of the 400), and a rare two-character word."""
    texts = [text for _, _, text in corpus()]

    def share(word: str) -> int:
        return sum(word in text for text in texts)

    def rarest(words: tuple[str, ...]) -> str:
        return min((word for word in words if share(word)), key=share)

    common = max(("老板", "退钱", "眼镜", "少了"), key=share)
    trigram = max(("计价器", "出租车", "加油机", "电子秤"), key=share)
    return common, trigram, rarest(("燃气表", "充电桩", "血压计", "净含量")), rarest(("磅秤", "短秤", "气表", "水表"))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    await ensure_database(args.postgres)
    fill_report = None
    if args.refill or not await is_filled(args.postgres, args.cases, args.stations):
        print(f"filling {database_name(args.postgres)} with {args.cases:,} cases over {args.stations} stations …",
              flush=True)  # fmt: skip
        fill_report = await fill(args.postgres, cases=args.cases, stations=args.stations)
        print(f"  {fill_report}", flush=True)
    else:
        print(f"reusing {database_name(args.postgres)}: at head with {args.cases:,} cases (--refill fills it again)")
    described = await describe(args.postgres)
    print(f"  busiest station {described['busiest_station_id']}: {described['busiest_station_cases']:,} cases, "
          f"{described['busiest_station_pending']:,} pending; median station {described['median_station_id']}: "
          f"{described['median_station_cases']:,}; all pending {described['pending']:,}, "
          f"intake {described['intake']:,}; sizes MiB {described['megabytes']}", flush=True)  # fmt: skip

    engine = create_engine(async_url(args.postgres))
    runner = InProcess(engine)
    try:
        words = search_words()
        chosen = scenarios(described["busiest_station_id"], described["median_station_id"], *words)
        if args.only:
            chosen = [scenario for scenario in chosen if re.search(args.only, scenario.name)]
        results = []
        header = f"{'scenario':52} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  result"
        print(f"\n{header}", flush=True)
        for scenario in chosen:
            row = await measure(runner, scenario, min(args.calls, scenario.calls or args.calls))
            results.append(row)
            verdict = "" if row["meets_target"] else "  MISSED"
            print(f"{row['name']:52} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['p99_ms']:8.2f} "
                  f"{row['max_ms']:8.2f}  {row['result']}{verdict}", flush=True)  # fmt: skip
        print(f"target: p95 < {TARGET_P95_MS:.0f} ms for every scenario; "
              f"{'met' if all(r['meets_target'] for r in results) else 'MISSED'}")  # fmt: skip
        if args.explain:
            plans = [await explain(engine, runner, scenario) for scenario in chosen]
            (OUT / "queue-plans.txt").write_text("\n\n".join(plans) + "\n")
            print(f"wrote {OUT / 'queue-plans.txt'}")
    finally:
        await engine.dispose()
    return {
        "database": database_name(args.postgres),
        "fill": fill_report,
        "data": described,
        "search_words": dict(zip(("common_two_chars", "common", "rare", "rare_two_chars"), words, strict=True)),
        "calls": args.calls,
        "warm_up": WARM_UP,
        "target": {"p95_ms": TARGET_P95_MS},
        "results": results,
        "python": platform.python_version(),
        "cpu": cpu_model(),
    }


def cpu_model() -> str:
    found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    return found[1] if found else platform.processor()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_URL)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--calls", type=int, default=300, help="measured calls per scenario")
    parser.add_argument("--refill", action="store_true", help="fill the database again even when it is complete")
    parser.add_argument("--only", metavar="REGEX", help="only the scenarios whose name matches")
    parser.add_argument("--explain", action="store_true", help="write EXPLAIN ANALYZE of every scenario")
    args = parser.parse_args(argv)
    if database_name(args.postgres) == "test":
        raise SystemExit("refusing the `test` database: the test suite owns it (the default is fairweigh_bench_queue)")
    OUT.mkdir(parents=True, exist_ok=True)
    report = asyncio.run(run(args))
    (OUT / "queue.json").write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    print(f"wrote {OUT / 'queue.json'}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
