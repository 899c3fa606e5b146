"""扫一扫 on the complaint form and the volunteer's visit form (issue 18, items 4 and 6), in Chromium with a fake
camera playing a code made in the test with zxing-cpp's writer (as tests/test_scanner.py does for the home page).
On the complaint form the code read fills the instrument field with the instrument's own code and says which
instrument it is; on the visit form it fills the next instrument's field as read, and the visit records it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import zxingcpp
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.programme.visits import CHECKS
from lookup.vocab import InstrumentKind
from tests.staff_support import PASSWORD, add_staff
from tests.support import code_of, ledger_row, make_uscc, seed
from tests.test_scanner import camera_page, code_image, y4m
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
pytestmark = pytest.mark.browser


async def test_the_complaint_forms_scanner_fills_the_instrument_and_names_it(
    client: Client, engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(
        engine,
        ledger_row(
            merchant="城南小区",
            uscc=make_uscc(4),
            market="",
            stall="",
            kind=InstrumentKind.electricity_meter,
            serial_no="DB-77",
            asset_no="3300001234567890123456",
        ),
    )
    code = await code_of(engine, "DB-77")
    image = code_image("3300001234567890123456", zxingcpp.BarcodeFormat.Code128)  # the meter's asset barcode
    async with camera_page(y4m(tmp_path / "meter.y4m", image)) as page:
        await page.goto(str(client.make_url("/complain")))
        button = page.locator("#scan")
        await button.wait_for(state="visible", timeout=10_000)
        assert await button.inner_text() == "扫一扫"
        await button.click()
        found = page.locator("#form-code-found")
        await found.filter(has_text="找到了").wait_for(timeout=30_000)
        assert await found.inner_text() == f"找到了：电能表（{code}），城南小区"
        assert await page.locator("#form-code").input_value() == code  # what the form sends: our code
        assert page.url.endswith("/complain")  # the shopper stays on the form, with what they typed


async def test_the_visit_forms_scanner_fills_the_next_instrument_and_the_visit_records_it(
    client: Client, engine: AsyncEngine, tmp_path: Path
) -> None:
    gm2d = "(01)06901234567892(21)A17"
    await seed(engine, ledger_row(serial_no="ACS2023000001", gtin="06901234567892", gs1_serial="A17"))
    await add_staff(engine, "vol", StaffRole.volunteer)
    image = code_image(gm2d, zxingcpp.BarcodeFormat.DataMatrix)  # the GM2D code as a Data Matrix
    async with camera_page(y4m(tmp_path / "gm2d.y4m", image)) as page:
        await page.goto(str(client.make_url("/login")))
        await page.fill("#username", "vol")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/visits/new", timeout=10_000)
        await page.fill("#code-1", "CN99999999XYZ")  # typed first: the scan goes into the next field
        await page.locator("#scan").click()
        found = page.locator("#code-2-found")
        await found.filter(has_text="找到了").wait_for(timeout=30_000)
        assert "张记水产 · 12号摊位 · 南门农贸市场" in await found.inner_text()
        assert await page.locator("#code-2").input_value() == gm2d  # as read: the visit records whether it resolved
        for item in CHECKS:
            await page.check(f"input[name={item}][value=yes]")
        await page.click("button.cta[type=submit]")
        await page.wait_for_url("**/visits?recorded=*", timeout=10_000)
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT text, resolved FROM visit_code_check ORDER BY id"))).all()
    assert [(row.text, bool(row.resolved)) for row in rows] == [("CN99999999XYZ", False), (gm2d, True)]
