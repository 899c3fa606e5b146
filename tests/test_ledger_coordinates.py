"""Markets' coordinates from the ledger's optional columns (纬度/经度, or one 坐标 "lat,lon", with 坐标系 when not read
off Gaode or Tencent): taken when sound, each bad row named with its reason, kept when a later ledger leaves them out;
and the one datum they are stored and compared in, GCJ-02 (WGS-84 and Baidu's BD-09 converted by their published
formulas)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.geo.coordinates import (
    MAX_LATITUDE,
    MAX_LONGITUDE,
    MIN_LONGITUDE,
    Point,
    distance_m,
    from_bd09,
    from_wgs84,
)
from lookup.geo.nearest import nearest_market
from lookup.ledger.importer import import_ledger
from tests.support import TODAY
from tests.test_ledger_import import HEADERS_ZH, good_line


def write(path: Path, extra: list[str], lines: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([*HEADERS_ZH, *extra])
        writer.writerows(lines)
    return path


def in_market(n: int, market: str, *cells: str) -> list[str]:
    line = good_line(n)
    line[2] = market
    return [*line, *cells]


async def points(engine: AsyncEngine) -> dict[str, tuple[float | None, float | None]]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT name, latitude, longitude FROM market"))
        return {name: (latitude, longitude) for name, latitude, longitude in rows}


async def test_latitude_and_longitude_place_the_market_and_a_later_ledger_without_them_keeps_it(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    ledger = write(tmp_path / "台账.csv", ["纬度", "经度"], [
        in_market(1, "南门农贸市场", "26.0790", "119.2990"),
        in_market(2, "南门农贸市场", "", ""),  # another stall of the same market: the market keeps its point
        in_market(3, "东街菜市场", " 26.088 ", "119.303"),
    ])  # fmt: skip
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, report.rejected) == (3, [])
    assert await points(engine) == {"南门农贸市场": (26.079, 119.299), "东街菜市场": (26.088, 119.303)}

    again = await import_ledger(engine, ledger, today=TODAY)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    await import_ledger(engine, write(tmp_path / "again.csv", [], [good_line(1)]), today=TODAY)
    assert (await points(engine))["南门农贸市场"] == (26.079, 119.299)

    async with engine.connect() as connection:
        near = await nearest_market(connection, Point(26.0795, 119.2992))
    assert near is not None
    assert (near.name, near.station, round(near.distance_m, -1)) == ("南门农贸市场", "南门市场监管所", 60)


async def test_one_coordinates_column_is_read_in_the_ways_people_write_it(engine: AsyncEngine, tmp_path: Path) -> None:
    ledger = write(tmp_path / "坐标.csv", ["坐标"], [
        in_market(1, "南门农贸市场", "26.0790,119.2990"),
        in_market(2, "东街菜市场", "26.088， 119.303"),
        in_market(3, "西湖水产市场", "26.093 119.289"),
    ])  # fmt: skip
    report = await import_ledger(engine, ledger, today=TODAY)
    assert (report.added, report.rejected) == (3, [])
    assert await points(engine) == {
        "南门农贸市场": (26.079, 119.299), "东街菜市场": (26.088, 119.303), "西湖水产市场": (26.093, 119.289),
    }  # fmt: skip


async def test_coordinates_outside_china_are_refused_with_the_row_and_the_column(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    ledger = write(tmp_path / "range.csv", ["纬度", "经度"], [
        in_market(1, "南门农贸市场", "26.0790", "119.2990"),
        in_market(2, "东街菜市场", "119.303", "26.088"),  # swapped
        in_market(3, "西湖水产市场", "-26.093", "119.289"),  # a sign
        in_market(4, "北门市场", "48.85", "2.35"),  # Paris
    ])  # fmt: skip
    report = await import_ledger(engine, ledger, today=TODAY)
    assert report.added == 1
    reasons = {error.row: " ".join(error.reasons) for error in report.rejected}
    assert sorted(reasons) == [3, 4, 5]
    assert "纬度超出中国范围：119.303" in reasons[3]
    assert "经度超出中国范围：26.088" in reasons[3]
    assert "纬度超出中国范围：-26.093" in reasons[4]
    assert "经度超出中国范围：2.35" in reasons[5]
    assert await points(engine) == {"南门农贸市场": (26.079, 119.299)}


async def test_malformed_coordinates_are_refused_and_a_merchant_outside_a_market_keeps_its_row(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    ledger = write(tmp_path / "bad.csv", ["纬度", "经度", "坐标"], [
        in_market(1, "南门农贸市场", "北纬26度", "119.299", ""),
        in_market(2, "东街菜市场", "26.088", "", ""),
        in_market(3, "西湖水产市场", "26.093", "119.289", "26.093,119.289"),
        in_market(4, "北门市场", "", "", "26.1/119.3"),
        in_market(5, "", "26.07", "119.31", ""),  # a petrol station: no market to place
    ])  # fmt: skip
    report = await import_ledger(engine, ledger, today=TODAY)
    reasons = {error.row: " ".join(error.reasons) for error in report.rejected}
    assert "无法识别的纬度：北纬26度" in reasons[2]
    assert "纬度和经度须同时填写" in reasons[3]
    assert "坐标与纬度、经度只填一种" in reasons[4]
    assert "无法识别的坐标：26.1/119.3" in reasons[5]
    assert sorted(reasons) == [2, 3, 4, 5]
    assert report.added == 1
    assert report.notices == ["第6行：坐标只记在市场上：本行没有市场，坐标未导入"]
    assert await points(engine) == {}


@pytest.mark.parametrize(
    ("wgs84", "gcj02"),
    [((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
     ((39.891082, 116.396135), (39.89248436758296, 116.40237600938156))],
)  # fmt: skip
def test_wgs84_converts_to_gcj02_by_the_published_formula(
    wgs84: tuple[float, float], gcj02: tuple[float, float]
) -> None:
    converted = from_wgs84(*wgs84)
    assert converted.latitude == pytest.approx(gcj02[0], abs=1e-6)
    assert converted.longitude == pytest.approx(gcj02[1], abs=1e-6)
    # Inside China the datums differ by more than "near": unconverted, a shopper at a market would not find it.
    assert distance_m(Point(*wgs84), converted) > 500
    assert from_wgs84(48.8566, 2.3522) == Point(48.8566, 2.3522)  # outside China the datums coincide


def to_bd09(gcj02: Point) -> Point:
    """Baidu's published forward formula (GCJ-02 to BD-09), written here apart from the code under test."""
    x, y = gcj02.longitude, gcj02.latitude
    z = math.sqrt(x * x + y * y) + 0.00002 * math.sin(y * math.pi * 3000.0 / 180.0)
    theta = math.atan2(y, x) + 0.000003 * math.cos(x * math.pi * 3000.0 / 180.0)
    return Point(z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065)


