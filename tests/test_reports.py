"""The dashboard, the exports and the monthly inspection report, worked through the real app on both databases.

The district, its history and its November figures are tests/report_support.py's.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import html5lib
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.reporting.charts import Series, bar_chart, stacked_bar_chart
from complaints.reporting.exports import csv_safe
from complaints.reporting.inspection_report import COLUMNS, ROWS
from complaints.reporting.reports import Period
from tests.report_support import (
    HYPERLINK,
    PHONE,
    TEXTS,
    Client,
    District,
    MovableClock,
    add_inspections,
    add_token_users,
    csv_rows,
    file_district,
    report_page,
    table_rows,
    xlsx_cells,
)
from tests.staff_support import NORTH, SOUTH, token_for
from tests.support import NOW, ZONE
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings
from web.views.staff import reports as report_views


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, clock: MovableClock) -> Client:
    app = create_app(settings, clock=clock)
    if "/reports" not in {route.resource.canonical for route in app.router.routes() if route.resource is not None}:
        report_views.add_routes(app)  # until the composition root wires the reports
    wired: Client = await aiohttp_client(app)
    return wired


@pytest.fixture
async def district(engine: AsyncEngine, client: Client, clock: MovableClock) -> District:
    return await file_district(engine, client, clock)


async def test_the_dashboard_counts_each_stations_november(client: Client, district: District) -> None:
    page = await report_page(client, district, "boss", month="2026-11")
    rows = table_rows(page, "figures")
    assert rows[SOUTH] == ["3", "50.0 % (1/2)", "66.7 % (2/3)", "100.0 % (1/1)", "100.0 % (1/1)", "36.50"]
    assert rows[NORTH] == ["2", "50.0 % (1/2)", "100.0 % (2/2)", "50.0 % (1/2)", "50.0 % (1/2)", "12.00"]
    assert rows["合计"] == ["5", "50.0 % (2/4)", "80.0 % (4/5)", "66.7 % (2/3)", "66.7 % (2/3)", "48.50"]
    charts = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(charts) == 4
    trees = [ET.fromstring(chart) for chart in charts]
    for tree in trees:
        assert tree.get("role") == "img"
        assert tree.get("aria-label")
        assert tree.find("{http://www.w3.org/2000/svg}title") is not None
    weekly = "".join(trees[0].itertext())
    assert "11-23–11-29" in weekly  # weeks named by their dates, not "2026-W48"
    assert "11-30" in weekly  # the last week, cut at the month's end
    assert "-W4" not in weekly
    assert "缺斤短两" in weekly
    assert "计量作弊" in weekly  # C, as reclassified
    assert SOUTH in "".join(trees[1].itertext())
    assert "/reports/corrections.jsonl" in page


async def test_a_handler_sees_only_their_station_and_other_months_differ(client: Client, district: District) -> None:
    page = await report_page(client, district, "south", month="2026-11")
    rows = table_rows(page, "figures")
    assert set(rows) == {SOUTH, "合计"}
    assert rows["合计"] == rows[SOUTH]
    assert NORTH not in page
    assert "/reports/corrections.jsonl" not in page  # supervisors only
    december = table_rows(await report_page(client, district, "boss", month="2026-12"), "figures")
    assert december[NORTH] == ["1", "0.0 % (0/1)", "100.0 % (1/1)", "100.0 % (1/1)", "—", "100.00"]
    october = table_rows(await report_page(client, district, "boss", month="2026-10"), "figures")
    assert october["合计"][0] == "1"
    this_month = table_rows(await report_page(client, district, "boss"), "figures")
    assert this_month["合计"][0] == "1"  # the clock says 2026-12-10: December by default
    assert "Reply rate" in await report_page(client, district, "north", lang="en")
    assert "Other sectors" in await report_page(client, district, "north", "/reports/inspections", lang="en")


BAD_PATHS = (
    "/reports?month=2026-13",
    "/reports?month=November",
    "/reports/inspections?month=2026-00",
    "/reports/inspections.xlsx?month=26-11",
    "/reports/cases.csv?status=nonsense",
    "/reports/cases.xlsx?from=2026-02-30",
    "/reports/corrections.jsonl?from=yesterday",
)


async def test_bad_parameters_answer_a_clear_400_page(engine: AsyncEngine, client: Client) -> None:
    await add_token_users(engine, ("boss", StaffRole.supervisor, None))
    headers = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    for path in BAD_PATHS:
        response = await client.get(path, headers=headers)
        assert response.status == 400, path
        page = await response.text()
        html5lib.HTMLParser(strict=True).parse(page)
        assert "参数有误" in page


async def test_the_csv_export_is_excel_safe_and_keeps_contacts_to_who_may_see_them(
    client: Client, district: District
) -> None:
    november = {"from": "2026-11-01", "to": "2026-11-30"}
    rows = await csv_rows(client, district, "south", **november)
    header = "编号|收到时间|渠道|类型|类别|优先级|状态|监管所|经营者|办理期限|内容"
    header += "|调解结果|挽回金额（元）|办结日期|满意度评分"
    assert "|".join(rows[0]) == header
    by_ref = {row[0]: row for row in rows[1:]}
    settled = by_ref[district.refs["A"]]
    assert settled[6] == "已办结"
    assert settled[9] != ""  # the mediation deadline that applied, though nothing is pending now
    assert settled[11:14] == ["退款/赔偿", "36.50", "2026-11-23"]
    assert set(by_ref) == {district.refs[key] for key in "ABC"}  # never another station's case
    hostile = by_ref[district.refs["B"]]
    assert hostile[10] == "'" + HYPERLINK
    assert hostile[1] == "2026-11-23 10:00"
    assert hostile[6] == "不予受理"
    assert hostile[7] == SOUTH
    assert PHONE not in str(rows)
    with_contacts = await csv_rows(client, district, "south", **november, contacts="yes", reason="回访")
    assert with_contacts[0][-2:] == ["联系人", "联系电话"]
    assert all(row[-1] == PHONE for row in with_contacts[1:])
    everything = await csv_rows(client, district, "boss", contacts="yes", reason="回访")
    assert {row[0] for row in everything[1:]} == set(district.refs.values())
    # C became a report: its reporter is known to the station handling it only (举报人信息保密), not the supervisor.
    contacts = {row[0]: row[-2:] for row in everything[1:]}
    assert contacts.pop(district.refs["C"]) == ["王*", "138****8000"]
    assert contacts == {district.refs[key]: [f"王{key}", PHONE] for key in "ABDEFG"}
    english = await csv_rows(client, district, "north", lang="en")
    assert english[0][0] == "Reference"
    assert {row[0] for row in english[1:]} == {district.refs[key] for key in "DEFG"}


async def test_the_xlsx_export_writes_a_formula_as_text(client: Client, district: District) -> None:
    rows = await xlsx_cells(client, district, "south", "/reports/cases.xlsx", contacts="yes", reason="回访")
    assert [cell.value for cell in rows[0]][-2:] == ["联系人", "联系电话"]
    assert {row[0].value for row in rows[1:]} == {district.refs[key] for key in "ABC"}
    hostile = next(row[10] for row in rows if row[0].value == district.refs["B"])
    assert hostile.value == HYPERLINK
    assert hostile.data_type == "s"  # a string, not a formula
    assert all(cell.data_type == "s" for row in rows for cell in row if cell.value is not None)
    assert all(row[-1].value == PHONE for row in rows[1:])
    without = await xlsx_cells(client, district, "boss", "/reports/cases.xlsx")
    assert len(without[0]) == 15
    assert PHONE not in str([cell.value for row in without for cell in row])


async def test_the_corrections_export_has_the_reclassification(client: Client, district: District) -> None:
    assert (await client.get("/reports/corrections.jsonl", headers=district.auth("south"))).status == 403
    for path in ("/reports", "/reports/cases.csv", "/reports/inspections", "/reports/corrections.jsonl"):
        assert (await client.get(path, headers=district.auth("admin"))).status == 403  # administrators work no cases
    response = await client.get("/reports/corrections.jsonl", headers=district.auth("boss"))
    assert response.status == 200
    records = [json.loads(line) for line in (await response.text()).splitlines()]
    assert len(records) == 1
    (record,) = records
    assert record["ref"] == district.refs["C"]
    assert record["text"] == TEXTS["C"]
    assert (record["from_intent"], record["from_category"]) == district.readings["C"]
    assert (record["intent"], record["category"]) == ("report", "tampered_instrument")
    assert record["classifier_version"].startswith("clf-")
    assert datetime.fromisoformat(record["at"]) == NOW
    later = await client.get("/reports/corrections.jsonl", params={"from": "2026-11-24"}, headers=district.auth("boss"))
    assert await later.text() == ""


@pytest.fixture
async def inspections(engine: AsyncEngine, district: District) -> None:
    await add_inspections(engine)


XLSX = "/reports/inspections.xlsx"


async def test_the_monthly_inspection_report_sums_by_sector(
    client: Client, district: District, inspections: None
) -> None:
    page = await report_page(client, district, "boss", "/reports/inspections", month="2026-11")
    rows = table_rows(page, "inspections")
    assert list(rows) == [name for _, name, _ in ROWS] + ["合计"]
    assert rows["集贸市场"] == ["7", "2", "12", "1", "1", "1", "1.73"]
    assert rows["加油站"] == ["2", "1", "8", "2", "0", "1", "5.00"]
    assert rows["其他行业"] == ["2", "2", "12", "0", "3", "0", "0.00"]
    assert rows["使用安全防护用强检计量器具"] == ["0", "0", "0", "0", "0", "0", "0.00"]
    assert rows["合计"] == ["11", "5", "32", "3", "4", "2", "6.73"]
    assert "台账“用途”为安全防护" in page
    south = table_rows(
        await report_page(client, district, "south", "/reports/inspections", month="2026-11"), "inspections"
    )
    assert south["集贸市场"] == ["5", "1", "9", "1", "1", "1", "1.23"]
    assert south["合计"] == ["7", "2", "17", "3", "1", "2", "6.23"]
    values = [[cell.value for cell in row] for row in await xlsx_cells(client, district, "boss", XLSX, month="2026-11")]
    assert values[0][0] == "计量检查月报表"
    assert values[1][0] == "2026年11月 · 全区"
    assert values[2][1:] == [heading for _, heading in COLUMNS]
    assert values[2][4] == "使用未检定/检定不合格/超检定周期计量器具数"
    assert next(row for row in values if row[0] == "合计")[1:] == [11, 5, 32, 3, 4, 2, 6.73]
    assert any(isinstance(row[0], str) and "台账“用途”为安全防护" in row[0] for row in values)


async def test_the_inspection_report_counts_safety_instruments_follow_ups_and_signs_off(
    client: Client, engine: AsyncEngine, district: District, inspections: None
) -> None:
    async with engine.begin() as connection:
        # 李记鲜肉's scale is entered in the ledger as used for safety protection; two inspections dealt with
        # merchants after failed samplings.
        await connection.execute(sa.text("UPDATE instrument SET legal_use = 'safety' WHERE serial_no = 'B-1'"))
        for merchant, column, fine in (("南门加油站", "product", 20000), ("张记水产", "quantity", 3000)):
            await connection.execute(
                sa.text(
                    f"UPDATE inspection SET {column}_failed_handled = :yes, {column}_fine_yuan = :fine "
                    "WHERE inspected_on = (SELECT min(inspected_on) FROM inspection i JOIN merchant m "
                    "ON m.id = i.merchant_id WHERE m.name = :merchant AND i.inspected_on >= '2026-11-01')"
                ),
                {"yes": True, "fine": fine, "merchant": merchant},
            )
    page = await report_page(client, district, "boss", "/reports/inspections", month="2026-11", head="陈主任")
    rows = table_rows(page, "inspections")
    assert rows["集贸市场"] == ["5", "1", "9", "1", "1", "1", "1.23"]
    assert rows["使用安全防护用强检计量器具"] == ["2", "1", "3", "0", "0", "0", "0.50"]
    assert rows["合计"] == ["11", "5", "32", "3", "4", "2", "6.73"]  # every inspection in exactly one row
    assert table_rows(page, "follow-ups") == {
        "计量器具产品抽查不合格后处理": ["1", "2.00"],
        "商品量不合格后处理": ["1", "0.30"],
    }
    for words in ("负责人</dt><dd>陈主任", "填表人</dt><dd>boss", "填表时间</dt><dd>2026-12-10"):  # made today
        assert words in page
    cells = await xlsx_cells(client, district, "boss", XLSX, month="2026-11", head="陈主任")
    values = [[cell.value for cell in row] for row in cells]
    product = next(row for row in values if row[0] == "计量器具产品抽查不合格后处理")
    assert product[4:8] == ["处理企业数", 1, "罚没款数额(万元)", 2]
    assert next(row for row in values if row[0] == "负责人：")[:2] == ["负责人：", "陈主任"]
    assert next(row for row in values if row[0] == "填表时间：")[1] == "2026-12-10"


def test_charts_escape_their_labels_and_stay_well_formed() -> None:
    hostile = '<script>alert("x")</script> & 南门'
    for svg in (
        stacked_bar_chart(
            hostile, ["2026-W48", "W<49>"], [Series(hostile, [3, 0]), Series("空", [0, 0])], chart_id="a b"
        ),
        bar_chart(hostile, [hostile, "北门"], [0.5, None], chart_id="r", target=0.9),
    ):
        tree = ET.fromstring(svg)
        assert "<script" not in svg
        assert tree.findall(".//{http://www.w3.org/2000/svg}script") == []
        assert hostile in "".join(tree.itertext())
        assert tree.get("aria-label") == hostile
    assert "空" not in stacked_bar_chart("t", ["w"], [Series("空", [0])], chart_id="c")  # no empty series in the legend


def test_csv_cells_never_start_a_formula() -> None:
    for value in ("=1+1", "+86", "-2", "@SUM(A1)", "\tA", "\rA"):
        assert csv_safe(value) == "'" + value
    assert [csv_safe(value) for value in ("a=b", "", "张记")] == ["a=b", "", "张记"]


def test_a_period_knows_its_bounds_and_weeks() -> None:
    november = Period.month(2026, 11, ZONE)
    assert november.bounds() == (datetime(2026, 11, 1, tzinfo=ZONE), datetime(2026, 12, 1, tzinfo=ZONE))
    assert november.weeks() == ("2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49")
    labels = [november.week_label(week) for week in november.weeks()]
    assert labels == ["11-01", "11-02–11-08", "11-09–11-15", "11-16–11-22", "11-23–11-29", "11-30"]
    with pytest.raises(ValueError, match="month"):
        Period.month(2026, 13, ZONE)
