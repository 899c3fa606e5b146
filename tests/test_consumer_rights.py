"""The consumer's rights from the status page: the privacy notice in Chinese and English; what is held for their
case, masked, with the date until which each kind is kept; a request to remove it, refused with the reason while
the case is handled, recorded once it has ended and carried out by the next purge."""

from __future__ import annotations

from typing import Any

import html5lib
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.privacy_support import NAME, PHONE, close_case, held, purge
from tests.staff_support import two_stations

Client = TestClient[Any, Any]


async def test_the_privacy_notice_says_what_why_how_long_who_and_how_to_ask(client: Client) -> None:
    page = await client.get("/privacy")
    assert page.status == 200
    text = await page.text()
    html5lib.HTMLParser(strict=True).parse(text)
    for words in ("收集什么", "为什么收集", "保存多久", "谁能看到", "怎么申请", "200 天", "30 天", "删除我的信息"):
        assert words in text
    english = await (await client.get("/privacy", params={"lang": "en"})).text()
    for words in ("What we collect", "Why", "How long", "Who sees it", "how to ask", "200 days"):
        assert words in english
    assert "/privacy" in await (await client.get("/complain")).text()  # every page links to it


@pytest.fixture
async def case(client: Client, engine: AsyncEngine) -> dict[str, Any]:
    await two_stations(engine)
    body = {"text": "在南门市场买的虾少了三两，要求退钱", "contact": {"name": NAME, "phone": PHONE}, "consent": True}
    created = await (await client.post("/api/v1/complaints", json=body)).json()
    async with engine.connect() as connection:
        from sqlalchemy import text

        complaint_id = (
            await connection.execute(text("SELECT id FROM complaint WHERE ref = :r"), {"r": created["ref"]})
        ).scalar_one()
    return {"ref": created["ref"], "token": created["token"], "id": complaint_id}


async def status_page(client: Client, case: dict[str, Any], **query: str) -> str:
    answer = await client.get(f"/c/{case['ref']}", params={"token": case["token"], **query})
    assert answer.status == 200
    text = await answer.text()
    html5lib.HTMLParser(strict=True).parse(text)
    return text


async def ask(client: Client, case: dict[str, Any], token: str | None = None) -> Any:
    return await client.post(
        f"/c/{case['ref']}/erasure", params={"token": token or case["token"]}, allow_redirects=False
    )


async def test_the_status_page_shows_what_is_held_and_takes_a_request_once_the_case_ended(
    client: Client, engine: AsyncEngine, case: dict[str, Any]
) -> None:
    page = await status_page(client, case)
    assert "王*" in page
    assert "138****8000" in page
    assert PHONE not in page  # a forwarded link must not leak the number
    assert "仍在办理中" in page
    assert "删除我的个人信息" not in page  # no button while the case is handled

    early = await ask(client, case)
    assert early.status == 303
    answer = await status_page(client, case, erasure="case_open")
    assert "办结后才能删除" in answer
    assert (await held(engine, case["id"]))["contact"] == (NAME, PHONE, "")

    await close_case(engine, case["id"])
    page = await status_page(client, case)
    assert "保存至 " in page
    assert "删除我的个人信息" in page
    recorded = await ask(client, case)
    assert recorded.status == 303
    assert recorded.headers["Location"].endswith("erasure=recorded#personal-data")
    page = await status_page(client, case, erasure="recorded")
    assert "个人信息将在今晚删除" in page
    assert "已收到你删除个人信息的申请" in page  # on the public timeline

    await purge(client, engine, days=1)
    assert await held(engine, case["id"]) == {"contact": None, "photos": 0, "dedupe": None}
    page = await status_page(client, case)
    assert "本案不再保存你的任何个人信息" in page
    assert "本件保存的个人信息已删除" in page


async def test_a_wrong_token_learns_nothing(client: Client, case: dict[str, Any]) -> None:
    wrong = await ask(client, case, token="not-the-token")
    assert wrong.status == 404
    unknown = await client.post("/c/JL20991231-0001/erasure", params={"token": case["token"]})
    assert unknown.status == 404
    assert (await wrong.text()) == (await unknown.text())
