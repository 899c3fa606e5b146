from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from lookup.ledger.read import LedgerFormatError, RowError, parse_rows, read_ledger
from lookup.ledger.row import COLUMNS, LedgerRow, VerificationEntry, parse_row
from lookup.vocab import InstrumentKind, Sector

TODAY = date(2025, 6, 1)

GOOD: dict[str, str] = {
    "station": "鼓楼市场监管所",
    "district": "鼓楼区",
    "market": "东街口农贸市场",
    "merchant": "张三水产",
    "uscc": "91350100M000100Y43",
    "sector": "",
    "stall": "A-12",
    "address": "福州市鼓楼区东街1号",
    "kind": "电子计价秤",
    "model": "ACS-15",
    "serial_no": "2023050001",
    "manufacturer": "上海友声衡器有限公司",
    "pattern_approval": "2019C123-31",
    "mandatory": "是",
    "verified_on": "2024-05-01",
    "valid_until": "2025-04-30",
    "result": "合格",
    "certificate_no": "JD2024-0001",
    "institution": "福州市计量所",
    "commitment_signed_on": "2024-03-15",
}
ZH_HEADER = [COLUMNS[name] for name in GOOD]
VERIFICATION_REQUIRED = "（填写检定信息时，检定日期、有效期至、检定结论都必须填写）"


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream).writerows([header, *rows])
    return path


def row_values(**changes: str) -> list[str]:
    return list({**GOOD, **changes}.values())


def parsed(**changes: str) -> LedgerRow:
    result = parse_row({**GOOD, **changes}, today=TODAY)
    assert isinstance(result, LedgerRow), result
    return result


def reasons(**changes: str) -> list[str]:
    result = parse_row({**GOOD, **changes}, today=TODAY)
    assert isinstance(result, list), result
    return result


def test_chinese_headers_in_gbk(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "台账.csv", ZH_HEADER, [row_values(), row_values(serial_no="A2")], "gbk")
    ledger = read_ledger(path)
    assert ledger.encoding == "gb18030"
    assert ledger.columns == tuple(GOOD)
    assert ledger.ignored_headers == ()
    assert [(n, raw) for n, raw in ledger.rows()] == [(2, GOOD), (3, {**GOOD, "serial_no": "A2"})]
    row = parsed()
    assert row.merchant == "张三水产"
    assert row.kind is InstrumentKind.price_scale
    assert row.sector is Sector.market
    assert row.mandatory is True
    assert row.verification == VerificationEntry(
        date(2024, 5, 1), date(2025, 4, 30), True, "JD2024-0001", "福州市计量所"
    )
    assert row.commitment_signed_on == date(2024, 3, 15)


def test_english_headers_utf8_bom_and_extra_columns(tmp_path: Path) -> None:
    header = [*GOOD, "备注"]
    path = write_csv(tmp_path / "ledger.CSV", header, [[*row_values(), "新装"]], "utf-8-sig")
    ledger = read_ledger(path)
    assert ledger.encoding == "utf-8-sig"
    assert ledger.ignored_headers == ("备注",)
    assert list(ledger.rows()) == [(2, GOOD)]


def test_xlsx_dates_numbers_and_empty_rows(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["经营者", "统一社会信用代码", "管辖所", "器具名称", "出厂编号", "检定日期", "有效期至", "检定结论"])
    sheet.append(["张三", "91350100M000100Y43", "鼓楼所", "台秤", 12345, date(2024, 5, 1), date(2025, 5, 1), "合格"])
    sheet.append([])
    sheet.append(
        [
            "李四",
            "91350100M000100Y43",
            "鼓楼所",
            "地秤",
            67890.0,
            datetime(2024, 6, 2, 9, 30),
            45809,
            "不合格",
        ]
    )
    workbook.create_sheet("说明").append(["not the ledger"])
    workbook.active = 1  # the ledger is the first sheet, whichever one Excel last showed
    path = tmp_path / "ledger.xlsx"
    workbook.save(path)

    ledger = read_ledger(path)
    assert ledger.encoding is None
    rows = list(ledger.rows())
    assert [number for number, _ in rows] == [2, 4]
    assert rows[0][1]["serial_no"] == "12345"
    assert rows[0][1]["verified_on"] == "2024-05-01"
    assert rows[1][1]["serial_no"] == "67890"
    assert rows[1][1]["verified_on"] == "2024-06-02"
    row = parse_row(rows[1][1], today=TODAY)
    assert isinstance(row, LedgerRow)
    assert row.verification is not None
    assert row.verification.valid_until == date(2025, 6, 1)  # Excel serial 45809
    assert row.verification.passed is False
    assert row.sector is Sector.other  # no market, no sector given


def test_workbook_saved_as_csv_is_read_as_workbook(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["经营者", "统一社会信用代码", "管辖所", "器具名称", "出厂编号"])
    path = tmp_path / "ledger.csv"
    workbook.save(path)
    assert read_ledger(path).encoding is None


