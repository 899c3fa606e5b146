"""The queue benchmark's database: N cases over S stations in PostgreSQL, filled in one statement, described.

Used by `python bench/queue_list.py` (and, through the database it leaves, `bench/queue_http.py`), which fills
the database (default postgresql://postgres@127.0.0.1:5432/fairweigh_bench_queue, created when missing; never
the suite's `test`) with N cases over S stations, the district and general intake queues included: texts drawn
from 400 of the hand-written complaints in complaints/classify/data/handwritten.tsv, two years of receipts,
statuses by intent and age (recent cases mostly open, a few old ones stuck open and overdue), deadlines on the
open ones only. `fill` migrates to 0006, fills with `INSERT … SELECT … FROM generate_series`, then migrates to
head with `web.db.upgrade` (so migration 0007 builds its trigram index over the full table, as an upgrade in
production would), and runs VACUUM ANALYZE. `is_filled` tells whether a database already at head holds N cases
and S stations, so that it can be reused; `describe` says what it holds (the busiest and the median station).
"""

# ruff: noqa: E402  (the project goes on sys.path before its packages are imported)
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # imported by bench/queue_list.py or alone: the project's packages must be importable

import random
import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel

import web.tables  # noqa: F401  (puts every table of the service on SQLModel.metadata)
from web.db import alembic_config, create_engine, current_revision, head_revision, upgrade

CORPUS = ROOT / "complaints" / "classify" / "data" / "handwritten.tsv"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/fairweigh_bench_queue"
ZONE = ZoneInfo("Asia/Shanghai")
TEXTS = 400
DAYS = 730  # two years of receipts
RECENT_DAYS = 60  # cases received within this many days are mostly still open
STATION_NAMES = (
    "南门", "东街", "西湖", "北峰", "鼓楼", "台江", "仓山", "晋安", "马尾", "长乐",
    "洪山", "五一", "温泉", "华大", "水部", "茶亭", "上渡", "城门", "新店", "岳峰",
)  # fmt: skip

# The fill, in one statement. Random draws per case (setseed makes a run repeatable); status and deadline follow
# the intent and the case's age; the reference counts up within each day as intake's would.
FILL_CASES = """
WITH base AS (
    SELECT g,
           $1::date - ($2::int - 1 - g / $3::int) AS day,
           random() AS r_text, random() AS r_station, random() AS r_queue, random() AS r_open,
           random() AS r_status, random() AS r_time, random() AS r_channel, random() AS r_triage
    FROM generate_series(0, $4::int - 1) AS g
), picked AS (
    SELECT b.*, t.category, t.intent, t.text,
           CASE WHEN t.intent = 'feedback' THEN false
                WHEN b.day > $1::date - $5::int THEN b.r_open < 0.7
                ELSE b.r_open < 0.02 END AS open
    FROM base AS b JOIN bench_text AS t ON t.n = floor(b.r_text * $6::int)::int
), shaped AS (
    SELECT p.*,
           CASE WHEN p.category = 'other' THEN 'general_intake'
                WHEN p.r_queue < 0.07 THEN 'district_intake'
                ELSE 'station' END AS queue,
           CASE
             WHEN p.open AND p.intent = 'complaint' THEN
               (ARRAY['received', 'accepted', 'mediating'])[1 + floor(p.r_status * 3)::int]
             WHEN p.open AND p.intent = 'report' THEN
               (ARRAY['received', 'verifying', 'verifying'])[1 + floor(p.r_status * 3)::int]
             WHEN p.open THEN 'received'
             WHEN p.intent = 'complaint' THEN
               (ARRAY['closed', 'closed', 'closed', 'resolved', 'resolved', 'declined', 'mediation_failed',
                      'transferred'])[1 + floor(p.r_status * 8)::int]
             WHEN p.intent = 'report' THEN
               (ARRAY['closed', 'closed', 'case_opened', 'no_case'])[1 + floor(p.r_status * 4)::int]
             WHEN p.intent = 'inquiry' THEN (ARRAY['closed', 'answered'])[1 + floor(p.r_status * 2)::int]
             ELSE (ARRAY['closed', 'acknowledged'])[1 + floor(p.r_status * 2)::int]
           END AS status
    FROM picked AS p
)
INSERT INTO complaint (
    ref, token_hash, channel, text, queue, station_id, intent, category, confidence, classifier_version,
    needs_triage, priority, status, received_at, accept_due, handle_due, deadline_approximate, due_on,
    satisfaction_comment
)
SELECT 'JL' || to_char(s.day, 'YYYYMMDD') || '-' || lpad((s.g % $3::int + 1)::text, 4, '0'),
       md5(s.g::text) || md5(s.g::text || 'x'),
       (ARRAY['wechat', 'wechat', 'web', 'web', 'api', 'telegram'])[1 + floor(s.r_channel * 6)::int],
       s.text,
       s.queue,
       CASE WHEN s.queue = 'station' THEN 1 + floor($7::int * power(s.r_station, 1.5))::int END,
       s.intent,
       s.category,
       round((0.5 + s.r_triage / 2)::numeric, 3)::float8,
       'bench',
       s.r_triage < 0.05,
       CASE WHEN s.category IN ('tampered_instrument', 'fuel_dispenser') THEN 'high'
            WHEN s.intent = 'feedback' THEN 'low' ELSE 'normal' END,
       s.status,
       (s.day + make_interval(secs => 28800 + s.r_time * 50400)) AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN s.intent = 'complaint' THEN s.day + 9 END,
       CASE WHEN s.status IN ('accepted', 'mediating') THEN s.day + 63
            WHEN s.intent = 'report' THEN s.day + 21 END,
       false,
       CASE WHEN s.status = 'received' AND s.intent = 'report' THEN s.day + 21
            WHEN s.status = 'received' THEN s.day + 9
            WHEN s.status IN ('accepted', 'mediating') THEN s.day + 63
            WHEN s.status = 'verifying' THEN s.day + 21 END,
       ''
FROM shaped AS s
ORDER BY s.g
"""


