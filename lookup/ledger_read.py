"""Reading an instrument ledger (强检台账): a CSV or XLSX file in, validated rows out.

Reading and judging are separate so the importer can report every bad row in one pass: `read_ledger` turns
a file into (row number, {column: text}) without looking at the content, and `parse_row` judges one row and
gives every reason it is bad. Row numbers are the ones the spreadsheet shows (header = row 1), because an
administrator fixes the file by finding the row in Excel.
"""

from __future__ import annotations

import codecs
import csv
import functools
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from lookup.ledger_row import LedgerRow, VerificationEntry
from lookup.uscc import is_valid_uscc, is_well_formed_uscc, normalise_uscc
from lookup.vocab import InstrumentKind, Sector, parse_kind, parse_sector

# fmt: off
COLUMNS: dict[str, str] = {
    "station": "管辖所", "district": "区", "market": "市场", "merchant": "经营者",
    "uscc": "统一社会信用代码", "sector": "行业", "stall": "摊位号", "address": "地址",
    "kind": "器具名称", "model": "型号", "serial_no": "出厂编号", "manufacturer": "制造单位",
    "pattern_approval": "型式批准号", "mandatory": "强检", "verified_on": "检定日期",
    "valid_until": "有效期至", "result": "检定结论", "certificate_no": "证书编号",
    "institution": "检定机构", "commitment_signed_on": "承诺日期",
}
# fmt: on
REQUIRED = ("station", "merchant", "uscc", "kind", "serial_no")
MAX_LENGTH = 200

_VERIFICATION_CORE = ("verified_on", "valid_until", "result")
# A certificate number or institution alone also means "this row claims a verification": dropping it
# silently would lose what the administrator typed, so it makes the three core fields required too.
_VERIFICATION_ANY = (*_VERIFICATION_CORE, "certificate_no", "institution")

_YES = frozenset({"是", "y", "yes", "true", "1", "强检", "√", "✓", "✔"})
_NO = frozenset({"否", "n", "no", "false", "0", "非强检", "×", "✗", "✘"})
_PASSED = frozenset({"合格", "pass", "passed", "qualified", "是"})
_FAILED = frozenset({"不合格", "fail", "failed", "unqualified", "否"})

RawRows = Generator[tuple[int, list[str]], None, None]


class LedgerFormatError(Exception):
    """The file as a whole cannot be read, so none of it is imported."""


@dataclass
class RowError:
    row: int
    reasons: list[str]


def _header_key(text: str) -> str:
    return re.sub(r"[\s*＊]+", "", text).lower().replace("-", "_")


_HEADERS: dict[str, str] = {key: name for name, zh in COLUMNS.items() for key in (name, name.replace("_", ""), zh)}


@dataclass(frozen=True)
class LedgerFile:
    path: Path
    columns: tuple[str, ...]  # canonical names, in file order
    ignored_headers: tuple[str, ...]  # as written, for a one-time notice
    header_row: int
    encoding: str | None  # None for XLSX
    _positions: tuple[tuple[str, int], ...] = field(repr=False)
    _source: Callable[[], RawRows] = field(repr=False)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, {canonical column: stripped text}) for each data row; only the file's columns.

        Rows with nothing in any known column are skipped: a row holding only a 序号 or a remark has no
        instrument to import, and reporting it as "missing everything" would bury the real errors.
        """
        positions = self._positions
        for number, cells in self._source():
            if number <= self.header_row:
                continue
            width = len(cells)
            values = {name: cells[i] if i < width else "" for name, i in positions}
            if any(values.values()):
                yield number, values


def read_ledger(path: Path) -> LedgerFile:
    """Open a ledger and read its header; raises LedgerFormatError for a file that cannot be imported."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise LedgerFormatError("不支持旧版Excel（.xls）文件：请另存为.xlsx或CSV（UTF-8或GBK编码）")
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise LedgerFormatError(f"不支持的文件类型“{path.suffix or '无扩展名'}”：请使用CSV或XLSX文件")
    try:
        with path.open("rb") as stream:
            magic = stream.read(8)
    except OSError as exc:
        raise LedgerFormatError(f"无法打开文件：{exc.strerror or exc}") from exc

    encoding: str | None = None
    source: Callable[[], RawRows]
    # Trust the content over the name: a workbook saved as .csv is still a workbook.
    if magic.startswith(b"PK\x03\x04"):
        source = functools.partial(_xlsx_rows, path)
    elif magic.startswith(b"\xd0\xcf\x11\xe0"):
        # Excel also wraps a password-protected .xlsx in this container, so name both.
        raise LedgerFormatError("这是旧版Excel（.xls）文件或加密的工作簿：请另存为不加密的.xlsx或CSV")
    elif suffix == ".csv":
        encoding = _csv_encoding(path)
        source = functools.partial(_csv_rows, path, encoding)
    else:
        raise LedgerFormatError("文件不是有效的XLSX文件")

    rows = source()
    try:
        header_row, header = next(((n, cells) for n, cells in rows if any(cells)), (0, []))
    finally:
        rows.close()
    if not header_row:
        raise LedgerFormatError("文件中没有表头（文件为空）")

    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, text in enumerate(header):
        name = _HEADERS.get(_header_key(text)) if text else None
        if name is None:
            if text:
                ignored.append(text)
        elif name in positions:
            raise LedgerFormatError(
                f"表头重复：第{positions[name] + 1}列和第{index + 1}列都是{COLUMNS[name]}（{name}）"
            )
        else:
            positions[name] = index
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        listed = "、".join(f"{COLUMNS[name]}（{name}）" for name in missing)
        raise LedgerFormatError(f"缺少必填列：{listed}（第{header_row}行被当作表头）")
    return LedgerFile(
        path=path,
        columns=tuple(positions),
        ignored_headers=tuple(ignored),
        header_row=header_row,
        encoding=encoding,
        _positions=tuple(positions.items()),
        _source=source,
    )