def test_headers_with_stars_spaces_and_case(tmp_path: Path) -> None:
    header = [" 经营者* ", "\u3000统一社会信用代码＊", "STATION *", "器具 名称", "Serial_No*", ""]
    path = write_csv(tmp_path / "l.csv", header, [["张三", "91350100M000100Y43", "鼓楼所", "台秤", "S1", ""]], "utf-8")
    ledger = read_ledger(path)
    assert ledger.columns == ("merchant", "uscc", "station", "kind", "serial_no")
    assert isinstance(parse_row(next(ledger.rows())[1], today=TODAY), LedgerRow)


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ["管辖所", "经营者", "器具名称"], [["a", "b", "台秤"]], "utf-8")
    with pytest.raises(LedgerFormatError, match=r"缺少必填列：统一社会信用代码（uscc）、出厂编号（serial_no）"):
        read_ledger(path)


def test_duplicate_column_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", [*ZH_HEADER, "serial_no"], [], "utf-8")
    with pytest.raises(LedgerFormatError, match="表头重复"):
        read_ledger(path)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"serial_no": ""}, "缺少出厂编号"),
        ({"station": "  "}, "缺少管辖所"),
        ({"uscc": "91350100M000100Y3X"}, "统一社会信用代码校验位错误：91350100M000100Y3X"),
        ({"uscc": "9135010"}, "统一社会信用代码格式错误（应为18位数字或大写字母）：9135010"),
        ({"kind": "磅秤X"}, "未知的器具名称：磅秤X"),
        ({"sector": "菜场X"}, "未知的行业：菜场X"),
        ({"mandatory": "也许"}, "无法识别的强检标志：也许（应为是或否）"),
        ({"verified_on": "2024-13-45"}, "无法识别的日期：2024-13-45（检定日期）"),
        ({"valid_until": "明年"}, "无法识别的日期：明年（有效期至）"),
        ({"commitment_signed_on": "2024/2/30"}, "无法识别的日期：2024/2/30（承诺日期）"),
        ({"valid_until": ""}, "缺少有效期至" + VERIFICATION_REQUIRED),
        ({"result": "待定"}, "无法识别的检定结论：待定（应为合格或不合格）"),
        ({"verified_on": "2025-07-01", "valid_until": "2026-07-01"}, "检定日期晚于今天：2025-07-01"),
        ({"valid_until": "2024-05-01"}, "有效期至（2024-05-01）应晚于检定日期（2024-05-01）"),
        ({"commitment_signed_on": "2026-01-01"}, "承诺日期晚于今天：2026-01-01"),
        ({"address": "路" * 201}, "地址过长（201个字符，最多200个）"),
        ({"installed_on": "2025-06-02"}, "安装日期晚于今天：2025-06-02"),
        ({"grade": "D级"}, "无法识别的餐饮等级：D级（应为A、B或C）"),
    ],
)
def test_bad_row_reason(changes: dict[str, str], expected: str) -> None:
    assert reasons(**changes) == [expected]


def test_several_reasons_on_one_row() -> None:
    assert reasons(station="", uscc="91350100M000100Y44", kind="磅秤X", verified_on="2024-13-45") == [
        "缺少管辖所",
        "统一社会信用代码校验位错误：91350100M000100Y44",
        "未知的器具名称：磅秤X",
        "无法识别的日期：2024-13-45（检定日期）",
    ]


def test_certificate_alone_asks_for_the_verification() -> None:
    assert reasons(verified_on="", valid_until="", result="") == [
        f"缺少{COLUMNS[name]}{VERIFICATION_REQUIRED}" for name in ("verified_on", "valid_until", "result")
    ]


def test_bad_rows_reported_with_row_numbers_good_rows_kept(tmp_path: Path) -> None:
    rows = [row_values(), row_values(kind="磅秤X"), [""] * len(GOOD), row_values(serial_no="")]
    ledger = read_ledger(write_csv(tmp_path / "l.csv", ZH_HEADER, rows, "utf-8"))
    results = list(parse_rows(ledger, today=TODAY))
    assert isinstance(results[0], tuple)
    assert results[0][0] == 2
    assert results[1:] == [RowError(3, ["未知的器具名称：磅秤X"]), RowError(5, ["缺少出厂编号"])]


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01",
        "2024/5/1",
        "2024.5.1",
        "20240501",
        "2024年5月1日",
        "45413",
        " 2024-05-01 ",
        "2024-05-01 00:00:00",
    ],
)
def test_date_spellings(text: str) -> None:
    row = parsed(verified_on=text, commitment_signed_on=text)
    assert row.commitment_signed_on == date(2024, 5, 1)
    assert row.verification is not None
    assert row.verification.performed_on == date(2024, 5, 1)


@pytest.mark.parametrize("text", ["2024-13-45", "2024/02/30", "24-5-1", "2024-5", "2024-05/01", "12345", "99999"])
def test_dates_rejected(text: str) -> None:
    assert reasons(commitment_signed_on=text) == [f"无法识别的日期：{text}（承诺日期）"]


@pytest.mark.parametrize("text", ["是", "Y", "yes", "TRUE", "1", "强检", "√"])
def test_mandatory_yes(text: str) -> None:
    assert parsed(mandatory=text).mandatory is True


