"""Who saw what: every route that shows a staff member a consumer's full contact writes an access-log row (the
test walks every staff route as the handling station and as the supervisor); masked contacts write none; a
supervisor reads the log per case and per staff member; an export with contacts needs a reason."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.reporting.exports import XLSX_TYPE
from tests.staff_support import one_of_each_in_the_south, token_for
from tests.test_staff_access import staff_routes
from web.settings import Settings

Client = TestClient[Any, Any]
PHONE = "13800138000"  # every south case's consumer
# Where a contact is shown in full: each must be among the routes the walk finds logging.
SHOWING = {
    ("GET", "/queue/{ref}"),
    ("GET", "/api/v1/queue/{ref}"),
    ("POST", "/api/v1/queue/{ref}/actions"),
    ("GET", "/reports/cases.csv"),
    ("GET", "/reports/cases.xlsx"),
}


async def _text(response: Any) -> str:
    body = await response.read()
    if response.content_type == XLSX_TYPE:
        sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
        return " ".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)
    return str(body.decode("utf-8", errors="replace"))


async def _rows(engine: AsyncEngine) -> list[tuple[int, str, str, str]]:
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text(
                "SELECT a.user_id, c.ref, a.route, a.reason FROM contact_access a "
                "JOIN complaint c ON c.id = a.complaint_id ORDER BY a.id"
            )
        )
        return [tuple(row) for row in found]  # type: ignore[misc]


def _url(path: str, things: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda found: things[found.group(1)], path)


async def test_every_route_that_shows_a_contact_logs_it(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    things = await one_of_each_in_the_south(engine, client)
    logging_routes: set[tuple[str, str]] = set()
    for user in ("south", "boss"):
        headers = {"Authorization": f"Bearer {await token_for(engine, user)}"}
        for method, path, _ in staff_routes(settings):
            if method == "POST" and path != "/api/v1/queue/{ref}/actions":
                continue  # posts that change the registry or accounts show no contact
            before = len(await _rows(engine))
            url = _url(path, things)
            query = {"contacts": "yes", "reason": "回访核实", "from": "2026-11-01", "to": "2026-11-30"}
            if method == "POST":
                response = await client.post(url, json={"action": "note", "note": "已电话联系"}, headers=headers)
            else:
                response = await client.get(url, params=query, headers=headers, allow_redirects=False)
            shown = PHONE in await _text(response)
            logged = await _rows(engine)
            if shown:
                assert len(logged) > before, f"{user}: {method} {path} showed a contact and logged nothing"
                logging_routes.add((method, path))
            else:
                assert len(logged) == before, f"{user}: {method} {path} logged a contact it did not show"
    assert logging_routes == SHOWING


async def test_masked_contacts_are_not_logged_and_exports_need_a_reason(client: Client, engine: AsyncEngine) -> None:
    await one_of_each_in_the_south(engine, client)
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    reports = await (await client.get("/api/v1/queue", params={"intent": "report"}, headers=boss)).json()
    report = reports["cases"][0]["ref"]
    # The supervisor sees a reporter masked (举报人信息保密): nothing shown, nothing logged.
    masked = await (await client.get(f"/api/v1/queue/{report}", headers=boss)).json()
    assert masked["contact"]["phone"] == "138****8000"
    assert [row for row in await _rows(engine) if row[1] == report] == []

    refused = await client.get("/reports/cases.csv", params={"contacts": "yes"}, headers=boss)
    assert refused.status == 422
    assert PHONE not in await refused.text()
    without = await client.get("/reports/cases.csv", headers=boss)
    assert without.status == 200
    assert PHONE not in await without.text()


async def test_a_supervisor_reads_the_log_per_case_and_per_staff_member(client: Client, engine: AsyncEngine) -> None:
    things = await one_of_each_in_the_south(engine, client)
    south = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    assert (await client.get(f"/queue/{things['ref']}", headers=south)).status == 200
    query = {"contacts": "yes", "reason": "回访核实", "from": "2026-11-01", "to": "2026-11-30"}
    export = await client.get("/reports/cases.csv", params=query, headers=south)
    assert PHONE in await export.text()  # read whole: the export logs each page of rows as it writes it

    log = "/api/v1/audit/contact-access"
    by_case = await (await client.get(log, params={"case": things["ref"]}, headers=boss)).json()
    newest_first = [(row["user"], row["route"], row["reason"]) for row in by_case["accesses"]]
    assert newest_first == [("south", "export_csv", "回访核实"), ("south", "case_page", "")]
    by_user = await (await client.get(log, params={"user": "south"}, headers=boss)).json()
    assert things["ref"] in {row["ref"] for row in by_user["accesses"]}
    page = await client.get("/audit/contact-access", params={"user": "south"}, headers=boss)
    assert page.status == 200
    assert "导出 CSV" in await page.text()
    assert (await client.get("/audit/contact-access", params={"user": "south"}, headers=south)).status == 403
    assert (await client.get(log, headers=boss)).status == 422
    assert PHONE not in str(by_case) + str(by_user)
    # A NUL or a control character in what is asked finds nobody, on PostgreSQL too (which refuses NUL in text).
    for asked in ({"user": "sou\x00th"}, {"user": "\u202esouth"}, {"case": things["ref"] + "\x00"}):
        hostile = await client.get(log, params=asked, headers=boss)
        assert hostile.status == 200
        assert isinstance((await hostile.json())["accesses"], list)


async def test_a_supervisor_sets_and_releases_a_legal_hold_from_the_case_page(
    client: Client, engine: AsyncEngine
) -> None:
    things = await one_of_each_in_the_south(engine, client)
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    south = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    url = f"/queue/{things['ref']}/hold"
    assert (await client.post(url, data={"reason": "法院调取证据"}, headers=south)).status == 403
    assert (await client.post(url, data={"reason": " "}, headers=boss, allow_redirects=False)).status == 422
    held = await client.post(url, data={"reason": "法院调取证据"}, headers=boss, allow_redirects=False)
    assert held.status == 303
    page = await (await client.get(f"/queue/{things['ref']}", headers=boss)).text()
    assert "法律保全中" in page
    assert "法院调取证据" in page
    released = await client.post(url, data={"release": "yes"}, headers=boss, allow_redirects=False)
    assert released.status == 303
    assert "没有法律保全" in await (await client.get(f"/queue/{things['ref']}", headers=boss)).text()
    timeline = await (await client.get(f"/api/v1/queue/{things['ref']}", headers=boss)).json()
    assert [e["action"] for e in timeline["events"]][-2:] == ["legal_hold_set", "legal_hold_released"]
