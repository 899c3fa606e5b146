"""The dashboard, the exports and the monthly inspection report, worked through the real app on both databases.

One district: cases created through the complaints API at chosen moments (the app's clock moves), worked through
the queue API with bearer tokens, inspections inserted with Core. November 2026's expected figures:

| station | cases | replied | on time | mediation | satisfied | money |
|---|---|---|---|---|---|---|
| 南门 | A (resolved, 36.5), B (declined late), C (report, case opened) | 1/2 | 2/3 | 1/1 | 1/1 | 36.50 |
| 北门 | D (mediation failed), E (received 11-30 23:59, resolved "12") | 1/2 | 2/2 | 1/2 | 1/2 | 12.00 |

F (received 12-01 00:00) and G (10-31 23:59) fall outside November.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import html5lib
import openpyxl
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.charts import Series, bar_chart, stacked_bar_chart
from complaints.exports import csv_safe
from complaints.inspection_report import COLUMNS, ROWS
from complaints.models import Complaint, Inspection
from complaints.reports import Period
from lookup.models import Merchant, Station, table_of
from tests.staff_support import NORTH, SOUTH, token_for, two_stations
from tests.support import NOW, ZONE, make_uscc
from web import report_views
from web.app import create_app
from web.auth_models import StaffRole, User
from web.settings import Settings

Client = TestClient[Any, Any]
PHONE = "13800138000"
HYPERLINK = '=HYPERLINK("http://evil.example","点我") 张记水产称的虾少了三两，要求退款'
TEXTS = {
    "A": "张记水产的秤不准，称的鱼少了二两，要求退钱",
    "B": HYPERLINK,
    "C": "张记水产的秤跳数很奇怪，称的鱼总是不对，要求处理",
    "D": "李记鲜肉的秤不准，称的肉少了二两，要求退钱",
    "E": "李记鲜肉称的排骨少了一两，要求赔偿",
    "F": "李记鲜肉卖的牛肉缺斤短两，少了半斤，要求退钱",
    "G": "李记鲜肉的五花肉少称了三两，要求退差价",
}


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZONE)  # type: ignore[misc]


REFUND = "refund"
# (move the clock to, case, who, action, facts): the district's history; "complain" files the case's words.
SCRIPT: tuple[tuple[datetime | None, str, str, str, dict[str, Any]], ...] = (
    (NOW, "A", "", "complain", {}),
    (None, "B", "", "complain", {}),
    (None, "C", "", "complain", {}),
    (None, "D", "", "complain", {}),
    (None, "A", "south", "accept", {}),
    (None, "A", "south", "reply", {"message": "已联系商户"}),
    (None, "A", "south", "start_mediation", {}),
    (None, "A", "south", "resolve", {"outcome": REFUND, "refund_yuan": 36.5}),
    (None, "A", "south", "close", {}),
    (None, "C", "south", "reclassify", {"intent": "report", "category": "tampered_instrument"}),
    (None, "C", "south", "start_verification", {}),
    (None, "C", "south", "open_case", {}),
    (None, "D", "north", "reply", {"message": "正在处理"}),
    (None, "D", "north", "accept", {}),
    (None, "D", "north", "start_mediation", {}),
    (None, "D", "north", "end_mediation", {"note": "商户拒绝调解"}),
    (_at(2026, 11, 30, 23, 59), "E", "", "complain", {}),
    (None, "E", "boss", "accept", {}),
    (None, "E", "boss", "start_mediation", {}),
    (None, "E", "boss", "resolve", {"outcome": REFUND, "refund_yuan": "12"}),
    (_at(2026, 12, 1, 0, 0), "F", "", "complain", {}),
    (None, "F", "north", "accept", {}),
    (None, "F", "north", "start_mediation", {}),
    (None, "F", "north", "resolve", {"outcome": REFUND, "refund_yuan": 100}),
    (_at(2026, 10, 31, 23, 59), "G", "", "complain", {}),
    # B's acceptance was due 2026-12-02: declining it on 12-10 is late.
    (_at(2026, 12, 10, 10, 0), "B", "south", "decline", {"ground": "missing_facts", "note": "缺少购买凭证"}),
)


class MovableClock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


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


@dataclass
class District:
    refs: dict[str, str]
    tokens: dict[str, str]
    readings: dict[str, tuple[str, str]]  # the classifier's (intent, category) at intake

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


async def _add_users(engine: AsyncEngine, *users: tuple[str, StaffRole, str | None]) -> None:
    """Staff who only ever use bearer tokens: no password, so no argon2 hashing (most of a setup's time)."""
    user_t, station_t = table_of(User), table_of(Station)
    async with engine.begin() as connection:
        stations = dict((await connection.execute(sa.select(station_t.c.name, station_t.c.id))).all())
        rows = [
            {"username": username, "display_name": username, "role": role, "active": True, "created_at": NOW}
            | {"station_id": stations[station] if station else None, "password_hash": "!tokens-only"}
            for username, role, station in users
        ]
        await connection.execute(sa.insert(user_t), rows)


@pytest.fixture
async def district(engine: AsyncEngine, client: Client, clock: MovableClock) -> District:
    await two_stations(engine)
    await _add_users(
        engine,
        ("south", StaffRole.handler, SOUTH),
        ("north", StaffRole.handler, NORTH),
        ("boss", StaffRole.supervisor, None),
        ("admin", StaffRole.admin, None),
    )
    tokens = {name: await token_for(engine, name) for name in ("south", "north", "boss", "admin")}
    district = District({}, tokens, {})

    for moment, key, user, action, facts in SCRIPT:
        if moment is not None:
            clock.now = moment
        if action == "complain":
            contact = {"name": f"王{key}", "phone": PHONE}
            response = await client.post("/api/v1/complaints", json={"text": TEXTS[key], "contact": contact})
            body = await response.json()
            district.refs[key], district.readings[key] = body["ref"], (body["intent"], body["category"])
            continue
        url = f"/api/v1/queue/{district.refs[key]}/actions"
        response = await client.post(url, json={"action": action, **facts}, headers=district.auth(user))
        assert response.status == 200, await response.text()
    complaint_t = table_of(Complaint)
    async with engine.begin() as connection:
        for key, rating in (("A", 5), ("D", 2), ("E", 4)):
            await connection.execute(
                sa.update(complaint_t).where(complaint_t.c.ref == district.refs[key]).values(satisfaction=rating)
            )
    return district


def _table(page: str, name: str) -> dict[str, list[str]]:
    """Row heading → the cells of the table with class ``name``, tags (and footnote marks) stripped."""
    table = page.split(f'<table class="{name}">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        heading = re.search(r'<th scope="row">([^<]*)', row)
        if heading:
            cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            rows[heading.group(1)] = cells
    return rows


async def _page(client: Client, district: District, user: str, path: str = "/reports", **query: str) -> str:
    response = await client.get(path, params=query, headers=district.auth(user))
    assert response.status == 200
    page = await response.text()
    html5lib.HTMLParser(strict=True).parse(page)
    return page


async def test_the_dashboard_counts_each_stations_november(client: Client, district: District) -> None:
    page = await _page(client, district, "boss", month="2026-11")
    rows = _table(page, "figures")
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
    assert "2026-W48" in weekly
    assert "2026-W49" in weekly
    assert "缺斤短两" in weekly
    assert "计量作弊" in weekly  # C, as reclassified
    assert SOUTH in "".join(trees[1].itertext())
    assert "/reports/corrections.jsonl" in page


async def test_a_handler_sees_only_their_station_and_other_months_differ(client: Client, district: District) -> None:
    page = await _page(client, district, "south", month="2026-11")
    rows = _table(page, "figures")
    assert set(rows) == {SOUTH, "合计"}
    assert rows["合计"] == rows[SOUTH]
    assert NORTH not in page
    assert "/reports/corrections.jsonl" not in page  # supervisors only
    december = _table(await _page(client, district, "boss", month="2026-12"), "figures")
    assert december[NORTH] == ["1", "0.0 % (0/1)", "100.0 % (1/1)", "100.0 % (1/1)", "—", "100.00"]
    october = _table(await _page(client, district, "boss", month="2026-10"), "figures")
    assert october["合计"][0] == "1"
    this_month = _table(await _page(client, district, "boss"), "figures")
    assert this_month["合计"][0] == "1"  # the clock says 2026-12-10: December by default
    assert "Reply rate" in await _page(client, district, "north", lang="en")
    assert "Other sectors" in await _page(client, district, "north", "/reports/inspections", lang="en")


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
    await _add_users(engine, ("boss", StaffRole.supervisor, None))
    headers = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    for path in BAD_PATHS:
        response = await client.get(path, headers=headers)
        assert response.status == 400, path
        page = await response.text()
        html5lib.HTMLParser(strict=True).parse(page)
        assert "参数有误" in page


async def _csv(client: Client, district: District, user: str, **query: str) -> list[list[str]]:
    response = await client.get("/reports/cases.csv", params=query, headers=district.auth(user))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = await response.read()
    assert body.startswith("\ufeff".encode())  # so that Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


async def _xlsx(client: Client, district: District, user: str, path: str, **query: str) -> list[list[Any]]:
    """The cells (openpyxl's, with value and data_type) of the workbook's first sheet."""
    response = await client.get(path, params=query, headers=district.auth(user))
    assert response.status == 200
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows()]


async def test_the_csv_export_is_excel_safe_and_keeps_contacts_to_who_may_see_them(
    client: Client, district: District
) -> None:
    november = {"from": "2026-11-01", "to": "2026-11-30"}
    rows = await _csv(client, district, "south", **november)
    assert "|".join(rows[0]) == "编号|收到时间|渠道|类型|类别|优先级|状态|监管所|经营者|办理期限|内容"
    by_ref = {row[0]: row for row in rows[1:]}
    assert set(by_ref) == {district.refs[key] for key in "ABC"}  # never another station's case
    hostile = by_ref[district.refs["B"]]
    assert hostile[10] == "'" + HYPERLINK
    assert hostile[1] == "2026-11-23 10:00"
    assert hostile[6] == "不予受理"
    assert hostile[7] == SOUTH
    assert PHONE not in str(rows)
    with_contacts = await _csv(client, district, "south", **november, contacts="yes")
    assert with_contacts[0][-2:] == ["联系人", "联系电话"]
    assert all(row[-1] == PHONE for row in with_contacts[1:])
    everything = await _csv(client, district, "boss", contacts="yes")
    assert {row[0] for row in everything[1:]} == set(district.refs.values())
    # C became a report: its reporter is known to the station handling it only (举报人信息保密), not the supervisor.
    contacts = {row[0]: row[-2:] for row in everything[1:]}
    assert contacts.pop(district.refs["C"]) == ["王*", "138****8000"]
    assert contacts == {district.refs[key]: [f"王{key}", PHONE] for key in "ABDEFG"}
    english = await _csv(client, district, "north", lang="en")
    assert english[0][0] == "Reference"
    assert {row[0] for row in english[1:]} == {district.refs[key] for key in "DEFG"}


async def test_the_xlsx_export_writes_a_formula_as_text(client: Client, district: District) -> None:
    rows = await _xlsx(client, district, "south", "/reports/cases.xlsx", contacts="yes")
    assert [cell.value for cell in rows[0]][-2:] == ["联系人", "联系电话"]
    assert {row[0].value for row in rows[1:]} == {district.refs[key] for key in "ABC"}
    hostile = next(row[10] for row in rows if row[0].value == district.refs["B"])
    assert hostile.value == HYPERLINK
    assert hostile.data_type == "s"  # a string, not a formula
    assert all(cell.data_type == "s" for row in rows for cell in row if cell.value is not None)
    assert all(row[-1].value == PHONE for row in rows[1:])
    without = await _xlsx(client, district, "boss", "/reports/cases.xlsx")
    assert len(without[0]) == 11
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


FIELDS = ("inspected_on", "inspectors", "instruments_checked", "unverified", "tampered", "case_opened", "fine_yuan")
INSPECTIONS = [  # merchant, then FIELDS
    ("张记水产", date(2026, 11, 3), 2, 5, 1, 0, True, 12345),
    ("张记水产", date(2026, 11, 30), 3, 4, 0, 1, False, 0),
    ("李记鲜肉", date(2026, 11, 1), 2, 3, 0, 0, False, 5000),
    ("南门加油站", date(2026, 11, 12), 2, 8, 2, 0, True, 50000),
    ("北门出租车", date(2026, 11, 13), 1, 10, 0, 3, False, 0),
    ("北门自来水", date(2026, 11, 14), 1, 2, 0, 0, False, 0),
    ("张记水产", date(2026, 12, 1), 9, 9, 9, 9, True, 99999),  # the months around November
    ("张记水产", date(2026, 10, 31), 9, 9, 9, 9, True, 99999),
]
MERCHANTS = (("南门加油站", "fuel_station", SOUTH), ("北门出租车", "taxi", NORTH), ("北门自来水", "utility", NORTH))


@pytest.fixture
async def inspections(engine: AsyncEngine, district: District) -> None:
    merchant_t, station_t, inspection_t = table_of(Merchant), table_of(Station), table_of(Inspection)
    async with engine.begin() as connection:
        stations = dict((await connection.execute(sa.select(station_t.c.name, station_t.c.id))).all())
        await connection.execute(
            sa.insert(merchant_t),
            [
                {"name": name, "uscc": make_uscc(10 + n), "sector": sector, "station_id": stations[station]}
                | {"stall": "", "address": "", "standing": "ordinary", "contact": ""}
                for n, (name, sector, station) in enumerate(MERCHANTS)
            ],
        )
        found = await connection.execute(sa.select(merchant_t.c.name, merchant_t.c.id, merchant_t.c.station_id))
        merchants = {
            name: {"merchant_id": merchant_id, "station_id": station_id} for name, merchant_id, station_id in found
        }
        rows = [
            merchants[merchant]
            | dict(zip(FIELDS, values, strict=True))
            | {"short_weight_found": False, "notes": "", "created_at": NOW}
            for merchant, *values in INSPECTIONS
        ]
        await connection.execute(sa.insert(inspection_t), rows)


XLSX = "/reports/inspections.xlsx"


async def test_the_monthly_inspection_report_sums_by_sector(
    client: Client, district: District, inspections: None
) -> None:
    page = await _page(client, district, "boss", "/reports/inspections", month="2026-11")
    rows = _table(page, "inspections")
    assert list(rows) == [name for _, name, _ in ROWS] + ["合计"]
    assert rows["集贸市场"] == ["7", "2", "12", "1", "1", "1", "1.73"]
    assert rows["加油站"] == ["2", "1", "8", "2", "0", "1", "5.00"]
    assert rows["其他行业"] == ["2", "2", "12", "0", "3", "0", "0.00"]
    assert rows["使用安全防护用强检计量器具"] == ["0", "0", "0", "0", "0", "0", "0.00"]
    assert rows["合计"] == ["11", "5", "32", "3", "4", "2", "6.73"]
    assert "登记的行业分类中没有" in page
    south = _table(await _page(client, district, "south", "/reports/inspections", month="2026-11"), "inspections")
    assert south["集贸市场"] == ["5", "1", "9", "1", "1", "1", "1.23"]
    assert south["合计"] == ["7", "2", "17", "3", "1", "2", "6.23"]
    values = [[cell.value for cell in row] for row in await _xlsx(client, district, "boss", XLSX, month="2026-11")]
    assert values[0][0] == "计量检查月报表"
    assert values[1][0] == "2026年11月 · 全区"
    assert values[2][1:] == [heading for _, heading in COLUMNS]
    assert values[2][4] == "使用未检定/检定不合格/超检定周期计量器具数"
    assert next(row for row in values if row[0] == "合计")[1:] == [11, 5, 32, 3, 4, 2, 6.73]
    assert any(isinstance(row[0], str) and "登记的行业分类中没有" in row[0] for row in values)


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
    with pytest.raises(ValueError, match="month"):
        Period.month(2026, 13, ZONE)
