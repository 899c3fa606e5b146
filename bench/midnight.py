"""The worker's midnight pass over the stored scan pages, on the benchmark's registry (issue 17).

`python bench/midnight.py [--instruments N] [--postgres URL] [--nights K]`

On a copy of bench/scan_http.py's database, with every zh page and JSON made as of today, runs what the worker runs
after each of the next K midnights (lookup/pages/bulk.py's render_past: the pages whose day has passed, found by the
index on true_until; then a pass over every instrument for pages missing) and prints, per night, the rows it
touched and the time it took. The copy is
thrown away after, so the scan benchmark's database keeps today's pages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from lookup_pg import psql
from scan_http import prepare

from lookup.pages.bulk import render_night
from web.db import create_engine, for_writing
from web.render.stored import scan_pages
from web.settings import Settings


def copy_database(db: Path, postgres: str | None) -> str:
    """A throw-away copy of the benchmark's database; its URL."""
    if postgres:
        url = sa.engine.make_url(postgres)
        copy = url.set(database=f"{url.database}_midnight")
        server = str(url.set(database="postgres"))
        psql(server, "-c", f'DROP DATABASE IF EXISTS "{copy.database}"')
        psql(server, "-c", f'CREATE DATABASE "{copy.database}" TEMPLATE "{url.database}"')
        return copy.render_as_string(hide_password=False)
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    target = db.with_name(f"{db.stem}-midnight.db")
    shutil.copyfile(db, target)
    return f"sqlite:///{target}"


def drop_copy(url: str) -> None:
    parsed = sa.engine.make_url(url)
    if parsed.drivername.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    else:
        psql(str(parsed.set(database="postgres")), "-c", f'DROP DATABASE IF EXISTS "{parsed.database}"')


async def nights(today: date, count: int) -> None:
    settings = Settings()
    engine = create_engine(settings.async_database_url)
    maker = scan_pages(settings)
    try:
        async with engine.connect() as connection:
            pages = (await connection.execute(sa.text("SELECT count(*) FROM rendered_page"))).scalar_one()
        print(f"{pages:,} stored pages as of {today}")
        for night in range(1, count + 1):
            day = today + timedelta(days=night)
            async with engine.connect() as connection:
                due = await connection.execute(
                    sa.text("SELECT count(*), count(DISTINCT code) FROM rendered_page WHERE true_until < :day"),
                    {"day": day},
                )
                rows, instruments = due.one()
            started = time.perf_counter()
            rendered, missing = await render_night(for_writing(engine), maker, day)
            seconds = time.perf_counter() - started
            print(f"night {night} ({day}): {rows:,} pages of {instruments:,} instruments past their day "
                  f"({rows / pages:.1%} of the pages); rendered {rendered:,} and {missing:,} missing in "
                  f"{seconds:.1f} s (the pass over every instrument for missing pages included)")  # fmt: skip
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", help="the PostgreSQL copy bench/scan_http.py --postgres made")
    parser.add_argument("--nights", type=int, default=2)
    args = parser.parse_args()
    n = args.instruments
    db = Path(f"/tmp/fairweigh-bench/lookup-{f'{n // 10**6}m' if n % 10**6 == 0 else n}.db").resolve()
    os.environ.update({"DATABASE_URL": f"sqlite:///{db}", "PUBLIC_BASE_URL": "https://fairweigh.example.cn",
                       "FAIRWEIGH_SECRET": "bench-only-secret-not-for-production-use-0123456789"})  # fmt: skip
    env = dict(os.environ)
    prepare(SimpleNamespace(instruments=n, rebuild=False, postgres=args.postgres), db, env)
    url = copy_database(db, args.postgres)
    os.environ["DATABASE_URL"] = url
    try:
        asyncio.run(nights(datetime.now(Settings().zone).date(), args.nights))
    finally:
        drop_copy(url)


if __name__ == "__main__":
    main()
