"""A merchant's public record and the districts' red and black lists: what anyone may read, and nothing of any
consumer."""

from __future__ import annotations

from typing import Any

import html5lib
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import SOUTH, add_staff, token_for
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
SHOPPERS = [
    ("王芳", "13800138001", "张记水产的秤少了二两，要求退钱，我叫王芳"),
    ("李雷", "13800138002", "在张记水产买鱼缺斤短两，称重时不让看秤，要求赔偿"),
    ("韩梅梅", "13800138003", "张记水产少称了三两带鱼，请帮我讨回差价"),
]


async def merchant_id(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT merchant_id FROM instrument WHERE serial_no = 'V-1'"))
        return int(found.scalar_one())


def parse(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)


async def test_the_record_shows_commitment_standing_instruments_and_counts_only(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "boss", StaffRole.supervisor)
    handler = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    refs = []
    for name, phone, text in SHOPPERS:
        body = {"text": text, "code": codes["valid"], "contact": {"name": name, "phone": phone}}
        refs.append((await (await client.post("/api/v1/complaints", json=body)).json())["ref"])
    settled, failed, declined = refs
    moves = {
        settled: [{"action": "accept"}, {"action": "start_mediation"}, {"action": "resolve", "outcome": "refund"}],
        failed: [{"action": "accept"}, {"action": "start_mediation"}, {"action": "end_mediation", "note": "拒绝"}],
        declined: [{"action": "decline", "ground": "other", "note": "重复投诉"}],
    }
    for ref, actions in moves.items():
        for action in actions:
            assert (await client.post(f"/api/v1/queue/{ref}/actions", json=action, headers=handler)).status == 200
    merchant = await merchant_id(engine)
    reason = "三次复秤均短秤，拒不整改"
    listed = await client.post(
        f"/merchants/{merchant}/standing", data={"standing": "black_list", "reason": reason}, headers=boss
    )
    assert listed.status in {200, 303}

    page = await (await client.get(f"/merchant/{merchant}")).text()
    parse(page)
    assert "张记水产" in page
    assert "黑榜（计量失信）" in page
    assert reason in page
    assert "2026-11-23 起" in page
    assert "诚信计量承诺" in page
    assert f"/i/{codes['valid']}" in page  # every instrument in use, with its status
    assert "合格 · 在有效期内" in page
    # Three complaints; one of the two mediations succeeded; all three decided within the deadline.
    assert "<dt>投诉件数</dt><dd>3</dd>" in page
    assert '50 % <span class="muted">(1/2)</span>' in page
    assert '100 % <span class="muted">(3/3)</span>' in page
    # The queue counts the same complaints.
    queue = await (await client.get("/api/v1/queue", params={"intent": "complaint"}, headers=boss)).json()
    assert len(queue["cases"]) == 3
    for name, phone, text in SHOPPERS:
        assert name not in page
        assert phone not in page
        assert phone[-4:] not in page
        assert text not in page
    english = await (await client.get(f"/merchant/{merchant}", params={"lang": "en"})).text()
    parse(english)
    assert "Complaints in the last 12 months" in english
    assert "Share settled by mediation" in english

    lists = await (await client.get("/lists")).text()
    parse(lists)
    assert "鼓楼区" in lists
    assert f'href="/merchant/{merchant}"' in lists
    assert reason in lists
    for name, phone, _ in SHOPPERS:
        assert name not in lists
        assert phone not in lists


async def test_the_lookup_page_links_the_record_and_unknown_merchants_are_not_found(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    merchant = await merchant_id(engine)
    scan = await (await client.get(f"/i/{codes['valid']}")).text()
    assert f'href="/merchant/{merchant}"' in scan
    for missing in ("999999", "abc", "1" * 12, "١"):
        assert (await client.get(f"/merchant/{missing}")).status == 404
    empty = await (await client.get("/lists", params={"lang": "en"})).text()
    parse(empty)
    assert "No merchant is on a red or black list" in empty
