"""用途 (an instrument's legal field of use) as a filter: the queue, the reports and the due list narrow to it."""

from __future__ import annotations

from datetime import date
from typing import Any

import html5lib
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.legal_use import LegalUse, default_use, parse_use
from lookup.vocab import InstrumentKind
from tests.staff_support import SOUTH, add_staff, sign_in
from tests.support import code_of, ledger_row, seed, verification
from web.auth.models import StaffRole

Client = TestClient[Any, Any]


def test_the_kind_decides_unless_the_ledger_says() -> None:
    assert default_use(InstrumentKind.price_scale) is LegalUse.trade_settlement
    assert default_use(InstrumentKind.blood_pressure_meter) is LegalUse.medical
    assert [parse_use(text) for text in ("安全防护", " 环保 ", "law_enforcement", "别的")] == [
        LegalUse.safety,
        LegalUse.environment,
        LegalUse.law_enforcement,
        None,
    ]


async def test_queue_reports_and_due_list_filter_by_field_of_use(client: Client, engine: AsyncEngine) -> None:
    expiring = verification(date(2025, 12, 1), date(2026, 12, 1))  # due for verification within 30 days
    await seed(
        engine,
        ledger_row(serial_no="TRADE-1", verification=expiring),
        ledger_row(serial_no="SAFE-1", verification=expiring, legal_use=LegalUse.safety),
    )
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    refs = {}
    for serial in ("TRADE-1", "SAFE-1"):
        body = {"text": f"张记水产的秤不准，称的鱼少了二两（{serial}）", "code": await code_of(engine, serial)}
        refs[serial] = (await (await client.post("/api/v1/complaints", json=body)).json())["ref"]
    await sign_in(client, "south")

    queue = await (await client.get("/queue", params={"use": "safety"})).text()
    html5lib.HTMLParser(strict=True).parse(queue)
    assert refs["SAFE-1"] in queue
    assert refs["TRADE-1"] not in queue
    assert (await client.get("/queue", params={"use": "fishing"})).status == 400
    listed = await (await client.get("/api/v1/queue", params={"use": "trade_settlement"})).json()
    assert [case["ref"] for case in listed["cases"]] == [refs["TRADE-1"]]

    figures = await (await client.get("/reports", params={"month": "2026-11", "use": "safety"})).text()
    html5lib.HTMLParser(strict=True).parse(figures)
    assert '<option value="safety" selected>安全防护</option>' in figures
    cases = figures.split('<table class="figures">', 1)[1].split("</table>", 1)[0]
    assert "<td>1</td>" in cases  # one case about a safety instrument
    exported = await (await client.get("/reports/cases.csv", params={"use": "safety"})).text()
    assert refs["SAFE-1"] in exported
    assert refs["TRADE-1"] not in exported

    due = await (await client.get("/due", params={"use": "safety"})).text()
    html5lib.HTMLParser(strict=True).parse(due)
    assert await code_of(engine, "SAFE-1") in due
    assert await code_of(engine, "TRADE-1") not in due
    async with engine.connect() as connection:
        uses = dict((await connection.execute(sa.text("SELECT serial_no, legal_use FROM instrument"))).all())
    assert uses == {"TRADE-1": "trade_settlement", "SAFE-1": "safety"}
