"""One row of an instrument ledger (强检台账): its columns, how it is judged (:func:`parse_row`, which gives
every reason a row cannot be imported), and the validated row the importer writes (:class:`LedgerRow`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from lookup.codes.rules import (
    ASSET_NO_MAX,
    ID_CODE_MAX,
    asset_no_flag,
    gs1_serial_problem,
    gtin14,
    gtin_problem,
    id_code_flag,
    normalise_plain,
)
from lookup.free_text import clean_line
from lookup.geo.coordinates import Point, parse_coordinates
from lookup.legal_use import USE_NAMES_ZH, LegalUse, parse_use
from lookup.uscc import is_valid_uscc, is_well_formed_uscc, normalise_uscc
from lookup.vocab import InstrumentKind, Sector, parse_kind, parse_sector


@dataclass(frozen=True, slots=True)
class VerificationEntry:
    performed_on: date
    valid_until: date
    passed: bool
    certificate_no: str
    institution: str


@dataclass(frozen=True, slots=True)
class LedgerRow:
    station: str
    district: str
    market: str  # "" when the merchant is not in a market (a petrol station, a clinic)
    merchant: str
    uscc: str  # validated, upper case
    sector: Sector
    stall: str
    address: str
    kind: InstrumentKind
    model: str
    serial_no: str
    manufacturer: str
    pattern_approval: str
    mandatory: bool
    verification: VerificationEntry | None
    commitment_signed_on: date | None
    # Optional columns: None or "" when the file does not state them, which leaves the registry's value as it is.
    installed_on: date | None = None  # a household meter's installation date (安装日期)
    grade: str = ""  # a restaurant's grade (餐饮等级): A, B or C
    legal_use: LegalUse | None = None  # 用途; None leaves the registry's (a new instrument: the kind's default)
    # Private (staff only, and where the merchant's link is sent): 联系电话 and 负责人.
    contact_phone: str = ""
    contact_person: str = ""
    # The other codes the instrument carries (lookup/codes/rules.py), normalised; "" when not stated, which
    # leaves the registry's. The GTIN (14 digits) and the GS1 serial come together or not at all.
    id_code: str = ""
    gtin: str = ""
    gs1_serial: str = ""
    asset_no: str = ""
    # Where the row's market is (纬度/经度 or 坐标, in GCJ-02 whatever 坐标系 the row gave); None when not stated, which
    # leaves the registry's.
    market_point: Point | None = None
    # Notices about this row that do not stop its import (a code whose rule is unknown and whose shape is unusual).
    flags: tuple[str, ...] = ()


# fmt: off
COLUMNS: dict[str, str] = {
    "station": "管辖所", "district": "区", "market": "市场", "merchant": "经营者",
    "uscc": "统一社会信用代码", "sector": "行业", "stall": "摊位号", "address": "地址",
    "kind": "器具名称", "model": "型号", "serial_no": "出厂编号", "manufacturer": "制造单位",
    "pattern_approval": "型式批准号", "mandatory": "强检", "verified_on": "检定日期",
    "valid_until": "有效期至", "result": "检定结论", "certificate_no": "证书编号",
    "institution": "检定机构", "commitment_signed_on": "承诺日期", "installed_on": "安装日期",
    "grade": "餐饮等级", "use": "用途", "contact_phone": "联系电话", "contact_person": "负责人",
    "id_code": "识别编码", "gtin": "商品条码", "gs1_serial": "序列号", "asset_no": "资产编号",
    "latitude": "纬度", "longitude": "经度", "coordinates": "坐标", "datum": "坐标系",
}
# Other headers ledgers use for the optional contact columns, English and Chinese.
ALIASES: dict[str, str] = {
    "phone": "contact_phone", "telephone": "contact_phone", "mobile": "contact_phone", "电话": "contact_phone",
    "手机": "contact_phone", "手机号": "contact_phone", "联系方式": "contact_phone",
    "person": "contact_person", "contactperson": "contact_person",
    "personincharge": "contact_person", "联系人": "contact_person", "负责人姓名": "contact_person",
    # The instrument's other codes.
    "计量器具识别编码": "id_code", "identificationcode": "id_code", "gb/t36377": "id_code",
    "gtin": "gtin", "全球贸易项目代码": "gtin", "gs1序列号": "gs1_serial", "serial(ai21)": "gs1_serial",
    "assetnumber": "asset_no", "资产号": "asset_no", "表计资产编号": "asset_no",
    # Where the market is.
    "lat": "latitude", "lon": "longitude", "lng": "longitude", "经纬度": "coordinates", "市场坐标": "coordinates",
    "坐标类型": "datum", "coordinatesystem": "datum", "crs": "datum",
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
GRADES = ("A", "B", "C")
_PASSED = frozenset({"合格", "pass", "passed", "qualified", "是"})
_FAILED = frozenset({"不合格", "fail", "failed", "unqualified", "否"})


_DATE_SEPARATED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_EXCEL_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
# Excel's day 0 is 1899-12-30 once its fictitious 1900-02-29 is accounted for (all serials past 60).
_EXCEL_EPOCH = date(1899, 12, 30)
# A mainland mobile or landline as ledgers write it: digits with spaces, dashes, brackets or a leading +86.
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{5,22}[0-9]")


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
    values = {name: clean_line(value) for name, value in raw.items()}
    get = values.get
    reasons = _shape_problems(values)
    uscc = _uscc_field(values, reasons)
    kind = _kind_field(values, reasons)
    sector = _sector_field(values, reasons)
    mandatory = _mandatory_field(values, kind, reasons)
    verification = _verification_fields(values, today, reasons)
    signed_on = _date_field(values, "commitment_signed_on", reasons)
    if signed_on and signed_on > today:
        reasons.append(f"承诺日期晚于今天：{signed_on.isoformat()}")
    installed_on = _date_field(values, "installed_on", reasons)
    if installed_on and installed_on > today:
        reasons.append(f"安装日期晚于今天：{installed_on.isoformat()}")
    grade = _grade_field(values, reasons)
    legal_use = _use_field(values, reasons)
    phone = values.get("contact_phone", "")
    if phone and not _PHONE.fullmatch(phone):
        reasons.append(f"无法识别的联系电话：{phone}")

    codes = _code_fields(values, reasons)
    point, problems = parse_coordinates(
        get("latitude", ""), get("longitude", ""), get("coordinates", ""), get("datum", "")
    )
    reasons.extend(problems)
    # A merchant outside a market has no place of its own in the registry: its row is kept, the point is not.
    unplaced = ("坐标只记在市场上：本行没有市场，坐标未导入",) if point and not get("market") else ()
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
        installed_on=installed_on,
        grade=grade,
        legal_use=legal_use,
        contact_phone=phone,
        contact_person=get("contact_person", ""),
        id_code=codes.id_code,
        gtin=codes.gtin,
        gs1_serial=codes.gs1_serial,
        asset_no=codes.asset_no,
        market_point=point if get("market") else None,
        flags=codes.flags + unplaced,
    )


@dataclass(frozen=True, slots=True)
class _Codes:
    id_code: str = ""
    gtin: str = ""
    gs1_serial: str = ""
    asset_no: str = ""
    flags: tuple[str, ...] = ()


def _code_fields(values: Mapping[str, str], reasons: list[str]) -> _Codes:
    """The instrument's other codes, by the rules of lookup/codes/rules.py: a broken GTIN or serial is a
    reason; a 识别编码 or 资产编号 of an unusual shape is only flagged (no check rule for them is known here)."""
    id_code = normalise_plain(values.get("id_code", ""))
    asset_no = normalise_plain(values.get("asset_no", ""))
    gtin_text, serial = values.get("gtin", ""), values.get("gs1_serial", "")
    gtin = ""
    if gtin_text and (problem := gtin_problem(gtin_text)):
        reasons.append(problem)
    elif gtin_text:
        gtin = gtin14(gtin_text) or ""
    if serial and (problem := gs1_serial_problem(serial)):
        reasons.append(problem)
    if bool(gtin_text) != bool(serial):
        reasons.append("商品条码和序列号须同时填写（商品条码只代表一种产品，加上序列号才代表这一台器具）")
    if len(id_code) > ID_CODE_MAX or len(asset_no) > ASSET_NO_MAX:
        reasons.append(f"识别编码或资产编号过长（最多{ID_CODE_MAX}个字符）")
    flags = [flag for flag in (id_code and id_code_flag(id_code), asset_no and asset_no_flag(asset_no)) if flag]
    return _Codes(id_code, gtin, serial, asset_no, tuple(flags))


def _shape_problems(values: Mapping[str, str]) -> list[str]:
    """Cells too long for the registry, and required columns left empty."""
    reasons: list[str] = []
    for name, value in values.items():
        if len(value) > MAX_LENGTH:
            reasons.append(f"{COLUMNS.get(name, name)}过长（{len(value)}个字符，最多{MAX_LENGTH}个）")
    reasons.extend(f"缺少{COLUMNS[name]}" for name in REQUIRED if not values.get(name))
    return reasons


def _uscc_field(values: Mapping[str, str], reasons: list[str]) -> str:
    """The merchant's credit code, normalised; empty when the cell is (a reason is already given for that)."""
    text = values.get("uscc", "")
    code, problem = _check_uscc(text) if text else ("", None)
    if problem:
        reasons.append(problem)
    return code


