"""The other codes an instrument already carries, and the rules the ledger applies to them.

- **GTIN** (商品条码, GS1 AI 01) with the instrument's **GS1 serial** (序列号, AI 21): together they name one
  instrument (a GTIN alone names a product). The GTIN's mod-10 check digit is verified (by `biip`) and the GTIN is
  stored as 14 digits, as GS1 Digital Link writes it; the serial must be 1 to 20 characters of GS1's character set
  82 (GS1 General Specifications, figure 7.11-1). Either one without the other is a row error.
- **识别编码** (GB/T 36377-2018 计量器具识别编码): the standard's structure and check character are not applied
  here (its text is not held by the project). The code is stored as written, with spaces removed and letters
  upper-cased; one that is not 6 to 64 letters, digits or ``-./`` is imported and *flagged*, never rejected.
- **资产编号** (a meter's asset number from the grid, water or gas company): no public check character is known;
  stored the same way and flagged, never rejected, when it is not 6 to 64 letters, digits or ``-``.

Each code names at most one instrument (a unique index each; the importer names both instruments of a clash).
"""

from __future__ import annotations

import re
import unicodedata

from biip import ParseError
from biip.gtin import Gtin

ID_CODE_MAX = 64
ASSET_NO_MAX = 64
GS1_SERIAL_MAX = 20

# GS1 AI encodable character set 82: the characters an AI 21 serial may hold.
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
_ID_CODE_SHAPE = re.compile(r"[0-9A-Z\-./]{6,64}")
_ASSET_NO_SHAPE = re.compile(r"[0-9A-Z\-]{6,64}")
_GTIN_LENGTHS = (8, 12, 13, 14)


def normalise_plain(text: str) -> str:
    """A typed or written code as stored: full-width folded, every space removed, letters upper-cased."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def gtin14(text: str) -> str | None:
    """A GTIN-8, -12, -13 or -14 as the 14 digits of AI 01, or None when it is not one (wrong length, not digits,
    or a check digit that fails GS1's mod-10)."""
    digits = "".join(unicodedata.normalize("NFKC", text).split())
    if not digits.isascii() or not digits.isdigit() or len(digits) not in _GTIN_LENGTHS:
        return None
    try:
        return Gtin.parse(digits).as_gtin_14()
    except ParseError:
        return None


def gtin_problem(text: str) -> str | None:
    """Why a ledger's 商品条码 is not a GTIN (for the row's reasons), or None when it is one."""
    digits = "".join(unicodedata.normalize("NFKC", text).split())
    if not digits.isascii() or not digits.isdigit() or len(digits) not in _GTIN_LENGTHS:
        return f"商品条码应为8、12、13或14位数字：{text}"
    if gtin14(digits) is None:
        return f"商品条码校验位错误（GS1模10）：{text}"
    return None


def gs1_serial_problem(text: str) -> str | None:
    if not _CSET82.fullmatch(text):
        return f"序列号应为1至20个GS1允许的字符（字母、数字和部分符号，不含空格和汉字）：{text}"
    return None


def id_code_flag(code: str) -> str | None:
    """A notice (never a rejection) for a 识别编码 of an unusual shape."""
    if not _ID_CODE_SHAPE.fullmatch(code):
        return f"识别编码“{code}”不是常见的形式（6至64位字母、数字或-./），已导入，请核对"
    return None


def asset_no_flag(code: str) -> str | None:
    """A notice (never a rejection) for a 资产编号 of an unusual shape."""
    if not _ASSET_NO_SHAPE.fullmatch(code):
        return f"资产编号“{code}”不是常见的形式（6至64位字母、数字或-），已导入，请核对"
    return None