@pytest.mark.parametrize("text", ["否", "n", "No", "false", "0", "非强检", "×"])
def test_mandatory_no(text: str) -> None:
    assert parsed(mandatory=text).mandatory is False


def test_mandatory_defaults_by_kind() -> None:
    assert parsed(mandatory="").mandatory is True
    assert parsed(mandatory="", kind="其他").mandatory is False


@pytest.mark.parametrize(("text", "passed"), [("合格", True), ("PASS", True), ("qualified", True), ("不合格", False)])
def test_result_spellings(text: str, passed: bool) -> None:
    verification = parsed(result=text).verification
    assert verification is not None
    assert verification.passed is passed


def test_sector_defaults_and_aliases() -> None:
    assert parsed(sector="").sector is Sector.market
    assert parsed(sector="", market="").sector is Sector.other
    assert parsed(sector="超市").sector is Sector.supermarket


def test_optional_parts_absent() -> None:
    row = parse_row({k: GOOD[k] for k in ("station", "merchant", "uscc", "kind", "serial_no")}, today=TODAY)
    assert isinstance(row, LedgerRow)
    assert row.verification is None
    assert row.commitment_signed_on is None
    assert row.market == ""


def test_values_trimmed_and_uscc_normalised() -> None:
    row = parsed(merchant="  张三水产\u3000", uscc=" 91350100m000100y43 ")
    assert row.merchant == "张三水产"
    assert row.uscc == "91350100M000100Y43"


def test_only_a_header(tmp_path: Path) -> None:
    ledger = read_ledger(write_csv(tmp_path / "l.csv", ZH_HEADER, [], "utf-8"))
    assert list(ledger.rows()) == []


def test_blank_lines_before_header_keep_numbering(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text("\n,,\n" + ",".join(ZH_HEADER) + "\n" + ",".join(row_values()) + "\n", encoding="utf-8")
    ledger = read_ledger(path)
    assert ledger.header_row == 3
    assert [number for number, _ in ledger.rows()] == [4]


def test_quoted_field_with_newline(tmp_path: Path) -> None:
    rows = [row_values(address="东街1号\n二层"), row_values(serial_no="S2")]
    ledger = read_ledger(write_csv(tmp_path / "l.csv", ZH_HEADER, rows, "gb18030"))
    result = list(ledger.rows())
    assert [number for number, _ in result] == [2, 3]
    assert result[0][1]["address"] == "东街1号\n二层"


def test_unclosed_quote_is_a_format_error_not_a_merged_row(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    text = ",".join(ZH_HEADER) + "\n" + ",".join(row_values()) + '\n"张三,' + ",".join(row_values()) + "\n"
    path.write_text(text, encoding="utf-8")
    rows = read_ledger(path).rows()
    assert next(rows)[0] == 2
    with pytest.raises(LedgerFormatError, match="第3行CSV格式错误"):
        next(rows)


@pytest.mark.parametrize("name", ["ledger.txt", "ledger", "ledger.xls"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(",".join(ZH_HEADER), encoding="utf-8")
    with pytest.raises(LedgerFormatError, match="不支持"):
        read_ledger(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("g.csv", bytes(range(256)) * 8),  # NUL bytes: plainly binary
        ("g.csv", bytes(range(0x80, 0x100)) * 8),  # no NUL, valid in neither UTF-8 nor GB18030
        ("g.csv", b"\x81\x40\x81\x41,\x82\x42\n\x83\x43"),  # decodes as GB18030 but is no ledger
        ("g.csv", b""),
        ("g.xlsx", b"PK\x03\x04 truncated zip"),
        ("g.xlsx", b"station,merchant\n"),
        ("g.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel"),
    ],
)
def test_garbage_gives_a_format_error(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LedgerFormatError):
        list(read_ledger(path).rows())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LedgerFormatError, match="无法打开文件"):
        read_ledger(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("phone_header", "person_header"),
    [("联系电话", "负责人"), ("Contact phone", "Contact person"), ("phone", "person"), ("手机号", "联系人")],
)
def test_the_optional_contact_columns_in_chinese_or_english(
    tmp_path: Path, phone_header: str, person_header: str
) -> None:
    header = [*ZH_HEADER, phone_header, person_header]
    path = write_csv(tmp_path / "contacts.csv", header, [[*row_values(), "138-0013-8000", "张三"]], "utf-8")
    ledger = read_ledger(path)
    assert ledger.ignored_headers == ()
    [(_, raw)] = list(ledger.rows())
    row = parse_row(raw, today=TODAY)
    assert isinstance(row, LedgerRow)
    assert (row.contact_phone, row.contact_person) == ("138-0013-8000", "张三")


def test_an_unreadable_contact_phone_is_a_reason() -> None:
    assert reasons(contact_phone="找老板") == ["无法识别的联系电话：找老板"]
    assert parsed(contact_phone="+86 591 8765 4321").contact_phone == "+86 591 8765 4321"
    assert parsed().contact_phone == ""
