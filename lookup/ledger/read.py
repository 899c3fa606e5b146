"""Reading an instrument ledger (强检台账): a CSV or XLSX file in, validated rows out.

Reading and judging are separate so the importer can report every bad row in one pass: `read_ledger` turns
a file into (row number, {column: text}) without looking at the content, and :func:`lookup.ledger.row.parse_row`
judges one row and gives every reason it is bad. Row numbers are the ones the spreadsheet shows (header = row 1),
because an administrator fixes the file by finding the row in Excel.
"""

from __future__ import annotations

import codecs
import csv
import functools
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from lookup.ledger.row import ALIASES, COLUMNS, REQUIRED, LedgerRow, parse_row

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
_HEADERS |= ALIASES


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
    source, encoding = _row_source(path)
    header_row, header = _header(source)
    positions, ignored = _column_positions(header, header_row)
    return LedgerFile(
        path=path,
        columns=tuple(positions),
        ignored_headers=tuple(ignored),
        header_row=header_row,
        encoding=encoding,
        _positions=tuple(positions.items()),
        _source=source,
    )


def _row_source(path: Path) -> tuple[Callable[[], RawRows], str | None]:
    """What reads the file's rows, chosen by its content, and the CSV encoding (None for a workbook)."""
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

    # Trust the content over the name: a workbook saved as .csv is still a workbook.
    if magic.startswith(b"PK\x03\x04"):
        return functools.partial(_xlsx_rows, path), None
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        # Excel also wraps a password-protected .xlsx in this container, so name both.
        raise LedgerFormatError("这是旧版Excel（.xls）文件或加密的工作簿：请另存为不加密的.xlsx或CSV")
    if suffix == ".csv":
        encoding = _csv_encoding(path)
        return functools.partial(_csv_rows, path, encoding), encoding
    raise LedgerFormatError("文件不是有效的XLSX文件")


def _header(source: Callable[[], RawRows]) -> tuple[int, list[str]]:
    """(row number, cells) of the first row with anything in it: the header."""
    rows = source()
    try:
        header_row, header = next(((n, cells) for n, cells in rows if any(cells)), (0, []))
    finally:
        rows.close()
    if not header_row:
        raise LedgerFormatError("文件中没有表头（文件为空）")
    return header_row, header


def _column_positions(header: list[str], header_row: int) -> tuple[dict[str, int], list[str]]:
    """({canonical column: index}, headers not recognised); a repeated or missing required column is an error."""
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
    return positions, ignored


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


def parse_rows(ledger: LedgerFile, *, today: date) -> Iterator[tuple[int, LedgerRow] | RowError]:
    """Every data row of a ledger, judged: (row number, row) when good, RowError when not."""
    for number, raw in ledger.rows():
        parsed = parse_row(raw, today=today)
        yield RowError(number, parsed) if isinstance(parsed, list) else (number, parsed)
