"""Time `fairweigh import ledger` on a 100,000-row ledger: a fresh import, a re-import, and the rows as XLSX.

`python bench/import_ledger.py [--rows N] [--no-xlsx] [--postgres URL]`

The issue's target: 100,000 rows in under a minute on SQLite. Each time is the whole command, process start
included, as an administrator sees it. With --postgres the same steps run against that database too; its
fairweigh tables are dropped first, so never point it at the test suite's `test` database.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lookup.ledger.row import COLUMNS
from lookup.uscc import uscc_check_char

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
WORK = Path("/tmp/fairweigh-bench")
FAIRWEIGH = Path(sys.executable).parent / "fairweigh"  # the venv's console script, next to its python
TARGET_SECONDS = 60.0
FAIRWEIGH_TABLES = ("verification", "instrument", "commitment", "merchant", "market", "station", "alembic_version")
SURNAMES = "张王李赵刘陈杨黄周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁沈"
GOODS = ("蔬菜", "猪肉", "水果", "禽蛋", "干货", "水产", "牛羊肉", "熟食", "粮油", "豆制品")
MODELS = (("ACS-15", "东方衡器有限公司"), ("ACS-30", "华南电子衡器厂"), ("TCS-150", "永准衡器有限公司"))
# (行业, 器具名称) as ledgers write them; most rows are market stalls' price scales.
TRADES = (("集贸市场", "电子计价秤"),) * 7 + (("超市卖场", "电子计价秤"), ("餐饮饭店", "台案秤"), ("加油站", "加油机"))


def ledger_rows(count: int) -> Iterator[list[str]]:
    """Rows in COLUMNS order: about three instruments per merchant, a year's verification on most."""
    rng = random.Random(20261123)
    today = date.today()
    merchants = max(1, count // 3)
    for number in range(count):
        merchant = number * merchants // count + 1
        station = merchant % 10 + 1
        district = ("鼓楼区", "台江区", "仓山区", "晋安区", "马尾区")[station % 5]
        sector, kind = TRADES[merchant % len(TRADES)]
        market = f"{district}{merchant % 60 + 1}号农贸市场" if sector == "集贸市场" else ""
        first17 = f"92350102MA{merchant:07d}"
        model, manufacturer = MODELS[number % len(MODELS)]
        verification = ["", "", "", "", ""]
        if rng.random() < 0.95:  # the rest are new instruments not yet verified
            verified = today - timedelta(days=rng.randint(30, 400))
            passed = rng.random() < 0.99
            until = verified + timedelta(days=365)
            verification = [verified.isoformat(), until.isoformat(), "合格" if passed else "不合格",
                            f"JD{verified.year}-{number:07d}", f"{district}计量检定所"]  # fmt: skip
        signed = "" if merchant % 7 == 0 else (today - timedelta(days=30 + merchant % 600)).isoformat()
        yield [
            f"{district}第{station}市场监管所", district, market,
            f"{SURNAMES[merchant % len(SURNAMES)]}记{GOODS[merchant % len(GOODS)]}{merchant}",
            first17 + uscc_check_char(first17), sector, f"{merchant % 400 + 1}号摊位" if market else "",
            f"{district}中山路{merchant % 300 + 1}号", kind, model, f"{model[:3]}{number:08d}", manufacturer,
            f"2020F{number % 900 + 100}-35", "是", *verification, signed,
        ]  # fmt: skip


def write_csv(path: Path, count: int) -> None:
    # utf-8-sig: what Excel writes for "CSV UTF-8", and what administrators will hand in.
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS.values())
        writer.writerows(ledger_rows(count))


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append(list(COLUMNS.values()))
    for row in ledger_rows(count):
        sheet.append(row)
    workbook.save(path)


def fresh_database(url: str | None) -> dict[str, str]:
    """A migrated, empty database (a new SQLite file, or PostgreSQL with its fairweigh tables dropped)."""
    if url is None:
        db = WORK / "import.db"
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        asyncio.run(_drop_tables(url))
    env = {**os.environ, "DATABASE_URL": url, "FAIRWEIGH_SECRET": "bench-only-secret-not-for-production-use"}
    subprocess.run([FAIRWEIGH, "db", "upgrade"], env=env, check=True, capture_output=True)
    return env


