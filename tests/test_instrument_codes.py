"""An instrument's other codes in the ledger: 识别编码, GTIN with GS1 serial, 资产编号 (lookup/codes/rules.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.ledger.importer import import_ledger
from tests.support import TODAY
from tests.test_ledger_import import HEADERS_ZH, good_line

CODE_HEADERS_ZH = ["识别编码", "商品条码", "序列号", "资产编号"]
CODE_HEADERS_EN = ["Identification code", "GTIN", "GS1 serial", "Asset number"]
GTIN = "6901234567892"  # a valid GTIN-13 (check digit 2)


def write(path: Path, lines: list[list[str]], headers: list[str] = CODE_HEADERS_ZH) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*HEADERS_ZH, *headers])
        writer.writerows(lines)
    return path


async def stored_codes(engine: AsyncEngine) -> dict[str, tuple[str | None, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text("SELECT serial_no, id_code, gtin, gs1_serial, asset_no FROM instrument")
        )
        return {serial: tuple(rest) for serial, *rest in rows}


async def test_the_other_codes_are_imported_normalised_and_kept_when_a_later_ledger_leaves_them_out(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    ledger = write(
        tmp_path / "codes.csv",
        [
            [*good_line(1), "cn 3301 0001 abc", GTIN, "A-17", ""],
            [*good_line(2), "", "", "", "1234 5678 9012"],
            [*good_line(3), "", "", "", ""],
        ],
    )
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, report.rejected, report.notices) == (3, [], [])
    assert await stored_codes(engine) == {
        "SN00001": ("CN33010001ABC", "06901234567892", "A-17", None),
        "SN00002": (None, None, None, "123456789012"),
        "SN00003": (None, None, None, None),
    }
    again = await import_ledger(engine, write(tmp_path / "again.csv", [[*good_line(1), "", "", "", ""]]), today=TODAY)
    assert (again.unchanged, again.rejected) == (1, [])
    assert (await stored_codes(engine))["SN00001"] == ("CN33010001ABC", "06901234567892", "A-17", None)


async def test_english_headers_name_the_same_columns(engine: AsyncEngine, tmp_path: Path) -> None:
    ledger = write(tmp_path / "en.csv", [[*good_line(1), "ID-0001-X", "96385074", "7", "ZJ-998877"]], CODE_HEADERS_EN)
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, report.rejected, report.notices) == (1, [], [])
    assert (await stored_codes(engine))["SN00001"] == ("ID-0001-X", "00000096385074", "7", "ZJ-998877")


async def test_a_wrong_gtin_check_digit_or_a_half_pair_is_a_row_error_and_an_odd_code_only_a_notice(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    ledger = write(
        tmp_path / "bad.csv",
        [
            [*good_line(1), "", "6901234567893", "A1", ""],  # check digit should be 2
            [*good_line(2), "", GTIN, "", ""],  # a GTIN alone names a product, not this instrument
            [*good_line(3), "", GTIN, "序列一", ""],  # not GS1's character set
            [*good_line(4), "编码＃1", "", "", "表1"],  # odd shapes: imported, flagged
        ],
    )
    report = await import_ledger(engine, ledger, today=TODAY)
    reasons = {error.row: error.reasons for error in report.rejected}
    assert reasons[2] == ["商品条码校验位错误（GS1模10）：6901234567893"]
    assert reasons[3] == ["商品条码和序列号须同时填写（商品条码只代表一种产品，加上序列号才代表这一台器具）"]
    assert "序列号应为1至20个GS1允许的字符" in reasons[4][0]
    assert report.added == 1
    assert report.notices == [
        "第5行：识别编码“编码#1”不是常见的形式（6至64位字母、数字或-./），已导入，请核对",
        "第5行：资产编号“表1”不是常见的形式（6至64位字母、数字或-），已导入，请核对",
    ]


async def test_a_code_held_by_another_instrument_is_a_row_error_naming_both(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    # Row 2 of the second file repeats the registry's instrument, so the clashes name that row.
    first = await import_ledger(
        engine, write(tmp_path / "one.csv", [[*good_line(1), "ID-000001", GTIN, "9", "M-000001"]]), today=TODAY
    )
    assert first.rejected == []
    ledger = write(
        tmp_path / "two.csv",
        [
            [*good_line(1), "ID-000001", GTIN, "9", "M-000001"],  # the same instrument again: fine
            [*good_line(2), "ID-000001", "", "", ""],  # the registry's instrument holds it
            [*good_line(3), "", "", "", "M-000003"],
            [*good_line(4), "", GTIN, "9", "M-000003"],  # both held: by the registry and by row 4
        ],
    )
    report = await import_ledger(engine, ledger, today=TODAY)
    reasons = {error.row: error.reasons for error in report.rejected}
    assert reasons[3] == [
        "识别编码ID-000001已属于第2行的“商户1”出厂编号SN00001的器具，不能再给“商户2”出厂编号SN00002的器具"
    ]
    assert reasons[5] == [
        "商品条码06901234567892与序列号9已属于第2行的“商户1”出厂编号SN00001的器具，不能再给“商户4”出厂编号SN00004的器具",
        "资产编号M-000003已属于第4行的“商户3”出厂编号SN00003的器具，不能再给“商户4”出厂编号SN00004的器具",
    ]
    assert (report.unchanged, report.added) == (1, 1)
    codes = await stored_codes(engine)
    assert codes["SN00003"][3] == "M-000003"
    assert "SN00002" not in codes
    alone = await import_ledger(
        engine, write(tmp_path / "three.csv", [[*good_line(7), "", "", "", "M-000001"]]), today=TODAY
    )
    assert [error.reasons for error in alone.rejected] == [
        ["资产编号M-000001已属于登记册中“商户1”出厂编号SN00001的器具，不能再给“商户7”出厂编号SN00007的器具"]
    ]
