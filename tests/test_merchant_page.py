"""The merchant's page: a handler issues the merchant's private link (re-issues, revokes it); the merchant opens it
without an account, sees their instruments with what to do, signs the commitment online (then the lookup page and
the public record say so) and withdraws it; forged, revoked and expired links are refused with a clear page; every
use is logged; no shopper's personal data reaches the merchant."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import html5lib
import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.merchants.links import LINK_DAYS
from tests.staff_support import NORTH, SOUTH, add_staff, csrf_of, sign_in, two_stations
from tests.support import NOW, code_of, ledger_row, seed, verification
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings

Client = TestClient[Any, Any]
LINK = re.compile(r'value="http://fairweigh\.test(/merchant-link/[0-9]+-[0-9a-f]{32})"')


def parse(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)


async def _merchant_id(engine: AsyncEngine, name: str = "张记水产") -> int:
    async with engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT id FROM merchant WHERE name = :n"), {"n": name})
        return int(found.scalar_one())


async def _issue(client: Client, merchant_id: int, **form: str) -> str:
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    issued = await client.post(f"/merchants/{merchant_id}/link", data={"csrf": csrf_of(staff_page), **form})
    page = await issued.text()
    parse(page)
    found = LINK.search(page)
    assert found is not None, "the staff page shows no link in force"
    return found.group(1)


async def _seed_south(engine: AsyncEngine) -> None:
    """张记水产 in 南门 with a phone and person in the ledger, one instrument expiring in 17 days, one in date."""
    await seed(
        engine,
        ledger_row(
            serial_no="E-1",
            verification=verification(NOW.date() - timedelta(days=348), NOW.date() + timedelta(days=17)),
            contact_phone="138 0013 8000",
            contact_person="张三",
        ),
        ledger_row(serial_no="V-1"),
    )


async def test_a_merchant_signs_the_commitment_online_and_the_lookup_page_shows_it(
    client: Client, engine: AsyncEngine
) -> None:
    await _seed_south(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    merchant_id = await _merchant_id(engine)
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    assert "138 0013 8000" in staff_page
    assert "张三" in staff_page
    link = await _issue(client, merchant_id)

    client.session.cookie_jar.clear()  # the merchant has no account: only the link
    home = await client.get(link)
    assert home.status == 200
    assert home.headers["Cache-Control"] == "no-store"
    page = await home.text()
    assert '<meta name="referrer" content="no-referrer">' in page
    parse(page)
    assert "我的计量器具（2 台）" in page
    due = (NOW.date() + timedelta(days=17)).isoformat()
    assert f"即将到期：请在 {due} 前送 鼓楼区计量检定所 检定" in page
    assert "有问题请联系南门市场监管所" in page

    # The ledger's paper commitment is in force: the merchant withdraws it and signs online.
    assert "承诺日期：2025-03-01" in page
    withdrawn = await client.post(f"{link}/commitment/withdraw")
    assert "您可以在线签署诚信计量承诺书" in await withdrawn.text()
    unsigned = await client.post(f"{link}/commitment", data={"signer": "张三"})
    assert unsigned.status == 400
    assert "请勾选" in await unsigned.text()
    nameless = await client.post(f"{link}/commitment", data={"signer": " ", "agree": "yes"})
    assert nameless.status == 400
    assert "请填写签署人姓名" in await nameless.text()
    signed = await client.post(f"{link}/commitment", data={"signer": "张三", "agree": "yes"})
    mine = await signed.text()
    assert "2026-11-23 在线签署（电子承诺书）" in mine
    assert "签署人：张三" in mine
    again = await client.post(f"{link}/commitment", data={"signer": "张三", "agree": "yes"})
    assert again.status == 409

    code = await code_of(engine, "V-1")
    lookup = await (await client.get(f"/i/{code}")).text()
    assert "2026-11-23 在线签署（电子承诺书）" in lookup
    assert "张三" not in lookup
    assert "138" not in lookup
    api = await (await client.get(f"/api/v1/instruments/{code}")).json()
    assert {k: api["commitment"][k] for k in ("signed_on", "signed_online")} == {
        "signed_on": "2026-11-23",
        "signed_online": True,
    }
    record = await (await client.get(f"/merchant/{merchant_id}")).text()
    assert "2026-11-23 在线签署（电子承诺书）" in record
    assert "张三" not in record
    assert "0013" not in record
    english = await (await client.get(f"/merchant/{merchant_id}?lang=en")).text()
    assert "Signed online on 2026-11-23" in english

    # A handler revokes it: recorded with who did it; the lookup page no longer shows a commitment.
    await sign_in(client, "south")
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    assert "撤销有效的承诺书" in staff_page
    revoked = await client.post(f"/merchants/{merchant_id}/commitment/revoke", data={"csrf": csrf_of(staff_page)})
    history = await revoked.text()
    assert "撤销有效的承诺书" not in history  # nothing left in force to revoke
    assert "2026-11-23 撤销（south）" in history  # the online one, by the handler
    assert "2026-11-23 撤销（商家本人撤回）" in history  # the paper one, withdrawn by the merchant
    assert "该经营者尚未签署诚信计量承诺书" in await (await client.get(f"/i/{code}")).text()
    uses = re.findall(r"· #\d+ · ([^<]+)</li>", history)
    assert uses.count("签署承诺书") == 4  # two refused forms, the signature, the second signature refused
    assert "撤回承诺书" in uses
    assert "打开页面" in uses


async def test_forged_revoked_and_expired_links_are_refused_with_a_clear_page(
    aiohttp_client: Any, client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    await _seed_south(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    merchant_id = await _merchant_id(engine)
    first = await _issue(client, merchant_id)
    second = await _issue(client, merchant_id)  # a re-issue: the first stops working
    assert first != second

    client.session.cookie_jar.clear()
    forged = await client.get(second[:-4] + ("0000" if not second.endswith("0000") else "1111"))
    assert forged.status == 403
    text = await forged.text()
    parse(text)
    assert "这个链接无效" in text
    assert "This link is not valid" in text
    assert (await client.get("/merchant-link/not-a-token")).status == 403
    assert (await client.get("/merchant-link/999999-" + "0" * 32)).status == 403
    assert (await client.get("/merchant-link/99999999999-" + "0" * 32)).status == 403  # past any row id
    assert (await client.post(f"{second[:-4]}0000/commitment", data={"signer": "x", "agree": "yes"})).status == 403

    old = await client.get(first)
    assert old.status == 410
    text = await old.text()
    parse(text)
    assert "已被监管所作废" in text
    assert "Your station has revoked this link" in text
    assert "有问题请联系南门市场监管所" in text
    assert (await client.post(f"{first}/commitment", data={"signer": "x", "agree": "yes"})).status == 410

    assert (await client.get(second)).status == 200
    later = await aiohttp_client(create_app(settings, clock=lambda: NOW + timedelta(days=LINK_DAYS + 1)))
    expired = await later.get(second)
    assert expired.status == 410
    assert "这个链接已过期" in await expired.text()

    await sign_in(client, "south")
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    revoked = await client.post(f"/merchants/{merchant_id}/link/revoke", data={"csrf": csrf_of(staff_page)})
    assert "目前没有有效的链接" in await revoked.text()
    client.session.cookie_jar.clear()
    assert (await client.get(second)).status == 410
    async with engine.connect() as connection:
        actions = (await connection.execute(sa.text("SELECT action FROM merchant_link_use ORDER BY id"))).scalars()
        assert list(actions) == ["revoked", "revoked", "view", "expired", "revoked"]


async def test_the_merchant_sees_counts_of_complaints_and_never_a_shoppers_details(
    client: Client, engine: AsyncEngine
) -> None:
    await _seed_south(engine)
    code = await code_of(engine, "V-1")
    form = FormData()
    for name, value in (("code", code), ("text", "张记水产的秤不准，称的鱼少了二两，要求退钱"), ("name", "李四"),
                        ("phone", "13912345678"), ("consent", "yes")):  # fmt: skip
        form.add_field(name, value)
    posted = await client.post("/complain", data=form, allow_redirects=False)
    assert posted.status == 303
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    link = await _issue(client, await _merchant_id(engine))
    client.session.cookie_jar.clear()
    page = await (await client.get(link)).text()
    assert "共 1 件" in page
    assert "<dt>已收到</dt><dd>1</dd>" in page
    for private in ("李四", "13912345678", "1391234", "称的鱼少了二两"):
        assert private not in page


async def test_another_stations_handler_cannot_see_or_issue(client: Client, engine: AsyncEngine) -> None:
    await two_stations(engine)
    await add_staff(engine, "north", StaffRole.handler, NORTH)
    await sign_in(client, "north")
    south_merchant = await _merchant_id(engine)
    assert (await client.get(f"/merchants/{south_merchant}")).status == 404
    page = await (await client.get("/merchants")).text()
    refused = await client.post(f"/merchants/{south_merchant}/link", data={"csrf": csrf_of(page)})
    assert refused.status == 404
    found = await client.get(f"/merchants?code={await code_of(engine, 'B-1')}", allow_redirects=False)
    assert found.headers["Location"] == f"/merchants/{await _merchant_id(engine, '李记鲜肉')}"


async def test_a_monitoring_point_reaches_its_self_check_from_its_page(client: Client, engine: AsyncEngine) -> None:
    await _seed_south(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    merchant_id = await _merchant_id(engine)
    link = await _issue(client, merchant_id)
    client.session.cookie_jar.clear()
    page = await (await client.get(link)).text()
    assert "您还不是诚信计量监测点" in page

    await sign_in(client, "south")
    monitoring = await (await client.get("/monitoring")).text()
    enrolled = await client.post(
        "/monitoring", data={"csrf": csrf_of(monitoring), "code": await code_of(engine, "V-1")}
    )
    assert enrolled.status == 200
    client.session.cookie_jar.clear()
    page = await (await client.get(link)).text()
    found = re.search(r'href="(/monitoring/\d+/self-check\?token=[0-9a-f]+)">填写本季度自查', page)
    assert found is not None
    form = await (await client.get(found.group(1))).text()
    assert "诚信计量自查（2026-Q4）" in form
    english = await (await client.get(f"{link}?lang=en")).text()
    parse(english)
    assert "File this quarter&#39;s self-check" in english
    assert "My instruments (2)" in english