def _grade_field(values: Mapping[str, str], reasons: list[str]) -> str:
    """A restaurant's grade, A, B or C (the letter alone or with 级); "" when the cell is empty."""
    text = values.get("grade", "").upper().removesuffix("级")
    if text and text not in GRADES:
        reasons.append(f"无法识别的餐饮等级：{values.get('grade', '')}（应为A、B或C）")
        return ""
    return text


def _kind_field(values: Mapping[str, str], reasons: list[str]) -> InstrumentKind | None:
    text = values.get("kind", "")
    kind = parse_kind(text) if text else None
    if text and kind is None:
        reasons.append(f"未知的器具名称：{text}")
    return kind


def _sector_field(values: Mapping[str, str], reasons: list[str]) -> Sector | None:
    """The sector as written; left empty, a merchant in a market trades in the market sector, any other in 其他."""
    text = values.get("sector", "")
    sector = parse_sector(text) if text else Sector.market if values.get("market") else Sector.other
    if sector is None:
        reasons.append(f"未知的行业：{text}")
    return sector


def _mandatory_field(values: Mapping[str, str], kind: InstrumentKind | None, reasons: list[str]) -> bool | None:
    """Whether compulsory verification applies: as written, or else for every kind of instrument but 其他."""
    text = values.get("mandatory", "")
    if not text:
        return kind is not InstrumentKind.other
    key = text.lower()
    mandatory = True if key in _YES else False if key in _NO else None
    if mandatory is None:
        reasons.append(f"无法识别的强检标志：{text}（应为是或否）")
    return mandatory


