"""The sign-in security pages in a real browser (Playwright + Chromium), each checked by axe-core at phone and desktop
width: enrolling a second factor, the recovery codes, the code step of signing in, and the administrators' locks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyotp
import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import PASSWORD, SOUTH, add_staff, sign_in, two_stations
from tests.support import NOW
from tests.test_browser import browser, shots  # noqa: F401 (fixtures)
from tests.test_walk import Walk, _context, axe_source  # noqa: F401 (fixtures)
from web.auth.models import StaffRole
from web.auth.throttle import MAX_FAILURES_PER_PAIR

pytestmark = pytest.mark.browser


async def _password(page: Page, username: str) -> None:
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()


@pytest.mark.parametrize("width", [360, 1280])
async def test_enrolling_and_signing_in_with_a_code_pass_axe(
    client: TestClient[Any, Any],
    engine: AsyncEngine,
    browser: Browser,  # noqa: F811
    axe_source: str,  # noqa: F811
    shots: Path,  # noqa: F811
    width: int,
) -> None:
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "root", StaffRole.admin)
    walk = Walk(width, axe_source, shots)
    context = await _context(browser, width)
    try:
        page = await context.new_page()
        await page.goto(str(client.make_url("/account/second-factor")))
        await _password(page, "south")
        await page.get_by_role("img", name="TOTP QR").wait_for()
        await walk.check(page, "factor-enrol")
        secret = (await page.locator("figcaption code").inner_text()).replace(" ", "")
        await page.get_by_label("验证码（6 位数字）或恢复码").fill(pyotp.TOTP(secret).at(NOW))
        await page.get_by_role("button", name="确认").click()
        assert await page.locator("ul.codes li").count() == 10
        await walk.check(page, "factor-codes")
        await page.get_by_role("button", name="退出").click()

        await page.goto(str(client.make_url("/login")))
        await _password(page, "south")
        await page.get_by_label("验证码（6 位数字）或恢复码").fill("000000")
        await page.get_by_role("button", name="验证").click()
        assert "验证码不对" in await page.get_by_role("alert").inner_text()
        await walk.check(page, "login-code-wrong")
        assert await page.get_by_role("button", name="退出").count() == 0  # not signed in yet: no staff bar

        for _ in range(MAX_FAILURES_PER_PAIR):
            await sign_in(client, "nobody", "guess guess guess")
        await page.goto(str(client.make_url("/login")))
        await _password(page, "root")
        await page.goto(str(client.make_url("/admin/locks")))
        assert "nobody" in await page.locator("main").inner_text()
        await walk.check(page, "admin-locks")
        await page.get_by_role("button", name="解锁").click()
        assert "现在没有被锁定的用户名或地址" in await page.locator("main").inner_text()
        await page.goto(str(client.make_url("/admin/users")))
        await walk.check(page, "admin-users")
    finally:
        await context.close()
    assert len(walk.checked) == 5
