"""The benchmark's registry on PostgreSQL: the SQLite file of bench/lookup_db.py copied into a database of its own.

The schema comes from `fairweigh db upgrade`; the rows go in with COPY through psql, with the triggers that delete
stored pages switched off for the copy (session_replication_role, as pg_restore does: the table of pages is empty).
A marker file beside the SQLite file says which database holds a complete copy, so a rerun reuses it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa

from web.db import head_revision

# In foreign-key order. Only what bench/lookup_db.py fills (and the schema's defaults) is copied.
TABLES = ("station", "market", "merchant", "commitment", "instrument", "verification")


def marker(db: Path, url: str) -> Path:
    return db.with_name(f"{db.stem}.pg-{sa.engine.make_url(url).database}.json")


def is_complete(db: Path, url: str, instruments: int) -> bool:
    path = marker(db, url)
    if not path.exists():
        return False
    built = json.loads(path.read_text())
    return bool(built["instruments"] == instruments and built["schema"] == head_revision())


def psql(url: str, *args: str, stdin: bytes | None = None) -> str:
    parsed = sa.engine.make_url(url)
    dsn = parsed.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    done = subprocess.run(["psql", dsn, "-v", "ON_ERROR_STOP=1", "-qAt", *args], input=stdin, capture_output=True)
    if done.returncode:
        raise SystemExit(f"psql failed: {done.stderr.decode()}")
    return done.stdout.decode()


def _csv_value(value: object) -> str:
    if value is None:
        return ""  # unquoted: NULL
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'  # quoted: an empty string stays a string


def _csv(connection: sqlite3.Connection, table: str, columns: list[str]) -> bytes:
    rows = connection.execute(f"SELECT {', '.join(columns)} FROM {table}")
    return "".join(",".join(map(_csv_value, row)) + "\n" for row in rows).encode()


def load(db: Path, url: str, env: dict[str, str], fairweigh: Path, instruments: int) -> float:
    """Make ``url``'s database afresh, migrate it and copy the SQLite registry in; returns the seconds it took."""
    started = time.perf_counter()
    marker(db, url).unlink(missing_ok=True)
    name = sa.engine.make_url(url).database
    server = str(sa.engine.make_url(url).set(database="postgres"))
    psql(server, "-c", f'DROP DATABASE IF EXISTS "{name}"')
    psql(server, "-c", f'CREATE DATABASE "{name}"')
    subprocess.run([fairweigh, "db", "upgrade"], env={**env, "DATABASE_URL": url}, check=True, capture_output=True)
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for table in TABLES:
            columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
            copy = f"\\copy {table} ({', '.join(columns)}) FROM PSTDIN CSV"
            psql(url, "-c", "SET session_replication_role = replica", "-c", copy, stdin=_csv(source, table, columns))
    finally:
        source.close()
    for table in TABLES:
        psql(url, "-c", f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    psql(url, "-c", "VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    meta = {"instruments": instruments, "schema": head_revision(), "load_seconds": round(seconds, 1)}
    marker(db, url).write_text(json.dumps(meta))
    return seconds