def _verification_fields(values: Mapping[str, str], today: date, reasons: list[str]) -> VerificationEntry | None:
    """The row's verification, when it claims one and all of it is sound; None when it claims none.

    A claim of a verification needs its date, validity and result, each readable and consistent with the others.
    """
    get = values.get
    if not any(get(name) for name in _VERIFICATION_ANY):
        return None
    before = len(reasons)
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
    passed = _result_field(values, reasons)
    if len(reasons) > before or not verified_on or not valid_until or passed is None:
        return None
    return VerificationEntry(
        performed_on=verified_on,
        valid_until=valid_until,
        passed=passed,
        certificate_no=get("certificate_no", ""),
        institution=get("institution", ""),
    )


def _result_field(values: Mapping[str, str], reasons: list[str]) -> bool | None:
    """Whether the verification passed; None when the cell is empty or unreadable (then with a reason)."""
    text = values.get("result", "")
    key = text.lower()
    passed = True if key in _PASSED else False if key in _FAILED else None
    if text and passed is None:
        reasons.append(f"无法识别的检定结论：{text}（应为合格或不合格）")
    return passed


def _use_field(values: Mapping[str, str], reasons: list[str]) -> LegalUse | None:
    """The instrument's field of use (用途); None when the cell is empty."""
    text = values.get("use", "")
    if not text:
        return None
    use = parse_use(text)
    if use is None:
        reasons.append(f"无法识别的用途：{text}（应为{'、'.join(USE_NAMES_ZH.values())}之一）")
    return use
