"""The registry's closed vocabularies.

Each value is a stable code: the database stores it, the JSON API returns it, the message catalogues
translate it. The Chinese names are what ledgers (强检台账) are written in, so every vocabulary maps its
Chinese name (and a few spellings people actually use) back to its code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class InstrumentKind(StrEnum):
    price_scale = "price_scale"  # 电子计价秤
    platform_scale = "platform_scale"  # 台案秤
    weighbridge = "weighbridge"  # 地秤
    fuel_dispenser = "fuel_dispenser"  # 加油机
    gas_dispenser = "gas_dispenser"  # 加气机
    ev_charger = "ev_charger"  # 充电桩
    taxi_meter = "taxi_meter"  # 出租车计价器
    refractometer = "refractometer"  # 验光仪
    blood_pressure_meter = "blood_pressure_meter"  # 血压计
    water_meter = "water_meter"  # 水表
    electricity_meter = "electricity_meter"  # 电能表
    gas_meter = "gas_meter"  # 燃气表
    heat_meter = "heat_meter"  # 热量表
    other = "other"  # 其他


class Sector(StrEnum):
    """The sectors of the monthly inspection report (计量检查月报表)."""

    market = "market"  # 集贸市场
    supermarket = "supermarket"  # 超市卖场
    restaurant = "restaurant"  # 餐饮饭店
    fuel_station = "fuel_station"  # 加油站
    optician = "optician"  # 眼镜制配
    medical = "medical"  # 医疗机构
    taxi = "taxi"  # 出租车
    utility = "utility"  # 公用事业
    other = "other"  # 其他


class Standing(StrEnum):
    model = "model"  # 示范单位
    ordinary = "ordinary"  # 一般
    red_list = "red_list"  # 红榜
    black_list = "black_list"  # 黑榜


class InstrumentState(StrEnum):
    in_use = "in_use"  # 在用
    suspended = "suspended"  # 停用
    retired = "retired"  # 报废


class VerificationKind(StrEnum):
    verification = "verification"  # 检定
    calibration = "calibration"  # 校准


class Status(StrEnum):
    """What a scan shows (DESIGN.md, "Instrument status")."""

    valid = "valid"
    expiring = "expiring"
    expired = "expired"
    failed = "failed"
    unverified = "unverified"
    # Not in DESIGN.md's table, which is silent on an instrument outside compulsory verification with no
    # record: calling it "unverified" (red) would accuse an honest merchant, so it gets its own grey status.
    no_record = "no_record"
    suspended = "suspended"
    retired = "retired"


KIND_NAMES_ZH: dict[InstrumentKind, str] = {
    InstrumentKind.price_scale: "电子计价秤",
    InstrumentKind.platform_scale: "台案秤",
    InstrumentKind.weighbridge: "地秤",
    InstrumentKind.fuel_dispenser: "加油机",
    InstrumentKind.gas_dispenser: "加气机",
    InstrumentKind.ev_charger: "充电桩",
    InstrumentKind.taxi_meter: "出租车计价器",
    InstrumentKind.refractometer: "验光仪",
    InstrumentKind.blood_pressure_meter: "血压计",
    InstrumentKind.water_meter: "水表",
    InstrumentKind.electricity_meter: "电能表",
    InstrumentKind.gas_meter: "燃气表",
    InstrumentKind.heat_meter: "热量表",
    InstrumentKind.other: "其他",
}

SECTOR_NAMES_ZH: dict[Sector, str] = {
    Sector.market: "集贸市场",
    Sector.supermarket: "超市卖场",
    Sector.restaurant: "餐饮饭店",
    Sector.fuel_station: "加油站",
    Sector.optician: "眼镜制配",
    Sector.medical: "医疗机构",
    Sector.taxi: "出租车",
    Sector.utility: "公用事业",
    Sector.other: "其他",
}

STANDING_NAMES_ZH: dict[Standing, str] = {
    Standing.model: "示范单位",
    Standing.ordinary: "一般",
    Standing.red_list: "红榜",
    Standing.black_list: "黑榜",
}

# Spellings seen in real ledgers besides the official names.
_KIND_ALIASES: dict[str, InstrumentKind] = {
    "计价秤": InstrumentKind.price_scale,
    "电子秤": InstrumentKind.price_scale,
    "电子计价称": InstrumentKind.price_scale,
    "台秤": InstrumentKind.platform_scale,
    "案秤": InstrumentKind.platform_scale,
    "电子台案秤": InstrumentKind.platform_scale,
    "汽车衡": InstrumentKind.weighbridge,
    "燃油加油机": InstrumentKind.fuel_dispenser,
    "加油枪": InstrumentKind.fuel_dispenser,
    "CNG加气机": InstrumentKind.gas_dispenser,
    "LNG加气机": InstrumentKind.gas_dispenser,
    "电动汽车充电桩": InstrumentKind.ev_charger,
    "充电机": InstrumentKind.ev_charger,
    "计价器": InstrumentKind.taxi_meter,
    "电脑验光仪": InstrumentKind.refractometer,
    "验光机": InstrumentKind.refractometer,
    "电子血压计": InstrumentKind.blood_pressure_meter,
    "血压表": InstrumentKind.blood_pressure_meter,
    "电表": InstrumentKind.electricity_meter,
    "电能表（电表）": InstrumentKind.electricity_meter,
    "煤气表": InstrumentKind.gas_meter,
    "热能表": InstrumentKind.heat_meter,
}

_SECTOR_ALIASES: dict[str, Sector] = {
    "农贸市场": Sector.market,
    "集市": Sector.market,
    "超市": Sector.supermarket,
    "商场": Sector.supermarket,
    "餐饮": Sector.restaurant,
    "饭店": Sector.restaurant,
    "眼镜店": Sector.optician,
    "眼镜": Sector.optician,
    "医院": Sector.medical,
    "诊所": Sector.medical,
    "药店": Sector.medical,
    "出租汽车": Sector.taxi,
}


def _lookup_table(enum: type[E], names_zh: dict[E, str], aliases: dict[str, E]) -> dict[str, E]:
    table: dict[str, E] = {member.value.lower(): member for member in enum}
    table.update({name: member for member, name in names_zh.items()})
    table.update(aliases)
    return table


_KINDS = _lookup_table(InstrumentKind, KIND_NAMES_ZH, _KIND_ALIASES)
_SECTORS = _lookup_table(Sector, SECTOR_NAMES_ZH, _SECTOR_ALIASES)


def _normalise(text: str) -> str:
    return text.strip().replace(" ", "").replace("\u3000", "")


def parse_kind(text: str) -> InstrumentKind | None:
    """The kind named by a ledger cell (Chinese name, alias or code), or None when unknown."""
    cleaned = _normalise(text)
    return _KINDS.get(cleaned) or _KINDS.get(cleaned.lower())


def parse_sector(text: str) -> Sector | None:
    cleaned = _normalise(text)
    return _SECTORS.get(cleaned) or _SECTORS.get(cleaned.lower())
