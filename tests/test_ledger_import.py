"""Importing ledgers into the registry: idempotent, row-honest, and safe to re-run."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.ledger.importer import BATCH_ROWS, import_ledger
from lookup.vocab import InstrumentKind
from tests.support import TODAY, code_of, ledger_row, make_uscc, seed, verification

HEADERS_ZH = ["管辖所", "区", "市场", "经营者", "统一社会信用代码", "行业", "摊位号", "器具名称", "型号", "出厂编号",
              "检定日期", "有效期至", "检定结论", "检定机构", "承诺日期"]  # fmt: skip


def good_line(n: int, *, serial: str | None = None, verified_on: str = "2026-05-10") -> list[str]:
    return ["南门市场监管所", "鼓楼区", "南门农贸市场", f"商户{n}", make_uscc(n), "集贸市场", f"{n}号摊位",
            "电子计价秤", "ACS-15", serial or f"SN{n:05d}", verified_on, "2027-05-09", "合格", "鼓楼区计量检定所",
            "2025-03-01"]  # fmt: skip


def write_csv(path: Path, lines: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS_ZH)
        writer.writerows(lines)
    return path


async def count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_import_adds_then_reimport_changes_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    ledger = write_csv(tmp_path / "台账.csv", [good_line(n) for n in range(1, 51)], encoding="gbk")
    first = await import_ledger(engine, ledger, today=TODAY)
    assert (first.added, first.updated, first.unchanged, first.rejected) == (50, 0, 0, [])
    codes_before = await codes(engine)
    second = await import_ledger(engine, ledger, today=TODAY)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 50)
    assert await count(engine, "instrument") == 50
    assert await count(engine, "merchant") == 50
    assert await count(engine, "verification") == 50
    assert await count(engine, "commitment") == 50
    assert await codes(engine) == codes_before, "a re-import must never change a public code"


async def codes(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT serial_no, code FROM instrument"))
        return {row.serial_no: row.code for row in rows}


async def test_new_verification_date_adds_a_record_and_counts_as_update(engine: AsyncEngine) -> None:
    await seed(engine, ledger_row())
    report = await seed(engine, ledger_row(verification=verification(date(2026, 11, 1), date(2027, 10, 31))))
    assert (report.added, report.updated, report.unchanged) == (0, 1, 0)
    assert await count(engine, "verification") == 2
    assert await count(engine, "instrument") == 1


async def test_changed_fields_update_in_place(engine: AsyncEngine) -> None:
    await seed(engine, ledger_row())
    code = await code_of(engine, "ACS2023000001")
    report = await seed(engine, ledger_row(model="ACS-30", stall="13号摊位", merchant="张记水产（新）"))
    assert (report.added, report.updated) == (0, 1)
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.text(
                    "SELECT i.code, i.model, m.stall, m.name FROM instrument i JOIN merchant m ON m.id = i.merchant_id"
                )
            )
        ).one()
    assert tuple(row) == (code, "ACS-30", "13号摊位", "张记水产（新）")


async def test_installation_date_and_grade_are_kept_when_a_later_ledger_leaves_them_out(engine: AsyncEngine) -> None:
    meter = ledger_row(kind=InstrumentKind.water_meter, serial_no="W-1", installed_on=date(2020, 4, 1), grade="B")
    await seed(engine, meter)
    report = await seed(engine, ledger_row(kind=InstrumentKind.water_meter, serial_no="W-1"))
    assert (report.added, report.updated, report.unchanged) == (0, 0, 1)
    await seed(engine, ledger_row(kind=InstrumentKind.water_meter, serial_no="W-1", installed_on=date(2021, 4, 1)))
    async with engine.connect() as connection:
        row = (await connection.execute(sa.text("SELECT i.installed_on, m.grade FROM instrument i JOIN merchant m "
                                                "ON m.id = i.merchant_id"))).one()  # fmt: skip
    assert tuple(row) in {(date(2021, 4, 1), "B"), ("2021-04-01", "B")}


async def test_same_serial_at_two_merchants_is_two_instruments(engine: AsyncEngine) -> None:
    report = await seed(engine, ledger_row(), ledger_row(uscc=make_uscc(2), merchant="李记蔬菜"))
    assert report.added == 2
    assert await count(engine, "instrument") == 2


async def test_bad_rows_are_reported_and_good_rows_kept(engine: AsyncEngine, tmp_path: Path) -> None:
    bad_uscc = good_line(2)
    bad_uscc[4] = make_uscc(2)[:-1] + ("0" if make_uscc(2)[-1] != "0" else "1")
    no_serial = good_line(3)
    no_serial[9] = ""
    bad_date = good_line(4, verified_on="2026-13-45")
    unknown_kind = good_line(5)
    unknown_kind[7] = "磅秤X"
    ledger = write_csv(tmp_path / "l.csv", [good_line(1), bad_uscc, no_serial, bad_date, unknown_kind, good_line(6)])
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, len(report.rejected)) == (2, 4)
    reasons = {error.row: " ".join(error.reasons) for error in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6]  # header is row 1, so the second data line is row 3
    assert "统一社会信用代码" in reasons[3]
    assert "出厂编号" in reasons[4]
    assert "2026-13-45" in reasons[5]
    assert "磅秤X" in reasons[6]
    assert await count(engine, "merchant") == 2, "no merchant may be created from a rejected row"


async def test_batches_commit_independently_and_a_rerun_completes_the_import(engine: AsyncEngine) -> None:
    """A crash after some batches keeps them; running the import again adds only the rest."""
    rows = [ledger_row(serial_no=f"S{n:05d}") for n in range(1, 4501)]
    await seed(engine, *rows[:2000])  # as if the process died after the first batch
    report = await seed(engine, *rows)
    assert (report.added, report.unchanged) == (2500, 2000)
    assert await count(engine, "instrument") == 4500


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_unreadable_files_raise_a_clear_error(engine: AsyncEngine, tmp_path: Path, suffix: str) -> None:
    from lookup.ledger.read import LedgerFormatError

    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"PK\x03\x04 this is not a workbook" if suffix == ".xlsx" else "只有一列\n1\n".encode())
    with pytest.raises(LedgerFormatError):
        await import_ledger(engine, path, today=TODAY)
    assert await count(engine, "instrument") == 0


async def test_import_killed_midway_keeps_whole_rows_and_a_rerun_completes(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    """SIGKILL the importer once its first batch is committed: no merchant is left without the instruments
    of its committed rows, and running the import again adds exactly what is missing."""
    rows = 12_000
    ledger = write_csv(tmp_path / "big.csv", [good_line(n // 3 + 1, serial=f"K{n:06d}") for n in range(rows)])
    environment = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(Path(__file__).parents[1])}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main())",
        "import", "ledger", str(ledger),
        env=environment, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    committed = 0
    deadline = time.monotonic() + 60
    while committed == 0 and process.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        committed = await count(engine, "instrument")
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()
    assert 0 < committed < rows, "the importer finished before it could be killed; make the file bigger"
    async with engine.connect() as connection:
        orphans = await connection.execute(
            sa.text(
                "SELECT count(*) FROM merchant m"
                " WHERE NOT EXISTS (SELECT 1 FROM instrument i WHERE i.merchant_id = m.id)"
            )
        )
        assert orphans.scalar_one() == 0
        kept = await count(engine, "instrument")
        assert kept % BATCH_ROWS == 0, "only whole batches may be committed"
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, report.unchanged, report.rejected) == (rows - kept, kept, [])
    assert await count(engine, "instrument") == rows


async def test_a_record_listed_twice_in_one_file_takes_the_later_values(engine: AsyncEngine) -> None:
    first = ledger_row(verification=verification(date(2026, 5, 10), date(2027, 5, 9)))
    corrected = ledger_row(verification=verification(date(2026, 5, 10), date(2027, 5, 9), passed=False))
    report = await seed(engine, first, corrected)
    assert (report.added, report.updated, report.rejected) == (1, 0, [])
    async with engine.connect() as connection:
        passed = (await connection.execute(sa.text("SELECT passed FROM verification"))).scalars().all()
    assert [bool(p) for p in passed] == [False]
    again = await seed(engine, first, corrected)
    # Each row is compared with the registry as the rows before it left it: the record flips twice.
    assert (again.added, again.updated, again.unchanged) == (0, 2, 0)
    async with engine.connect() as connection:
        passed = (await connection.execute(sa.text("SELECT passed FROM verification"))).scalars().all()
    assert [bool(p) for p in passed] == [False]


async def test_the_field_of_use_comes_from_the_ledger_or_else_from_the_kind(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    lines = [good_line(n) for n in (1, 2, 3, 4)]
    lines[0][7] = "电子血压计"  # a health instrument: 医疗卫生 unless the ledger says otherwise
    for line, use in zip(lines, ("", "安全防护", "", "拿来卖菜"), strict=True):
        line.append(use)
    ledger = tmp_path / "uses.csv"
    with ledger.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*HEADERS_ZH, "用途"])
        writer.writerows(lines)
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, [error.row for error in report.rejected]) == (3, [5])
    assert "拿来卖菜" in " ".join(report.rejected[0].reasons)
    assert "安全防护" in " ".join(report.rejected[0].reasons)  # the message lists the fields there are

    async def uses() -> dict[str, str]:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text("SELECT serial_no, legal_use FROM instrument"))
            return {serial: str(use) for serial, use in rows}

    assert await uses() == {"SN00001": "medical", "SN00002": "safety", "SN00003": "trade_settlement"}
    # A later ledger without the column keeps what the registry holds.
    await import_ledger(engine, write_csv(tmp_path / "again.csv", [good_line(2)]), today=TODAY)
    assert (await uses())["SN00002"] == "safety"


async def test_the_contact_phone_and_person_are_imported_and_kept_when_a_later_ledger_leaves_them_out(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    ledger = tmp_path / "contacts.csv"
    with ledger.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*HEADERS_ZH, "联系电话", "负责人"])
        writer.writerows([[*good_line(1), "13800138000", "张三"], [*good_line(2), "", ""]])
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, report.rejected) == (2, [])

    async def contacts() -> dict[str, tuple[str, str]]:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.text("SELECT name, contact_phone, contact_person FROM merchant"))
            return {name: (phone, person) for name, phone, person in rows}

    assert await contacts() == {"商户1": ("13800138000", "张三"), "商户2": ("", "")}
    await import_ledger(engine, write_csv(tmp_path / "again.csv", [good_line(1)]), today=TODAY)
    assert (await contacts())["商户1"] == ("13800138000", "张三")
