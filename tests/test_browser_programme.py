"""The programme's pages in Debian's headless Chromium, without JavaScript, at 360 px and 1280 px: the targets
scoreboard and its form, the district's page, the official score sheet, the due list and the early warnings.

Screenshots go to the test's temporary folder, or to $FAIRWEIGH_SCREENSHOTS when set, for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.programme.index_metrics import save_area
from tests.staff_support import PASSWORD, add_staff
from tests.support import NOW, ZONE, code_of
from tests.test_browser import browser, shots  # noqa: F401  (fixtures)
from tests.warnings_support import DAY, histories
from web.auth.models import StaffRole
from web.db import for_writing
from web.nightly import run_night_once

pytestmark = pytest.mark.browser
Client = TestClient[Any, Any]
WIDTHS = (360, 1280)


async def sign_in(page: Page, client: Client, username: str) -> None:
    await page.goto(str(client.make_url("/login")))
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


def elsewhere(page: Page, client: Client) -> list[str]:
    """The addresses the page asks for that are not this service's (filled in as the page loads)."""
    ours, outside = str(client.make_url("/")), []

    def note(request: Request) -> None:
        if not request.url.startswith((ours, "data:")):
            outside.append(request.url)

    page.on("request", note)
    return outside


async def look(page: Page, client: Client, path: str, shot: Path, *, width: int) -> None:
    """Open the page; nothing it loads comes from elsewhere, and only a table's own box may scroll sideways."""
    outside = elsewhere(page, client)
    response = await page.goto(str(client.make_url(path)))
    assert response is not None
    assert response.status == 200, path
    assert outside == [], outside
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{path} scrolls sideways at {width}px ({scroll}px)"
    await page.screenshot(path=shot, full_page=True)


@pytest.fixture
async def programme(engine: AsyncEngine) -> None:
    await histories(engine)  # the targets' district, with changes the early warning notices
    await run_night_once(engine, DAY, zone=ZONE, now=NOW, worker="test")
    await add_staff(engine, "boss", StaffRole.supervisor)
    async with for_writing(engine).begin() as connection:
        await save_area(connection, "南门古街景区", kind="scenic", district="鼓楼区", markets=["南门农贸市场"])


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize("width", WIDTHS)
async def test_the_scoreboard_reads_at_a_glance_on_a_phone_and_a_desk(
    client: Client,
    engine: AsyncEngine,
    browser: Browser,  # noqa: F811  (the fixture imported from test_browser)
    shots: Path,  # noqa: F811
    width: int,
) -> None:
    page = await browser.new_page(viewport={"width": width, "height": 900}, java_script_enabled=False, locale="zh-CN")
    try:
        await sign_in(page, client, "boss")
        await look(page, client, "/targets", shots / f"targets-{width}.png", width=width)
        summary = await page.locator("main p strong").first.inner_text()
        assert "项达标" in summary
        first_cell = page.locator("table.board td").first
        box = await first_cell.bounding_box()
        assert box is not None
        assert box["y"] < 700, "the first figure must be on the first screen"
        await look(page, client, "/targets/manual", shots / f"targets-manual-{width}.png", width=width)
        await look(page, client, "/due", shots / f"due-{width}.png", width=width)
        await look(page, client, "/district", shots / f"district-{width}.png", width=width)
        await look(page, client, "/index/1", shots / f"index-sheet-{width}.png", width=width)
        await look(page, client, f"/i/{await code_of(engine, 'W-0')}", shots / f"meter-{width}.png", width=width)
        assert "已超过使用期限" in await page.locator("main").inner_text()
        await look(page, client, "/warnings", shots / f"warnings-{width}.png", width=width)
        await page.get_by_role("link", name="张记水产").click()
        assert "近 30 天“缺斤短两”投诉 4 件" in await page.locator("main").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        await page.screenshot(path=shots / f"warning-{width}.png", full_page=True)
    finally:
        await page.close()
