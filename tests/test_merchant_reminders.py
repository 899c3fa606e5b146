"""Verification reminders for merchants: one at 30 days and one at 7 days before an instrument's verification ends,
each queued once even when two workers run at the same moment; an SMS in the outbox (what to send, never the phone)
when the ledger gave the merchant a phone; listed on the merchant's page."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.merchants.reminders import queue_reminders, threshold
from tests.outbox_support import FakeClock, RecordingSender, deliver, outbox
from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in
from tests.support import NOW, ledger_row, make_uscc, rows, seed, verification
from web.auth.models import StaffRole
from web.db import for_writing

Client = TestClient[Any, Any]
TODAY = NOW.date()


def _expiring(serial: str, days: int, **changes: Any) -> Any:
    until = TODAY + timedelta(days=days)
    return ledger_row(serial_no=serial, verification=verification(until - timedelta(days=365), until), **changes)


async def _run(engine: AsyncEngine, now: datetime) -> int:
    async with for_writing(engine).begin() as connection:
        return await queue_reminders(connection, today=now.date(), now=now)


def test_the_threshold_is_the_most_urgent_that_covers_the_days_left() -> None:
    assert [threshold(d) for d in (31, 30, 8, 7, 0, -1)] == [None, 30, 30, 7, 7, None]


async def test_each_reminder_is_queued_once_even_with_two_workers(engine: AsyncEngine) -> None:
    phone = {"contact_phone": "13800138000", "contact_person": "张三"}
    await seed(
        engine,
        _expiring("D-30", 30, **phone),
        _expiring("D-20", 20, **phone),
        _expiring("D-5", 5, **phone),
        _expiring("D-60", 60, **phone),
        _expiring("Q-20", 20, merchant="李记鲜肉", uscc=make_uscc(2)),  # no phone in the ledger
    )
    first = await asyncio.gather(_run(engine, NOW), _run(engine, NOW))
    assert sorted(first) == [0, 4]
    assert await _run(engine, NOW + timedelta(hours=1)) == 0
    reminders = await rows(
        engine,
        "SELECT i.serial_no, r.days, r.channel FROM verification_reminder r JOIN instrument i ON i.id = r.instrument_id"
        " ORDER BY i.serial_no",
    )
    assert [tuple(r) for r in reminders] == [("D-20", 30, "sms"), ("D-30", 30, "sms"), ("D-5", 7, "sms"),
                                             ("Q-20", 30, "")]  # fmt: skip
    outbox = await rows(engine, "SELECT channel, kind, payload FROM outbox ORDER BY id")
    assert {(channel, kind) for channel, kind, _ in outbox} == {("sms", "verification_due")}
    assert len(outbox) == 3
    # decoded first: SQLite returns the JSON text with its Chinese escaped, where "张三" would never be found
    texts = [json.dumps(json.loads(p) if isinstance(p, str) else p, ensure_ascii=False) for *_, p in outbox]
    assert all("13800138000" not in text and "张三" not in text for text in texts)

    # Thirteen days on, D-20 has 7 days left: its second reminder, once.
    later = NOW + timedelta(days=13)
    assert sorted(await asyncio.gather(_run(engine, later), _run(engine, later))) == [0, 2]  # D-20 and Q-20
    sent = await rows(engine, "SELECT days FROM verification_reminder ORDER BY days, id")
    assert [days for (days,) in sent] == [7, 7, 7, 30, 30, 30]


async def test_the_merchant_page_lists_the_reminders(client: Client, engine: AsyncEngine) -> None:
    await seed(engine, _expiring("D-20", 20, contact_phone="13800138000"))
    await _run(engine, NOW)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    async with engine.connect() as connection:
        merchant_id = (await connection.execute(sa.text("SELECT id FROM merchant"))).scalar_one()
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    assert "已发短信" in staff_page
    issued = await client.post(f"/merchants/{merchant_id}/link", data={"csrf": csrf_of(staff_page), "send": "sms"})
    found = re.search(r'value="http://fairweigh\.test(/merchant-link/[^"]+)"', await issued.text())
    assert found is not None
    link_sms = await rows(engine, "SELECT payload FROM outbox WHERE kind = 'merchant_link'")
    assert len(link_sms) == 1
    assert "13800138000" not in str(link_sms[0][0])
    client.session.cookie_jar.clear()
    page = await (await client.get(found.group(1))).text()
    until = date.isoformat(TODAY + timedelta(days=20))
    assert f"电子计价秤（D-20）检定有效期至 {until}，还剩不到 30 天 · 2026-11-23 发出 · 已发短信" in page


async def test_a_reminder_goes_through_the_outbox_to_the_sms_sender_without_a_case(engine: AsyncEngine) -> None:
    await seed(engine, _expiring("D-20", 20, contact_phone="13800138000"))
    await _run(engine, NOW)
    sms = RecordingSender()
    assert await deliver(engine, {"sms": sms}, FakeClock(NOW)) == 1
    [delivery] = sms.sent
    assert (delivery.complaint_id, delivery.ref, delivery.kind) == (None, "", "verification_due")
    until = (TODAY + timedelta(days=20)).isoformat()
    assert {k: delivery.payload[k] for k in ("days", "valid_until")} == {"days": 30, "valid_until": until}
    assert [row.status for row in await outbox(engine)] == ["sent"]
