"""The lookup page in a real browser (Debian's headless Chromium) on a 360 px phone screen.

Screenshots go to the test's temporary folder, or to $FAIRWEIGH_SCREENSHOTS when set, for a person to look
at; none is committed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image
from playwright.async_api import Browser, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import PASSWORD, SOUTH, add_staff, two_stations
from tests.support import BADGES
from web.auth.models import StaffRole

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        if os.environ.get("FAIRWEIGH_REQUIRE_BROWSER") == "1":
            pytest.fail("FAIRWEIGH_REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium) — browser tests not run")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            # The machine has no network: without these Chromium keeps trying to reach Google's services.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        await browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FAIRWEIGH_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def sign_in_on(page: Page, url: str, username: str, *, until: str) -> None:
    """Open ``url``, sign in on the form it asks for, and wait for the page headed ``until``."""
    await page.goto(url)
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await page.get_by_role("heading", name=until).wait_for()


async def test_status_badge_readable_on_a_360px_phone(
    client: TestClient[Any, Any], browser: Browser, codes: dict[str, str], shots: Path
) -> None:
    page = await browser.new_page(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, java_script_enabled=False, locale="zh-CN"
    )
    try:
        for status, code in codes.items():
            response = await page.goto(str(client.make_url(f"/i/{code}")))
            assert response is not None
            assert response.status == 200
            badge = page.get_by_role("status")
            await badge.wait_for(state="visible")
            assert BADGES[status][0] in await badge.inner_text()
            box = await badge.bounding_box()
            assert box is not None
            assert 0 <= box["x"] <= box["x"] + box["width"] <= 360, box
            assert box["y"] < 200, "the verdict must be the first thing on the screen"
            colours = await badge.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
            assert contrast(*colours) >= 4.5, (status, colours)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{status}: the page scrolls sideways ({width}px)"
            await page.screenshot(path=shots / f"lookup-{status}.png", full_page=True)
        await page.goto(str(client.make_url("/i/0000000000?lang=en")))
        assert "may be forged" in await page.get_by_role("alert").inner_text()
        await page.screenshot(path=shots / "lookup-unknown.png")
    finally:
        await page.close()


async def test_a_shopper_complains_from_the_lookup_page_on_a_phone_without_javascript(
    client: TestClient[Any, Any], browser: Browser, codes: dict[str, str], shots: Path, tmp_path: Path
) -> None:
    photo = tmp_path / "receipt.jpg"
    Image.new("RGB", (1200, 900), (230, 230, 220)).save(photo, "JPEG")
    page = await browser.new_page(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, java_script_enabled=False, locale="zh-CN"
    )
    try:
        await page.goto(str(client.make_url(f"/i/{codes['expired']}")))
        await page.get_by_role("link", name="我要投诉").click()
        await page.get_by_label("发生了什么？").fill("这台秤过期了还在用，称的带鱼少了三两，要求退钱")
        await page.get_by_role("button", name="下一步").click()
        assert await page.get_by_role("radio", name="投诉").is_checked()  # pre-selected from the words
        await page.get_by_label("照片（可选）").set_input_files(photo)
        await page.get_by_label("姓名", exact=True).fill("王芳")
        await page.get_by_label("电话", exact=True).fill("13800138000")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the form scrolls sideways ({width}px)"
        await page.screenshot(path=shots / "complain-form.png", full_page=True)
        await page.get_by_role("button", name="提交").click()
        heading = page.get_by_role("heading", level=1)
        assert "JL20261123-0001" in await heading.inner_text()
        assert "已收到您的来信" in await page.locator("main").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.screenshot(path=shots / "case-status.png", full_page=True)
    finally:
        await page.close()


async def test_a_handler_signs_in_and_works_a_case_to_closed_with_the_keyboard(
    client: TestClient[Any, Any], browser: Browser, engine: AsyncEngine, shots: Path
) -> None:
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    ours = await client.post("/api/v1/complaints", json={"text": "张记水产的秤不准，<b>称的鱼</b>少了二两，要求退钱"})
    theirs = await client.post("/api/v1/complaints", json={"text": "李记鲜肉的秤不准，称的肉少了二两，要求退钱"})
    ref, other = (await ours.json())["ref"], (await theirs.json())["ref"]
    page = await browser.new_page(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        await page.goto(str(client.make_url("/queue")))
        await page.get_by_label("用户名").fill("south")
        await page.get_by_label("密码").fill(PASSWORD)
        await page.keyboard.press("Enter")
        await page.get_by_role("link", name=ref).wait_for()
        assert await page.get_by_role("link", name=other).count() == 0
        await page.screenshot(path=shots / "queue.png", full_page=True)
        await page.get_by_role("link", name=ref).focus()
        await page.keyboard.press("Enter")
        assert "<b>称的鱼</b>" in await page.locator(".words").first.inner_text()  # shown as text, not markup
        for action in ("受理", "开始调解"):
            await page.get_by_role("button", name=action, exact=True).click()
        await page.locator('select[name="outcome"]').select_option("refund")
        await page.get_by_label("为消费者挽回（元）").fill("20")
        await page.get_by_role("button", name="调解成功", exact=True).click()
        await page.get_by_role("button", name="办结", exact=True).click()
        heading = await page.get_by_role("heading", level=1).inner_text()
        assert "已办结" in heading
        await page.screenshot(path=shots / "case-closed.png", full_page=True)
        response = await page.goto(str(client.make_url(f"/queue/{other}")))
        assert response is not None
        assert response.status == 404
        await page.goto(str(client.make_url("/reports?month=2026-11")))
        await page.locator(".chart svg").first.wait_for()
        refused = [text for text in console if "Content Security Policy" in text]
        assert refused == [], "every page's style and images fit its content security policy"
    finally:
        await page.close()


async def test_a_volunteer_records_a_visit_on_a_360px_phone(
    client: TestClient[Any, Any], browser: Browser, engine: AsyncEngine, codes: dict[str, str], shots: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    await add_staff(engine, "vol", StaffRole.volunteer)
    photo = tmp_path / "seal.jpg"
    Image.new("RGB", (1200, 900), (200, 40, 40)).save(photo, "JPEG")
    page = await browser.new_page(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, java_script_enabled=False, locale="zh-CN"
    )
    try:
        await sign_in_on(page, str(client.make_url("/login")), "vol", until="记录一次走访")
        await page.get_by_label("第 1 台器具").fill(codes["valid"])  # a field per instrument
        await page.get_by_label("第 2 台器具").fill(codes["expiring"])
        for item in ("诚信计量承诺书已公示", "计量器具检定合格并在有效期内", "使用法定计量单位，读数顾客看得见",
                     "明码标价", "设有公平秤"):  # fmt: skip
            await page.get_by_role("group", name=item).get_by_label("是", exact=True).check()
        await page.get_by_role("group", name="铅封、签封完好").get_by_label("否", exact=True).check()
        await page.get_by_label("照片").set_input_files(photo)
        await page.get_by_label("备注").fill("电子秤铅封被剪断")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the visit form scrolls sideways ({width}px)"
        await page.screenshot(path=shots / "visit-form.png", full_page=True)
        await page.get_by_role("button", name="提交走访记录").click()
        status = await page.get_by_role("status").inner_text()
        assert "已作为举报 JL20261123-0001 转给监管所" in status
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.screenshot(path=shots / "visits.png", full_page=True)
    finally:
        await page.close()


async def test_an_admin_reads_and_sets_a_markets_location_on_a_360px_phone(
    client: TestClient[Any, Any], browser: Browser, engine: AsyncEngine, shots: Path
) -> None:
    await two_stations(engine)
    await add_staff(engine, "admin", StaffRole.admin)
    page = await browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, locale="zh-CN")
    try:
        await sign_in_on(page, str(client.make_url("/admin/markets")), "admin", until="市场位置")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360, "the page scrolls sideways"
        # Every field shows what it holds whole: the numbers typed and the name of the map they were read off.
        await page.locator('input[name="latitude"]').first.fill("26.088000")
        await page.locator('input[name="longitude"]').first.fill("119.303000")
        cut = await page.evaluate(
            """() => [...document.querySelectorAll('form input:not([type=hidden]), form select')].filter(field => {
                const text = field.tagName === 'SELECT' ? field.selectedOptions[0].text : field.value;
                const context = document.createElement('canvas').getContext('2d');
                context.font = getComputedStyle(field).font;
                return context.measureText(text).width + 40 > field.clientWidth;  // padding and the select's arrow
            }).map(field => field.name + ': ' + field.clientWidth + 'px')"""
        )
        assert cut == [], f"fields too narrow for what they show: {cut}"
        await page.screenshot(path=shots / "admin-markets.png", full_page=True)
        async with page.expect_navigation():
            await page.get_by_role("button", name="保存").first.click()
        shown = [await field.input_value() for field in await page.locator('input[name="latitude"]').all()]
        assert "26.088000" in shown  # saved, and shown again
    finally:
        await page.close()
