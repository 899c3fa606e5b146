"""A believable demo district, seeded through the same ledger import an administrator uses.

Deterministic (fixed random seed) and relative to `today`, so every status on DESIGN.md's table is on
show whenever the demo starts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.geo.coordinates import Point
from lookup.ledger.importer import import_rows
from lookup.ledger.row import LedgerRow, VerificationEntry
from lookup.listing import instrument_entries
from lookup.models import Instrument, Market, Merchant, Station, table_of
from lookup.uscc import uscc_check_char
from lookup.vocab import InstrumentKind, InstrumentState, Sector, Standing, Status

DISTRICT = "鼓楼区"
INSTITUTION = "鼓楼区计量检定所"

STATIONS = {
    "南门市场监管所": ("0591-87650101", "鼓楼区南门路18号"),
    "东街市场监管所": ("0591-87650202", "鼓楼区东街66号"),
    "西湖市场监管所": ("0591-87650303", "鼓楼区湖滨路9号"),
}


@dataclass(frozen=True)
class DemoMarket:
    name: str
    station: str
    address: str
    aliases: tuple[str, ...]
    fair_scale: str
    stalls: int
    goods: tuple[str, ...]
    point: Point  # made up for the demo district, GCJ-02; over a kilometre apart, so each is near only itself


MARKETS = (
    DemoMarket("南门农贸市场", "南门市场监管所", "鼓楼区南门路20号", ("南门菜场", "南门菜市场"),
               "市场东门管理处旁（东门进门右手边）", 50, ("蔬菜", "猪肉", "水果", "禽蛋", "干货", "豆制品"),
               Point(26.0790, 119.2990)),
    DemoMarket("东街菜市场", "东街市场监管所", "鼓楼区东街80号", ("东街市场",),
               "二楼楼梯口公平秤服务台", 38, ("蔬菜", "牛羊肉", "水果", "粮油", "熟食"), Point(26.0880, 119.3030)),
    DemoMarket("西湖水产市场", "西湖市场监管所", "鼓楼区湖滨路31号", ("西湖海鲜市场", "湖滨水产市场"),
               "", 30, ("水产", "海鲜", "冻品"), Point(26.0930, 119.2890)),
)  # fmt: skip

SURNAMES = "张王李赵刘陈杨黄周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁沈"
SCALE_MODELS = (("ACS-15", "东方衡器有限公司"), ("ACS-30", "华南电子衡器厂"), ("TCS-150", "永准衡器有限公司"))


def _uscc(prefix: str, serial: int) -> str:
    first17 = f"{prefix}{serial:07d}"
    return first17 + uscc_check_char(first17)


def _record(rng: random.Random, today: date, status: Status, serial: int) -> VerificationEntry | None:
    if status in (Status.unverified, Status.no_record):
        return None
    if status is Status.expiring:
        valid_until = today + timedelta(days=rng.randint(1, 29))
    elif status is Status.expired:
        valid_until = today - timedelta(days=rng.randint(1, 90))
    else:
        valid_until = today + timedelta(days=rng.randint(60, 330))
    performed_on = valid_until - timedelta(days=365)
    return VerificationEntry(
        performed_on=performed_on,
        valid_until=valid_until,
        passed=status is not Status.failed,
        certificate_no=f"JD{performed_on.year}-{serial:06d}",
        institution=INSTITUTION,
    )


def _pick_status(rng: random.Random) -> Status:
    return rng.choices(
        (Status.valid, Status.expiring, Status.expired, Status.failed, Status.unverified),
        weights=(80, 8, 7, 2, 3),
    )[0]


def demo_rows(today: date) -> Iterator[LedgerRow]:
    rng = random.Random(20261122)  # noqa: S311  (demo data wants repeatability, not secrecy)
    serial = 0

    def row(*, station: str, market: str, merchant: str, uscc: str, sector: Sector, stall: str, address: str,
            kind: InstrumentKind, model: str, manufacturer: str, status: Status | None = None,
            signed: bool = True) -> LedgerRow:  # fmt: skip
        nonlocal serial
        serial += 1
        status = status or _pick_status(rng)
        return LedgerRow(
            station=station, district=DISTRICT, market=market, merchant=merchant, uscc=uscc, sector=sector,
            stall=stall, address=address, kind=kind, model=model, serial_no=f"{model[:3]}{today.year - 3}{serial:05d}",
            manufacturer=manufacturer, pattern_approval=f"{today.year - 6}F{serial % 900 + 100}-35",
            mandatory=status is not Status.no_record, verification=_record(rng, today, status, serial),
            commitment_signed_on=today - timedelta(days=rng.randint(30, 700)) if signed else None,
        )  # fmt: skip

    merchant_no = 0
    for market in MARKETS:
        for stall_no in range(1, market.stalls + 1):
            merchant_no += 1
            goods = rng.choice(market.goods)
            name = f"{SURNAMES[merchant_no % len(SURNAMES)]}记{goods}"
            model, manufacturer = rng.choice(SCALE_MODELS)
            for _ in range(rng.choice((1, 2, 2, 3))):
                yield row(station=market.station, market=market.name, merchant=name,
                          uscc=_uscc("92350102MA", merchant_no), sector=Sector.market, stall=f"{stall_no}号摊位",
                          address=market.address, kind=InstrumentKind.price_scale, model=model,
                          manufacturer=manufacturer, signed=stall_no % 5 != 0)  # fmt: skip
    businesses = (
        ("惠民超市鼓楼店", Sector.supermarket, "东街市场监管所", "鼓楼区东街102号", InstrumentKind.price_scale, 25,
         ("ACS-6", "东方衡器有限公司")),
        ("鼓楼石化加油站", Sector.fuel_station, "西湖市场监管所", "鼓楼区湖滨路88号", InstrumentKind.fuel_dispenser, 12,
         ("JY-4248", "恒通加油设备有限公司")),
        ("明亮眼镜店", Sector.optician, "南门市场监管所", "鼓楼区南门路45号", InstrumentKind.refractometer, 4,
         ("RM-800", "光明医疗仪器有限公司")),
        ("鼓楼社区卫生服务中心", Sector.medical, "东街市场监管所", "鼓楼区东街5号",
         InstrumentKind.blood_pressure_meter, 6,
         ("XJ11D", "康健医疗器械有限公司")),
    )  # fmt: skip
    for number, (name, sector, station, address, kind, count, (model, manufacturer)) in enumerate(businesses, 1):
        for _ in range(count):
            yield row(station=station, market="", merchant=name, uscc=_uscc("91350102MA", number), sector=sector,
                      stall="", address=address, kind=kind, model=model, manufacturer=manufacturer)  # fmt: skip
    yield row(station="东街市场监管所", market="", merchant="鼓楼社区卫生服务中心", uscc=_uscc("91350102MA", 4),
              sector=Sector.medical, stall="", address="鼓楼区东街5号", kind=InstrumentKind.other,
              model="RGZ-120", manufacturer="永准衡器有限公司", status=Status.no_record)  # fmt: skip
    yield from _water_meters(rng, today)


def _water_meters(rng: random.Random, today: date) -> Iterator[LedgerRow]:
    """A water company's household meters, fitted over seven years: some past their six-year term, some due soon,
    one fitted before its first verification."""
    for number in range(1, 11):
        installed = today - timedelta(days=rng.randint(30, 7 * 365))
        verified = installed - timedelta(days=rng.randint(5, 40)) if number != 3 else installed + timedelta(days=20)
        verified = min(verified, today)
        yield LedgerRow(
            station="西湖市场监管所", district=DISTRICT, market="", merchant="鼓楼自来水公司",
            uscc=_uscc("91350102MA", 9), sector=Sector.utility, stall="", address=f"鼓楼区湖滨路{100 + number}号",
            kind=InstrumentKind.water_meter, model="LXS-20", serial_no=f"SB{installed.year}{number:05d}",
            manufacturer="宁水水表有限公司", pattern_approval="2018C211-33", mandatory=True,
            verification=VerificationEntry(verified, verified + timedelta(days=6 * 365), True, f"SB-{number:06d}",
                                           INSTITUTION),
            commitment_signed_on=None, installed_on=installed,
        )  # fmt: skip


async def seed_demo(engine: AsyncEngine, *, today: date, base_url: str) -> list[str]:
    """Seed an empty registry and return lookup URLs worth trying (one per status, and a market page)."""
    async with engine.connect() as connection:
        empty = (await connection.execute(sa.select(table_of(Instrument).c.id).limit(1))).first() is None
    if empty:
        await import_rows(engine, enumerate(demo_rows(today), start=2))
        await _decorate(engine, today)
    shown: dict[Status, str] = {}
    async with engine.connect() as connection:
        async for entry in instrument_entries(connection, on=today):
            shown.setdefault(entry.status, entry.code)
        market_id = (await connection.execute(sa.select(sa.func.min(table_of(Market).c.id)))).scalar()
    urls = [f"{base_url}/i/{code}   ({status.value})" for status, code in shown.items()]
    if market_id is not None:
        urls.append(f"{base_url}/m/{market_id}   (market)")
    return urls


# The demo's merchants of note: standing, how many days ago it was set, and why (the words a supervisor would write).
STANDINGS = {
    1: (Standing.model, 400, "计量器具台账齐全，检定全部在有效期内，设有自助复秤点。"),
    2: (Standing.model, 380, "连续三年无计量投诉，主动公示诚信计量承诺。"),
    7: (Standing.red_list, 120, "全年复秤抽查零差错，消费者评价满意率高。"),
    41: (Standing.red_list, 300, "主动更换老旧计价秤并送检，配合开展计量宣传。"),
    11: (Standing.black_list, 45, "电子计价秤加装遥控作弊装置，经现场检查查实并立案处罚。"),
    50: (Standing.black_list, 200, "一年内三次使用超过检定周期的计价秤，责令整改后再次发现。"),
}


async def _decorate(engine: AsyncEngine, today: date) -> None:
    """What a ledger does not carry: fair scales, aliases, phones, standings, handlers' suspensions."""
    station_t, market_t, merchant_t, instrument_t = (
        table_of(Station), table_of(Market), table_of(Merchant), table_of(Instrument)
    )  # fmt: skip
    async with engine.begin() as connection:
        for name, (phone, address) in STATIONS.items():
            await connection.execute(
                sa.update(station_t).where(station_t.c.name == name).values(phone=phone, address=address)
            )
        for market in MARKETS:
            await connection.execute(
                sa.update(market_t)
                .where(market_t.c.name == market.name)
                .values(
                    aliases=list(market.aliases),
                    fair_scale_location=market.fair_scale,
                    address=market.address,
                    latitude=market.point.latitude,
                    longitude=market.point.longitude,
                )
            )
        for number, (standing, days_ago, reason) in STANDINGS.items():
            # The lists publish when and why (README: both are required): a listed merchant never lacks them.
            await connection.execute(
                sa.update(merchant_t)
                .where(merchant_t.c.uscc == _uscc("92350102MA", number))
                .values(standing=standing, standing_since=today - timedelta(days=days_ago), standing_reason=reason)
            )
        ids = (await connection.execute(sa.select(instrument_t.c.id).order_by(instrument_t.c.id))).scalars().all()
        for position, state in ((5, InstrumentState.suspended), (77, InstrumentState.suspended),
                                (140, InstrumentState.retired)):  # fmt: skip
            await connection.execute(
                sa.update(instrument_t).where(instrument_t.c.id == ids[position]).values(state=state)
            )
