"""The report tests' district: November 2026's cases, worked by its staff, and its inspections; reading its pages.

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
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import html5lib
import openpyxl
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import Complaint, Inspection
from lookup.models import Merchant, Station, table_of
from tests.staff_support import NORTH, SOUTH, token_for, two_stations
from tests.support import NOW, ZONE, make_uscc
from web.auth.models import StaffRole, User

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


@dataclass
class District:
    refs: dict[str, str]
    tokens: dict[str, str]
    readings: dict[str, tuple[str, str]]  # the classifier's (intent, category) at intake

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


async def add_token_users(engine: AsyncEngine, *users: tuple[str, StaffRole, str | None]) -> None:
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


async def file_district(engine: AsyncEngine, client: Client, clock: MovableClock) -> District:
    """The district after its history (SCRIPT), and the shoppers' ratings of A, D and E."""
    await two_stations(engine)
    await add_token_users(
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


def table_rows(page: str, name: str) -> dict[str, list[str]]:
    """Row heading → the cells of the table with class ``name``, tags (and footnote marks) stripped."""
    table = page.split(f'<table class="{name}">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        heading = re.search(r'<th scope="row">([^<]*)', row)
        if heading:
            cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            rows[heading.group(1)] = cells
    return rows


async def report_page(client: Client, district: District, user: str, path: str = "/reports", **query: str) -> str:
    response = await client.get(path, params=query, headers=district.auth(user))
    assert response.status == 200
    page = await response.text()
    html5lib.HTMLParser(strict=True).parse(page)
    return page


async def csv_rows(client: Client, district: District, user: str, **query: str) -> list[list[str]]:
    response = await client.get("/reports/cases.csv", params=query, headers=district.auth(user))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = await response.read()
    assert body.startswith("\ufeff".encode())  # so that Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


async def xlsx_cells(client: Client, district: District, user: str, path: str, **query: str) -> list[list[Any]]:
    """The cells (openpyxl's, with value and data_type) of the workbook's first sheet."""
    response = await client.get(path, params=query, headers=district.auth(user))
    assert response.status == 200
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows()]


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


async def add_inspections(engine: AsyncEngine) -> None:
    """The MERCHANTS, and INSPECTIONS of them and of the district's two merchants."""
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
