"""What each kind of scanned or typed code costs the resolver (lookup/codes/resolve.py): SQL statements and time.

The issue's bar: the scan of a code that is not ours costs at most one indexed read more than our own code. A
migrated SQLite file (or `--postgres URL`, an already migrated database whose registry may be wiped: never the test
suite's) is filled through the ledger import with N instruments, each with a GTIN and serial, a 识别编码 and an
asset number, and every fiftieth nameplate serial shared by two merchants. Then each kind of code is resolved
`--rounds` times; statements are counted on the engine. Writes bench/out/resolve.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lookup.codes.resolve import resolve
from lookup.ledger.importer import import_rows
from tests.support import BASE_ROW, make_uscc
from web.db import create_engine, upgrade


def gtin_for(n: int) -> str:
    from biip.checksums import gs1_standard_check_digit

    body = f"0692{n:09d}"
    return body + str(gs1_standard_check_digit(body))


def rows(count: int) -> list[tuple[int, Any]]:
    made = []
    for n in range(count):
        serial = f"SHARED-{n // 2}" if n % 50 < 2 else f"SN{n:08d}"
        made.append(
            (
                n + 2,
                replace(
                    BASE_ROW,
                    merchant=f"商户{n}",
                    uscc=make_uscc(n + 1),
                    stall=f"{n % 300}号",
                    serial_no=serial,
                    gtin=gtin_for(n),
                    gs1_serial=f"S{n}",
                    id_code=f"CN3301{n:08d}",
                    asset_no=f"33000{n:017d}",
                ),
            )
        )
    return made


async def run(url: str, count: int, rounds: int) -> dict[str, Any]:
    engine = create_engine(url)
    if url.startswith("sqlite"):
        await upgrade(engine)
    started = time.perf_counter()
    await import_rows(engine, rows(count))
    filled = time.perf_counter() - started
    statements = 0

    @sa.event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count_statement(*_: Any) -> None:
        nonlocal statements
        statements += 1

    async with engine.connect() as connection:
        code = (await connection.execute(sa.text("SELECT code FROM instrument LIMIT 1 OFFSET 7"))).scalar_one()
        kinds = {
            "own code": code,
            "own code, a slip (then typed_code.py's own read)": code[:9],
            "GS1 Digital Link": f"https://id.gs1.org/01/{gtin_for(7)}/21/S7",
            "GS1 element string, raw with FNC1": f"01{gtin_for(7)}21S7\x1d10LOT",
            "识别编码": "CN330100000007",
            "资产编号": f"33000{7:017d}",
            "nameplate serial (one)": "SN00000007",
            "nameplate serial (shared)": "SHARED-0",
            "product barcode, unknown": "6920000000005",
            "unknown text": "某某牌 XK-9",
        }
        results = {}
        for name, text in kinds.items():
            statements = 0
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                found = await resolve(connection, text)
                times.append((time.perf_counter() - t0) * 1000)
            results[name] = {
                "outcome": found.outcome.value,
                "statements": statements / rounds,
                "median_ms": round(statistics.median(times), 3),
            }
    await engine.dispose()
    return {"instruments": count, "fill_seconds": round(filled, 1), "kinds": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instruments", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--postgres", help="an already migrated database whose registry may be filled")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres.replace("postgresql://", "postgresql+asyncpg://") if args.postgres else None
        url = url or f"sqlite+aiosqlite:///{folder}/resolve.db"
        report = asyncio.run(run(url, args.instruments, args.rounds))
    for name, result in report["kinds"].items():
        print(f"{name:52} {result['outcome']:11} {result['statements']:.0f} statement(s)  {result['median_ms']} ms")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "resolve.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