def corpus(count: int = TEXTS, seed: int = 20261123) -> list[tuple[str, str, str]]:
    """`count` (category, intent, text) drawn from the hand-written complaints, the same ones every run."""
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        category, intent, text = line.split("\t", 2)
        rows.append((category, intent, text.replace("\\n", "\n")))
    return random.Random(seed).sample(rows, count)


def database_name(url: str) -> str:
    return sa.engine.make_url(url).database or ""


async def ensure_database(url: str) -> None:
    """Create the database when the server does not have it yet."""
    name = database_name(url)
    admin = await asyncpg.connect(sa.engine.make_url(url).set(database="postgres").render_as_string(False))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
    finally:
        await admin.close()


def async_url(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql+asyncpg").render_as_string(False)


async def is_filled(url: str, cases: int, stations: int) -> bool:
    engine = create_engine(async_url(url))
    try:
        if await current_revision(engine) != head_revision():
            return False
        async with engine.connect() as connection:
            found = await connection.execute(
                sa.text("SELECT (SELECT count(*) FROM complaint), (SELECT count(*) FROM station)")
            )
            return tuple(found.one()) == (cases, stations)
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        await engine.dispose()


def _upgrade_to(connection: sa.Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def fill(url: str, *, cases: int, stations: int, today: date | None = None) -> dict[str, Any]:
    """Empty the database's fairweigh tables and fill them with `cases` cases over `stations` stations.

    Returns what was built and how long each step took. ``url``: postgresql://… (any driver prefix).
    """
    today = today or datetime.now(ZONE).date()
    per_day = -(-cases // DAYS)
    timings: dict[str, float] = {}
    plain = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)
    connection = await asyncpg.connect(plain)
    try:
        tables = [table.name for table in SQLModel.metadata.sorted_tables] + ["alembic_version"]
        await connection.execute(f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE")
    finally:
        await connection.close()

    engine = create_engine(async_url(url))
    try:
        async with engine.begin() as migrating:
            await migrating.run_sync(_upgrade_to, "0006")
    finally:
        await engine.dispose()

    connection = await asyncpg.connect(plain)
    try:
        names = [f"{STATION_NAMES[n % len(STATION_NAMES)]}{'' if n < len(STATION_NAMES) else n}市场监管所"
                 for n in range(stations)]  # fmt: skip
        await connection.executemany(
            "INSERT INTO station (name, district, phone, address) VALUES ($1, '鼓楼区', '', '')", [(n,) for n in names]
        )
        texts = corpus()
        await connection.execute("CREATE TEMP TABLE bench_text (n int, category text, intent text, text text)")
        await connection.executemany(
            "INSERT INTO bench_text VALUES ($1, $2, $3, $4)", [(n, *row) for n, row in enumerate(texts)]
        )
        started = time.perf_counter()
        async with connection.transaction():
            await connection.execute("SELECT setseed(0.20261123)")
            await connection.execute(FILL_CASES, today, DAYS, per_day, cases, RECENT_DAYS, len(texts), stations)
        timings["insert_s"] = round(time.perf_counter() - started, 1)
    finally:
        await connection.close()

    engine = create_engine(async_url(url))
    try:
        started = time.perf_counter()
        await upgrade(engine)  # 0007: pg_trgm and the trigram GIN index over every case's words
        timings["migrate_0007_s"] = round(time.perf_counter() - started, 1)
    finally:
        await engine.dispose()

    connection = await asyncpg.connect(plain)
    try:
        started = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
    finally:
        await connection.close()
    return {"cases": cases, "stations": stations, "today": today.isoformat(), **timings}


async def describe(url: str) -> dict[str, Any]:
    """What the database holds: per-station sizes, open cases, and the table's and indexes' sizes."""
    connection = await asyncpg.connect(sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        per_station = await connection.fetch(
            "SELECT station_id, count(*) AS n FROM complaint WHERE station_id IS NOT NULL "
            "GROUP BY station_id ORDER BY n DESC, station_id"
        )
        busiest, median = per_station[0], per_station[len(per_station) // 2]
        sizes = await connection.fetch(
            "SELECT c.relname, pg_relation_size(c.oid) AS bytes FROM pg_class AS c "
            "WHERE c.relname LIKE 'ix_complaint%' OR c.relname = 'complaint' ORDER BY c.relname"
        )
        return {
            "busiest_station_id": busiest["station_id"],
            "busiest_station_cases": busiest["n"],
            "median_station_id": median["station_id"],
            "median_station_cases": median["n"],
            "busiest_station_pending": await connection.fetchval(
                "SELECT count(*) FROM complaint WHERE station_id = $1 AND due_on IS NOT NULL", busiest["station_id"]
            ),
            "pending": await connection.fetchval("SELECT count(*) FROM complaint WHERE due_on IS NOT NULL"),
            "intake": await connection.fetchval("SELECT count(*) FROM complaint WHERE station_id IS NULL"),
            "megabytes": {row["relname"]: round(row["bytes"] / 2**20, 1) for row in sizes},
            "postgresql": await connection.fetchval("SHOW server_version"),
        }
    finally:
        await connection.close()