@given(
    st.floats(min_value=18.0, max_value=MAX_LATITUDE - 1),
    st.floats(min_value=MIN_LONGITUDE + 1, max_value=MAX_LONGITUDE - 1),
)
def test_a_baidu_point_comes_back_to_gcj02_within_a_metre(latitude: float, longitude: float) -> None:
    gcj02 = Point(latitude, longitude)
    baidu = to_bd09(gcj02)
    assert distance_m(from_bd09(baidu.latitude, baidu.longitude), gcj02) < 1.0
    assert 500 < distance_m(baidu, gcj02) < 1500  # read as GCJ-02, a Baidu point is not "near" its market


async def test_a_datum_column_converts_baidu_and_gps_points_and_refuses_one_it_does_not_know(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    nanmen, dongjie = Point(26.0790, 119.2990), Point(26.088, 119.303)
    baidu = to_bd09(nanmen)
    ledger = write(tmp_path / "datum.csv", ["纬度", "经度", "坐标系"], [
        in_market(1, "南门农贸市场", f"{baidu.latitude:.6f}", f"{baidu.longitude:.6f}", "百度地图"),
        in_market(2, "东街菜市场", "26.088", "119.303", ""),  # no datum named: GCJ-02, as read off Gaode
        in_market(3, "西湖水产市场", "26.093", "119.289", "WGS-84"),
        in_market(4, "北门市场", "26.1", "119.3", "北京54"),
    ])  # fmt: skip
    report = await import_ledger(engine, ledger, today=TODAY)
    assert report.added == 3
    [refused] = report.rejected
    assert (refused.row, refused.reasons) == (
        5,
        ["无法识别的坐标系：北京54（可填 GCJ-02（高德、腾讯）、BD-09（百度）或 WGS-84（GPS））"],
    )
    stored = {name: Point(*point) for name, point in (await points(engine)).items()}  # type: ignore[arg-type]
    assert sorted(stored) == ["东街菜市场", "南门农贸市场", "西湖水产市场"]
    assert distance_m(stored["南门农贸市场"], nanmen) < 1.0
    assert stored["东街菜市场"] == dongjie
    assert stored["西湖水产市场"] == from_wgs84(26.093, 119.289)