async def _drop_tables(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"DROP TABLE IF EXISTS {', '.join(FAIRWEIGH_TABLES)} CASCADE")
    finally:
        await connection.close()


def timed_import(env: dict[str, str], ledger: Path) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    done = subprocess.run([FAIRWEIGH, "import", "ledger", ledger], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    summary = re.search(r"\(added (\d+), updated (\d+), unchanged (\d+), rejected (\d+)\)", done.stdout)
    if done.returncode != 0 or summary is None:
        raise SystemExit(f"FAILED: import of {ledger} exited {done.returncode}\n{done.stdout}\n{done.stderr[-3000:]}")
    counts = dict(zip(("added", "updated", "unchanged", "rejected"), map(int, summary.groups()), strict=True))
    return seconds, counts


def run_steps(database: str, url: str | None, files: dict[str, Path], rows: int) -> list[dict[str, Any]]:
    steps: list[tuple[str, str, Path, bool]] = [
        ("CSV, empty database", "added", files["csv"], True),
        ("CSV again, same rows", "unchanged", files["csv"], False),
    ]
    if "xlsx" in files:
        steps.append(("XLSX, empty database", "added", files["xlsx"], True))
    results = []
    env: dict[str, str] = {}
    for label, expected, ledger, fresh in steps:
        if fresh:
            env = fresh_database(url)
        print(f"{database}: {label} …", flush=True)
        seconds, counts = timed_import(env, ledger)
        # The summary line must account for every row exactly: a fast import that drops rows is no result.
        wanted = {"added": 0, "updated": 0, "unchanged": 0, "rejected": 0, expected: rows}
        if counts != wanted:
            raise SystemExit(f"FAILED: {database} {label}: summary {counts}, expected {wanted}")
        results.append({"database": database, "step": label, "seconds": seconds, "rows_per_second": rows / seconds,
                        **counts})  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-xlsx", action="store_true", help="skip the XLSX import")
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL, e.g. postgresql://…/fairweigh_bench")
    args = parser.parse_args()
    if args.postgres and args.postgres.rstrip("/").rsplit("/", 1)[-1].split("?")[0] == "test":
        raise SystemExit("refusing the `test` database: the test suite owns it (create fairweigh_bench instead)")
    WORK.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    files = {"csv": WORK / f"ledger-{args.rows}.csv"}
    if not args.no_xlsx:
        files["xlsx"] = WORK / f"ledger-{args.rows}.xlsx"
    for kind, path in files.items():
        started = time.perf_counter()
        (write_csv if kind == "csv" else write_xlsx)(path, args.rows)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")

    results = run_steps("SQLite", None, files, args.rows)
    if args.postgres:
        results += run_steps("PostgreSQL", args.postgres, files, args.rows)

    print(f"\n{'':34} {'seconds':>8} {'rows/s':>8}  summary")
    for r in results:
        summary = f"added {r['added']}, updated {r['updated']}, unchanged {r['unchanged']}, rejected {r['rejected']}"
        print(f"{r['database'] + ' ' + r['step']:34} {r['seconds']:8.1f} {r['rows_per_second']:8.0f}  {summary}")
    first = results[0]["seconds"]
    verdict = ("met" if first < TARGET_SECONDS else "MISSED") if args.rows == 100_000 else "n/a for this row count"
    print(
        f"target: 100,000 rows in under {TARGET_SECONDS:.0f} s on SQLite → {first:.1f} s for {args.rows:,}: {verdict}"
    )
    report = {"rows": args.rows, "target_seconds": TARGET_SECONDS, "results": results, "files": {
        kind: {"path": str(path), "bytes": path.stat().st_size} for kind, path in files.items()}}  # fmt: skip
    (OUT / "import.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"wrote {OUT / 'import.json'}")


if __name__ == "__main__":
    main()
