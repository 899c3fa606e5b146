"""The benchmark's registry: a migrated SQLite file filled with N instruments of believable shape.

Filled with plain sqlite3 in one transaction, not through the ledger import: the import is measured by
bench/import_ledger.py, and a million rows through it would make every rebuild take many minutes.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lookup.commitment_text import CURRENT_VERSION, TEXTS
from lookup.uscc import uscc_check_char
from qr.codes import new_code
from web.db import head_revision

STATIONS, MARKETS = 20, 200
INSTRUMENTS_PER_MERCHANT = 3.03  # 1,000,000 instruments over ~330,000 merchants
CHUNK = 100_000
CREATED_AT = "2026-01-01 00:00:00.000000"  # how SQLAlchemy's DateTime stores a value in SQLite
SURNAMES = "张王李赵刘陈杨黄周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁沈"
GOODS = ("蔬菜", "猪肉", "水果", "禽蛋", "干货", "水产", "牛羊肉", "熟食", "粮油", "豆制品")
DISTRICTS = ("鼓楼区", "台江区", "仓山区", "晋安区", "马尾区")
INSTITUTIONS = tuple(f"{district}计量检定所" for district in DISTRICTS)
MODELS = (("ACS-15", "东方衡器有限公司"), ("ACS-30", "华南电子衡器厂"), ("TCS-150", "永准衡器有限公司"))
# (sector, weight, the instrument kind its merchants use): most registered merchants are market stalls.
SECTORS = (
    ("market", 70, "price_scale"),
    ("supermarket", 8, "price_scale"),
    ("restaurant", 10, "platform_scale"),
    ("fuel_station", 3, "fuel_dispenser"),
    ("optician", 3, "refractometer"),
    ("medical", 4, "blood_pressure_meter"),
    ("other", 2, "other"),
)


def meta_path(db: Path) -> Path:
    return db.with_suffix(".json")


def is_complete(db: Path, instruments: int) -> bool:
    """The meta file is written after the commit, so its presence means the fill finished."""
    meta = meta_path(db)
    if not (db.exists() and meta.exists()):
        return False
    built = json.loads(meta.read_text())
    return bool(built["instruments"] == instruments and built["schema"] == head_revision())


def build(db: Path, instruments: int, env: dict[str, str], fairweigh: Path) -> float:
    """Migrate a fresh file with `fairweigh db upgrade` and fill it; returns the seconds it took."""
    started = time.perf_counter()
    db.parent.mkdir(parents=True, exist_ok=True)
    for path in (meta_path(db), db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    subprocess.run([fairweigh, "db", "upgrade"], env=env, check=True, capture_output=True)
    connection = sqlite3.connect(db, isolation_level=None)
    try:
        # Only safe because a crash leaves no meta file and the next run starts over.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1000000")  # the random code index stays in memory
        connection.execute("BEGIN")
        merchants = _fill(connection, instruments)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")  # as `fairweigh db upgrade` left it, and as served
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    meta = {
        "instruments": instruments,
        "merchants": merchants,
        "schema": head_revision(),
        "build_seconds": round(seconds, 1),
    }
    meta_path(db).write_text(json.dumps(meta))
    return seconds


def _fill(db: sqlite3.Connection, instruments: int) -> int:
    rng = random.Random(20261123)
    today = date.today()
    # Dates relative to today, so the statuses shown are the intended mix whenever the bench runs.
    iso = {days: (today + timedelta(days=days)).isoformat() for days in range(-1200, 400)}
    db.executemany(
        "INSERT INTO station (id, name, district, phone, address) VALUES (?, ?, ?, ?, ?)",
        [
            (n, f"{DISTRICTS[n % 5]}第{n}市场监管所", DISTRICTS[n % 5], f"0591-8765{n:04d}", f"{DISTRICTS[n % 5]}{n}号")
            for n in range(1, STATIONS + 1)
        ],
    )
    market_station = {n: rng.randint(1, STATIONS) for n in range(1, MARKETS + 1)}
    db.executemany(
        "INSERT INTO market (id, name, aliases, address, district, station_id, fair_scale_location)"
        " VALUES (?, ?, '[]', ?, ?, ?, ?)",
        [
            (n, f"{DISTRICTS[s % 5]}{n}号农贸市场", f"{DISTRICTS[s % 5]}市场路{n}号", DISTRICTS[s % 5], s,
             "市场东门管理处旁" if n % 4 else "")
            for n, s in market_station.items()
        ],
    )  # fmt: skip
    merchants = max(1, round(instruments / INSTRUMENTS_PER_MERCHANT))
    kinds = _merchants(db, rng, merchants, market_station, iso)
    text = TEXTS[CURRENT_VERSION]
    commitments: list[tuple[int, str, str, str, str | None]] = []
    for merchant_id in range(1, merchants + 1):
        if rng.random() < 0.85:
            signed = rng.randint(-700, -30)
            if rng.random() < 0.1:  # re-signed after a revocation: the card must skip the revoked one
                commitments.append((merchant_id, CURRENT_VERSION, text, iso[signed - 400], iso[signed - 10]))
            commitments.append((merchant_id, CURRENT_VERSION, text, iso[signed], None))
    db.executemany(
        "INSERT INTO commitment (merchant_id, text_version, text, signed_on, revoked_on) VALUES (?, ?, ?, ?, ?)",
        commitments,
    )
    for rows, records in _instruments(rng, instruments, merchants, kinds, iso):
        db.executemany(
            "INSERT INTO instrument (id, code, merchant_id, kind, mandatory, model, serial_no, manufacturer,"
            " pattern_approval, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany(
            "INSERT INTO verification (instrument_id, kind, performed_on, valid_until, passed, certificate_no,"
            " institution) VALUES (?, ?, ?, ?, ?, ?, ?)",
            records,
        )
    return merchants


def _merchants(
    db: sqlite3.Connection, rng: random.Random, count: int, market_station: dict[int, int], iso: dict[int, str]
) -> list[str]:
    """Inserts the merchants; returns the instrument kind each uses (index = merchant id)."""
    sectors = rng.choices(SECTORS, weights=[weight for _, weight, _ in SECTORS], k=count)
    standings = rng.choices(("ordinary", "model", "red_list", "black_list"), weights=(94, 3, 2, 1), k=count)
    rows = []
    for number, ((sector, _, _), standing) in enumerate(zip(sectors, standings, strict=True), start=1):
        market = rng.randint(1, MARKETS) if sector == "market" else None
        station = market_station[market] if market else rng.randint(1, STATIONS)
        first17 = f"92350102MA{number:07d}"
        name = f"{SURNAMES[number % len(SURNAMES)]}记{GOODS[number % len(GOODS)]}"
        stall = f"{rng.randint(1, 400)}号摊位" if market else ""
        address = f"{DISTRICTS[station % 5]}{rng.randint(1, 300)}号"
        rows.append((number, name, first17 + uscc_check_char(first17), sector, market, stall, address, station,
                     standing, "138" + f"{number:08d}"))  # fmt: skip
    db.executemany(
        "INSERT INTO merchant (id, name, uscc, sector, market_id, stall, address, station_id, standing, contact)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return ["", *(kind for _, _, kind in sectors)]


def _instruments(
    rng: random.Random, count: int, merchants: int, kinds: list[str], iso: dict[int, str]
) -> Iterator[tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
    """Instrument and verification rows, a chunk at a time."""
    codes: set[str] = set()
    rows: list[tuple[object, ...]] = []
    records: list[tuple[object, ...]] = []
    for instrument_id in range(1, count + 1):
        code = new_code(rng.randrange)
        while code in codes:  # 45 random bits: a million codes clash about once in seventy builds
            code = new_code(rng.randrange)
        codes.add(code)
        merchant_id = (instrument_id - 1) * merchants // count + 1
        kind = kinds[merchant_id]
        mandatory = kind != "other"
        model, manufacturer = MODELS[instrument_id % len(MODELS)]
        state = "in_use" if rng.random() < 0.97 else rng.choice(("suspended", "retired"))
        rows.append((instrument_id, code, merchant_id, kind, mandatory, model, f"{model[:3]}{instrument_id:08d}",
                     manufacturer, f"2020F{instrument_id % 900 + 100}-35", state, CREATED_AT))  # fmt: skip
        # Mostly valid, some expiring within 30 days, some expired, a few failed: the status mix a city sees.
        roll = rng.random()
        if roll < 0.85:
            until = rng.randint(31, 330)
        elif roll < 0.91:
            until = rng.randint(1, 30)
        else:
            until = -rng.randint(1, 120)
        passed = roll < 0.99
        kind_of_record = "verification" if mandatory else "calibration"
        institution = INSTITUTIONS[merchant_id % len(INSTITUTIONS)]
        if rng.random() < 0.5:  # last year's record too
            records.append((instrument_id, kind_of_record, iso[until - 730], iso[until - 365], True,
                            f"JD{iso[until - 730][:4]}-{instrument_id:07d}", institution))  # fmt: skip
        records.append((instrument_id, kind_of_record, iso[until - 365], iso[until], passed,
                        f"JD{iso[until - 365][:4]}-{instrument_id:07d}", institution))  # fmt: skip
        if len(rows) == CHUNK:
            yield rows, records
            rows, records = [], []
    if rows:
        yield rows, records


if __name__ == "__main__":
    # `python bench/lookup_db.py PATH N`: build only (bench/scan_http.py does this itself when needed).
    target, size = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    binary = Path(sys.executable).parent / "fairweigh"
    print(f"{build(target, size, {**os.environ, 'DATABASE_URL': f'sqlite:///{target}'}, binary):.1f} s")
