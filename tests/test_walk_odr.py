"""ODR in a real browser at a phone's 360 px: the station marks the merchant as ODR, a shopper complains and lets
the merchant settle first, the merchant proposes a settlement on their page, and the shopper accepts it on the
status page. Every page is checked by axe-core and for sideways scrolling (tests/test_walk.py's Walk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Page
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import PASSWORD, SOUTH, add_staff
from tests.test_browser import browser, shots  # noqa: F401 (fixtures)
from tests.test_walk import Walk, axe_source, contexts  # noqa: F401 (fixtures)
from web.auth.models import StaffRole

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360])
async def test_the_merchant_proposes_and_the_shopper_accepts_at_phone_width(
    client: TestClient[Any, Any],
    engine: AsyncEngine,
    codes: dict[str, str],
    contexts: tuple[Page, Page],  # noqa: F811
    axe_source: str,  # noqa: F811
    shots: Path,  # noqa: F811
    width: int,
) -> None:
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    shopper, handler = contexts
    walk = Walk(width, axe_source, shots)

    await handler.goto(str(client.make_url("/merchants")))
    await handler.get_by_label("用户名").fill("south")
    await handler.get_by_label("密码").fill(PASSWORD)
    await handler.get_by_role("button", name="登录").click()
    await handler.get_by_label("扫该商家一台器具的码：").fill(codes["valid"])
    await handler.get_by_role("button", name="查找商家").click()
    await handler.get_by_role("button", name="生成链接").click()
    await handler.get_by_role("button", name="设为 ODR 企业").click()
    assert "ODR 企业，自 2026-11-23 起（south 决定）" in await handler.locator("main").inner_text()
    await walk.check(handler, "merchant-staff-odr")
    link = await handler.get_by_role("textbox", name="商家专属链接").input_value()

    await shopper.goto(str(client.make_url(f"/i/{codes['valid']}")))
    await shopper.get_by_role("link", name="我要投诉").click()
    await shopper.get_by_label("发生了什么？").fill("张记水产的秤不准，称的带鱼少了三两，要求退差价")
    await shopper.get_by_role("button", name="下一步").click()
    await shopper.get_by_role("radio", name="投诉").check()
    await shopper.get_by_label("姓名", exact=True).fill("王芳")
    await shopper.get_by_label("电话", exact=True).fill("13800138000")
    await shopper.get_by_label("先由商家协商解决（商家须在 10 个工作日内联系您；不成再转市场监管所）").check()
    await walk.check(shopper, "complain-odr")
    await shopper.get_by_role("button", name="提交").click()
    status_url = shopper.url
    said = await shopper.locator("main").inner_text()
    assert "商家协商中" in said
    assert "受理期限" not in said
    await walk.check(shopper, "status-with-merchant")

    merchant = handler  # the merchant has no account: only the link, in a browser of their own
    await merchant.context.clear_cookies()
    await merchant.goto(str(client.make_url(link.split("fairweigh.test", 1)[1])))
    odr = merchant.locator("#odr").locator("..")
    assert "王芳" in await odr.inner_text()
    assert "13800138000" in await odr.inner_text()
    await odr.get_by_label("和解方案（退款、补足、道歉、免费调修等）").fill("退还差价 18 元并当面道歉")
    await odr.get_by_label("退款金额（元，可不填）").fill("18")
    await walk.check(merchant, "merchant-odr")
    await odr.get_by_role("button", name="提交和解方案").click()
    assert "等待消费者答复" in await merchant.locator("#odr").locator("..").inner_text()
    await walk.check(merchant, "merchant-proposed")

    await shopper.goto(status_url)
    assert "退还差价 18 元并当面道歉" in await shopper.locator("main").inner_text()
    await walk.check(shopper, "status-proposal")
    await shopper.get_by_role("button", name="接受方案，纠纷解决").click()
    assert "已由商家和解（2026-11-23）" in await shopper.locator("main").inner_text()
    await walk.check(shopper, "status-settled")
    assert len(walk.checked) == 7
