"""The monitoring sheet's GM2D item (每台计量器具上的 GM2D 码是否能"一扫清", issue 18, item 6): a volunteer's visit
records each code scanned or typed, one field per instrument, and whether it named an instrument; a code that names
none is a finding for the station; the handler's sheet shows the share that resolved and pre-selects the item from
it, and the year's summary has a column for it."""

from __future__ import annotations

import re
from typing import Any

import html5lib
import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.programme.monitoring import ITEMS
from complaints.programme.visits import CHECKS
from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in
from tests.support import code_of, ledger_row, seed
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
ALL_YES = dict.fromkeys(CHECKS, "yes")
GM2D = "(01)06901234567892(21)A17"  # the GM2D code's element string on the first scale


def parse(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)


async def two_scales(engine: AsyncEngine) -> str:
    """张记水产's two scales: one carries a GM2D code and a GB/T 36377 code besides our sticker. Our second code."""
    await seed(
        engine,
        ledger_row(serial_no="ACS2023000001", gtin="06901234567892", gs1_serial="A17", id_code="CN33010001ABC"),
        ledger_row(serial_no="ACS2023000002"),
    )
    return await code_of(engine, "ACS2023000002")


def visit(codes: list[str], answers: dict[str, str] = ALL_YES) -> FormData:
    form = FormData(default_to_multipart=True)
    for number, code in enumerate(codes, start=1):
        form.add_field(f"code_{number}", code)
    for item, answer in answers.items():
        form.add_field(item, answer)
    return form


async def record(client: Client, codes: list[str]) -> Any:
    page = await (await client.get("/visits/new")).text()
    action = re.search(r'action="(/visits/new\?csrf=[^"]+)"', page)
    assert action is not None
    return await client.post(action.group(1).replace("&amp;", "&"), data=visit(codes), allow_redirects=False)


async def stored_checks(engine: AsyncEngine) -> list[tuple[str, bool, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT text, resolved, outcome FROM visit_code_check ORDER BY id"))
        return [(row.text, bool(row.resolved), row.outcome) for row in rows]


async def test_the_visit_form_has_a_field_per_instrument_and_the_scanner(client: Client, engine: AsyncEngine) -> None:
    code = await two_scales(engine)
    await add_staff(engine, "vol", StaffRole.volunteer)
    await sign_in(client, "vol")
    response = await client.get("/visits/new", params={"code": code})
    page = await response.text()
    parse(page)
    assert "script-src 'self' 'wasm-unsafe-eval'" in response.headers["Content-Security-Policy"]
    assert '<button type="button" id="scan" hidden data-scan-into=".visit-code"' in page
    assert 'name="code_1" class="visit-code num"' in page
    assert f'value="{code}"' in page  # a sticker scanned with the phone's own scanner opens the form filled
    assert page.count('class="visit-code num"') == 8
    assert "第 8 台器具" in page


async def test_every_code_is_stored_with_whether_it_resolved_and_a_stray_one_is_a_finding(
    client: Client, engine: AsyncEngine
) -> None:
    code = await two_scales(engine)
    await add_staff(engine, "vol", StaffRole.volunteer)
    await sign_in(client, "vol")
    sent = await record(client, [code, GM2D, "CN33010001XYZ", "6920000000005"])
    assert sent.status == 303, await sent.text()
    ref = sent.headers["Location"].split("recorded=")[1]
    assert ref != "clean"  # the two codes that name nothing went to the station
    assert await stored_checks(engine) == [
        (code, True, "instrument"),
        (GM2D, True, "instrument"),
        ("CN33010001XYZ", False, "unknown"),
        ("6920000000005", False, "product"),
    ]
    async with engine.connect() as connection:
        case = (
            await connection.execute(sa.text("SELECT category, text FROM complaint WHERE ref = :ref"), {"ref": ref})
        ).one()
    assert case.category == "unverified_instrument"
    assert "码 CN33010001XYZ 扫不出器具（登记册中没有这个编码）" in case.text
    assert "码 6920000000005 扫不出器具（是商品条码，不是登记的器具）" in case.text
    listing = await (await client.get("/visits")).text()
    parse(listing)
    assert "扫码：4 个码中 2 个能一扫清" in listing


async def test_a_visit_whose_codes_all_resolve_is_clean_and_a_lone_stray_code_is_refused(
    client: Client, engine: AsyncEngine
) -> None:
    code = await two_scales(engine)
    await add_staff(engine, "vol", StaffRole.volunteer)
    await sign_in(client, "vol")
    clean = await record(client, [GM2D, "cn 3301 0001 abc", code])
    assert clean.headers["Location"] == "/visits?recorded=clean"  # the GM2D and 识别编码 name the same scale
    assert [resolved for _, resolved, _ in await stored_checks(engine)] == [True, True, True]
    lone = await record(client, ["CN33010001XYZ"])
    assert lone.status == 400  # nothing names the merchant visited
    assert "没有编码为 CN33010001XYZ 的器具" in await lone.text()
    assert len(await stored_checks(engine)) == 3


async def test_the_handlers_sheet_shows_the_share_and_preselects_the_gm2d_item(
    client: Client, engine: AsyncEngine
) -> None:
    code = await two_scales(engine)
    await add_staff(engine, "vol", StaffRole.volunteer)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "vol")
    await record(client, [code, GM2D, "6920000000005", "CN33010001XYZ"])
    client.session.cookie_jar.clear()
    await sign_in(client, "south")
    page = await (await client.get("/monitoring")).text()
    listing = await (await client.post("/monitoring", data={"csrf": csrf_of(page), "code": code})).text()
    link = re.search(r'value="http://fairweigh\.test(/monitoring/\d+/self-check\?token=[0-9a-f]+)"', listing)
    assert link is not None
    await client.post(link.group(1), data=dict.fromkeys(ITEMS, "yes"))  # the merchant declares every item met
    listing = await (await client.get("/monitoring")).text()
    check = re.search(r'href="(/monitoring/checks/\d+)">2026-Q4', listing)
    assert check is not None
    sheet = await (await client.get(check.group(1))).text()
    parse(sheet)
    assert "走访扫码：本季度 4 个码中 2 个能“一扫清”（50%）。" in sheet
    assert 'name="codes_scan_clean" value="rejected" checked' in sheet  # the visits found codes that name nothing
    assert 'value="走访扫码 2/4 能一扫清"' in sheet
    assert 'name="seals_intact" value="confirmed" required>' in sheet  # the other items wait for the handler
    summary = await (await client.get("/monitoring/report")).text()
    parse(summary)
    assert "GM2D 码一扫清（走访扫码）" in summary
    assert "<td>2 / 4（50%）</td></tr>" in summary
