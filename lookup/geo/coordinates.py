"""Coordinates, and the one datum they are stored and compared in: GCJ-02.

Maps in China (Gaode/AMap, Tencent, WeChat's location messages) give GCJ-02, the datum that national rules require
of published maps; GPS and Telegram give WGS-84, which is offset from it by some 300–700 m inside China — more than
the distance that makes a market "near". So markets are stored in GCJ-02 (as an administrator reads them off a
Chinese map), and a WGS-84 point is converted on its way in with the standard published formula (Krasovsky 1940
ellipsoid), which leaves points outside China as they are. Baidu's maps give BD-09, GCJ-02 shifted once more (some
600–800 m): an administrator who read a market off Baidu says so (the ledger's 坐标系 column, the admin page's
choice), and the point is brought back with Baidu's own published inverse.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# The published formula's own box for "inside China": outside it WGS-84 and GCJ-02 coincide. The same box bounds
# what a ledger or an administrator may give: a market outside it is a typo (latitude and longitude swapped, a
# sign dropped, a Baidu or projected coordinate).
MIN_LATITUDE, MAX_LATITUDE = 0.8293, 55.8271
MIN_LONGITUDE, MAX_LONGITUDE = 72.004, 137.8347
EARTH_RADIUS_M = 6_371_008.8  # the mean radius: distances of a few hundred metres, not surveying

_KRASOVSKY_A = 6_378_245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD09_X_PI = math.pi * 3000.0 / 180.0
_NUMBER = r"[-+]?\d{1,3}(?:\.\d+)?"
_PAIR = re.compile(rf"\s*({_NUMBER})\s*[,，;；\s]\s*({_NUMBER})\s*")


@dataclass(frozen=True, slots=True)
class Point:
    """A place in GCJ-02, degrees."""

    latitude: float
    longitude: float

    def __str__(self) -> str:
        return f"{self.latitude:.6f},{self.longitude:.6f}"


def in_china(latitude: float, longitude: float) -> bool:
    return MIN_LATITUDE <= latitude <= MAX_LATITUDE and MIN_LONGITUDE <= longitude <= MAX_LONGITUDE


def _shift_latitude(x: float, y: float) -> float:
    shift = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    shift += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    shift += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return shift


def _shift_longitude(x: float, y: float) -> float:
    shift = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    shift += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    shift += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return shift


def from_wgs84(latitude: float, longitude: float) -> Point:
    """A WGS-84 point (GPS, Telegram) in GCJ-02."""
    if not in_china(latitude, longitude):
        return Point(latitude, longitude)
    x, y = longitude - 105.0, latitude - 35.0
    d_lat, d_lon = _shift_latitude(x, y), _shift_longitude(x, y)
    radians = latitude / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(radians) ** 2
    root = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * root) * math.pi)
    d_lon = (d_lon * 180.0) / (_KRASOVSKY_A / root * math.cos(radians) * math.pi)
    return Point(latitude + d_lat, longitude + d_lon)


def from_gcj02(latitude: float, longitude: float) -> Point:
    """A GCJ-02 point (WeChat, Gaode, Tencent maps), as it is."""
    return Point(latitude, longitude)


def from_bd09(latitude: float, longitude: float) -> Point:
    """A BD-09 point (Baidu maps) in GCJ-02."""
    x, y = longitude - 0.0065, latitude - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _BD09_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD09_X_PI)
    return Point(z * math.sin(theta), z * math.cos(theta))


# What a ledger or an administrator may call each datum (case, spaces and hyphens aside); none named: GCJ-02.
DATUMS = {
    **dict.fromkeys(("gcj02", "火星坐标", "火星坐标系", "高德", "腾讯"), from_gcj02),
    **dict.fromkeys(("bd09", "bd09ll", "百度"), from_bd09),
    **dict.fromkeys(("wgs84", "gps"), from_wgs84),
}


def _datum_key(name: str) -> str:
    return "".join(name.split()).replace("-", "").replace("_", "").lower().removesuffix("地图")


def distance_m(a: Point, b: Point) -> float:
    """The great-circle distance in metres (haversine)."""
    lat_a, lat_b = math.radians(a.latitude), math.radians(b.latitude)
    d_lat, d_lon = lat_b - lat_a, math.radians(b.longitude - a.longitude)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _degrees(text: str, name: str, low: float, high: float, reasons: list[str]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        reasons.append(f"无法识别的{name}：{text}（应为十进制度数，如 26.0790）")
        return None
    if not math.isfinite(value) or not low <= value <= high:
        reasons.append(f"{name}超出中国范围：{text}（应在 {low} 到 {high} 之间）")
        return None
    return value


def parse_coordinates(latitude: str, longitude: str, pair: str = "", datum: str = "") -> tuple[Point | None, list[str]]:
    """The point that cells give, in GCJ-02, with every reason it cannot be taken (in Chinese).

    ``latitude`` and ``longitude`` (纬度, 经度) or ``pair`` (坐标, "纬度,经度"), in ``datum`` (坐标系: GCJ-02 when
    empty, BD-09 or WGS-84, see DATUMS); all empty: no point and no reason."""
    latitude, longitude, pair = latitude.strip(), longitude.strip(), pair.strip()
    convert = DATUMS.get(_datum_key(datum)) if datum.strip() else from_gcj02
    if convert is None:
        return None, [f"无法识别的坐标系：{datum.strip()}（可填 GCJ-02（高德、腾讯）、BD-09（百度）或 WGS-84（GPS））"]
    reasons: list[str] = []
    if pair:
        if latitude or longitude:
            return None, ["坐标与纬度、经度只填一种"]
        match = _PAIR.fullmatch(pair)
        if match is None:
            return None, [f"无法识别的坐标：{pair}（应为“纬度,经度”，如 26.0790,119.2990）"]
        latitude, longitude = match[1], match[2]
    if not latitude and not longitude:
        return None, []
    if not latitude or not longitude:
        return None, ["纬度和经度须同时填写"]
    lat = _degrees(latitude, "纬度", MIN_LATITUDE, MAX_LATITUDE, reasons)
    lon = _degrees(longitude, "经度", MIN_LONGITUDE, MAX_LONGITUDE, reasons)
    if lat is None or lon is None:
        return None, reasons
    return convert(lat, lon), []