def _csv_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as such, else GB18030 (a superset of GBK).

    Checking the whole file up front means a decoding error never surfaces halfway through an import.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    if b"\x00" in chunk:
                        raise LedgerFormatError("文件不是文本格式的CSV（含有二进制内容）")
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        except OSError as exc:
            raise LedgerFormatError(f"无法读取文件：{exc.strerror or exc}") from exc
        return encoding
    raise LedgerFormatError("无法识别文件编码：请把CSV另存为UTF-8或GBK编码")


def _csv_rows(path: Path, encoding: str) -> RawRows:
    # Numbering records, not physical lines, matches what Excel shows when a quoted cell holds a newline.
    # strict: an unclosed quote would otherwise swallow every later row into one cell, silently.
    number = 0
    try:
        with path.open(encoding=encoding, newline="") as stream:
            for number, cells in enumerate(csv.reader(stream, strict=True), start=1):
                yield number, [cell.strip() for cell in cells]
    except csv.Error as exc:
        raise LedgerFormatError(f"第{number + 1}行CSV格式错误：{exc}") from exc
    except OSError as exc:
        raise LedgerFormatError(f"无法读取文件：{exc.strerror or exc}") from exc


def _xlsx_rows(path: Path) -> RawRows:
    # calamine (Rust) reads a 100,000-row workbook in ~3 s where openpyxl took ~45 s.
    from python_calamine import CalamineWorkbook  # deferred: a CSV import should not pay for loading it

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        try:
            sheet = workbook.get_sheet_by_index(0)
            # The sheet's range starts at its first non-empty row; keep the numbers the spreadsheet shows.
            first = sheet.start[0] + 1 if sheet.start is not None else 1
            for number, values in enumerate(sheet.iter_rows(), start=first):
                yield number, [_cell_text(value) for value in values]
        finally:
            workbook.close()
    except LedgerFormatError:
        raise
    except Exception as exc:
        raise LedgerFormatError(f"无法读取Excel文件：{exc}") from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, date):  # datetime too: a ledger records days, and Excel stores dates as datetimes
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    # Excel stores every number as a float; a serial number 12345 must not come back as "12345.0".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_DATE_SEPARATED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_EXCEL_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
# Excel's day 0 is 1899-12-30 once its fictitious 1900-02-29 is accounted for (all serials past 60).
_EXCEL_EPOCH = date(1899, 12, 30)


@functools.lru_cache(maxsize=8192)
def _parse_date(text: str) -> date | None:
    """A ledger date in any of the spellings Chinese ledgers use, or None. Cached: ledgers repeat dates."""
    text = text.strip()
    if match := _EXCEL_SERIAL.fullmatch(text):
        serial = int(match[1])
        return _EXCEL_EPOCH + timedelta(days=serial) if 20000 <= serial <= 80000 else None
    if match := _DATE_SEPARATED.fullmatch(text):
        parts = (match[1], match[3], match[4])
    elif match := (_DATE_COMPACT.fullmatch(text) or _DATE_CHINESE.fullmatch(text)):
        parts = (match[1], match[2], match[3])
    else:
        return None
    year, month, day = (int(part) for part in parts)
    # A four-digit year outside this range is a typo, not a date anyone verified an instrument on.
    if not 1900 <= year <= 2199:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


@functools.lru_cache(maxsize=65536)
def _check_uscc(text: str) -> tuple[str, str | None]:
    """(normalised code, reason or None). Cached: a merchant's code repeats on each of its instruments."""
    code = normalise_uscc(text)
    if is_valid_uscc(code):
        return code, None
    if is_well_formed_uscc(code):
        return code, f"统一社会信用代码校验位错误：{text}"
    return code, f"统一社会信用代码格式错误（应为18位数字或大写字母）：{text}"


def _date_field(values: Mapping[str, str], name: str, reasons: list[str]) -> date | None:
    text = values.get(name, "")
    if not text:
        return None
    parsed = _parse_date(text)
    if parsed is None:
        reasons.append(f"无法识别的日期：{text}（{COLUMNS[name]}）")
    return parsed


def parse_row(raw: Mapping[str, str], *, today: date) -> LedgerRow | list[str]:
    """The validated row, or every reason it cannot be imported (in Chinese, for the administrator)."""
    values = {name: value.strip() for name, value in raw.items()}
    get = values.get
    reasons: list[str] = []
    for name, value in values.items():
        if len(value) > MAX_LENGTH:
            reasons.append(f"{COLUMNS.get(name, name)}过长（{len(value)}个字符，最多{MAX_LENGTH}个）")
    reasons.extend(f"缺少{COLUMNS[name]}" for name in REQUIRED if not get(name))

    uscc_text = get("uscc", "")
    uscc, uscc_problem = _check_uscc(uscc_text) if uscc_text else ("", None)
    if uscc_problem:
        reasons.append(uscc_problem)

    kind_text = get("kind", "")
    kind = parse_kind(kind_text) if kind_text else None
    if kind_text and kind is None:
        reasons.append(f"未知的器具名称：{kind_text}")

    sector_text = get("sector", "")
    sector = parse_sector(sector_text) if sector_text else Sector.market if get("market") else Sector.other
    if sector is None:
        reasons.append(f"未知的行业：{sector_text}")

    mandatory_text = get("mandatory", "")
    mandatory: bool | None = kind is not InstrumentKind.other
    if mandatory_text:
        key = mandatory_text.lower()
        mandatory = True if key in _YES else False if key in _NO else None
        if mandatory is None:
            reasons.append(f"无法识别的强检标志：{mandatory_text}（应为是或否）")

    verification: VerificationEntry | None = None
    if any(get(name) for name in _VERIFICATION_ANY):
        verification_reasons = len(reasons)
        reasons.extend(
            f"缺少{COLUMNS[name]}（填写检定信息时，检定日期、有效期至、检定结论都必须填写）"
            for name in _VERIFICATION_CORE
            if not get(name)
        )
        verified_on = _date_field(values, "verified_on", reasons)
        valid_until = _date_field(values, "valid_until", reasons)
        if verified_on and verified_on > today:
            reasons.append(f"检定日期晚于今天：{verified_on.isoformat()}")
        if verified_on and valid_until and valid_until <= verified_on:
            reasons.append(f"有效期至（{valid_until.isoformat()}）应晚于检定日期（{verified_on.isoformat()}）")
        result_text = get("result", "")
        result_key = result_text.lower()
        passed = True if result_key in _PASSED else False if result_key in _FAILED else None
        if result_text and passed is None:
            reasons.append(f"无法识别的检定结论：{result_text}（应为合格或不合格）")
        if len(reasons) == verification_reasons and verified_on and valid_until and passed is not None:
            verification = VerificationEntry(
                performed_on=verified_on,
                valid_until=valid_until,
                passed=passed,
                certificate_no=get("certificate_no", ""),
                institution=get("institution", ""),
            )

    signed_on = _date_field(values, "commitment_signed_on", reasons)
    if signed_on and signed_on > today:
        reasons.append(f"承诺日期晚于今天：{signed_on.isoformat()}")

    if reasons:
        return reasons
    # Each of these is None only alongside a reason, so they are set here.
    assert kind is not None
    assert sector is not None
    assert mandatory is not None
    return LedgerRow(
        station=get("station", ""),
        district=get("district", ""),
        market=get("market", ""),
        merchant=get("merchant", ""),
        uscc=uscc,
        sector=sector,
        stall=get("stall", ""),
        address=get("address", ""),
        kind=kind,
        model=get("model", ""),
        serial_no=get("serial_no", ""),
        manufacturer=get("manufacturer", ""),
        pattern_approval=get("pattern_approval", ""),
        mandatory=mandatory,
        verification=verification,
        commitment_signed_on=signed_on,
    )


def parse_rows(ledger: LedgerFile, *, today: date) -> Iterator[tuple[int, LedgerRow] | RowError]:
    """Every data row of a ledger, judged: (row number, row) when good, RowError when not."""
    for number, raw in ledger.rows():
        parsed = parse_row(raw, today=today)
        yield RowError(number, parsed) if isinstance(parsed, list) else (number, parsed)
