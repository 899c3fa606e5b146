"""扫一扫 (issue 18, item 4): the home page reads a QR code, a Data Matrix and a Code 128 from the camera — here
Chromium's fake camera playing a video of each, made in the test with zxing-cpp's writer — and hands the text to
the resolver, which opens the instrument's page. The decoder is served by us (web/static/scanner/)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zxingcpp
from aiohttp.test_utils import TestClient
from PIL import Image
from playwright.async_api import Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.vocab import InstrumentKind
from tests.support import code_of, ledger_row, make_uscc, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH, HEIGHT = 640, 480
Client = TestClient[Any, Any]


def y4m(path: Path, image: Image.Image, frames: int = 10) -> Path:
    """A short Y4M video of one still picture, the format Chromium's fake camera plays."""
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(image, ((WIDTH - image.width) // 2, (HEIGHT - image.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def code_image(text: str, kind: zxingcpp.BarcodeFormat) -> Image.Image:
    barcode = zxingcpp.create_barcode(text, kind)
    image = Image.fromarray(np.array(barcode.to_image(scale=4 if kind == zxingcpp.BarcodeFormat.Code128 else 6)))
    return image.convert("L")


@pytest.mark.browser
@pytest.mark.parametrize(
    ("text", "kind", "serial"),
    [
        ("CN33010001ABC", zxingcpp.BarcodeFormat.QRCode, "ACS2023000001"),  # a GB/T 36377 code in a QR code
        ("(01)06901234567892(21)A17", zxingcpp.BarcodeFormat.DataMatrix, "ACS2023000001"),  # GS1 element string
        ("3300001234567890123456", zxingcpp.BarcodeFormat.Code128, "DB-77"),  # a meter's asset number
    ],
)
async def test_the_scanner_reads_each_kind_of_code_and_opens_the_instrument(
    client: Client, engine: AsyncEngine, tmp_path: Path, text: str, kind: zxingcpp.BarcodeFormat, serial: str
) -> None:
    await seed(
        engine,
        ledger_row(serial_no="ACS2023000001", gtin="06901234567892", gs1_serial="A17", id_code="CN33010001ABC"),
        ledger_row(
            merchant="城南小区",
            uscc=make_uscc(4),
            market="",
            kind=InstrumentKind.electricity_meter,
            serial_no="DB-77",
            asset_no="3300001234567890123456",
        ),
    )
    video = y4m(tmp_path / "camera.y4m", code_image(text, kind))
    async with camera_page(video) as page:
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        await page.goto(str(client.make_url("/")))
        button = page.locator("#scan")
        await button.wait_for(state="visible", timeout=10_000)
        assert await button.inner_text() == "扫一扫"
        await button.click()
        await page.wait_for_url("**/i/*", timeout=30_000)
        assert page.url.endswith(f"/i/{await code_of(engine, serial)}")
        host = str(client.make_url("/"))
        assert all(url.startswith(host) for url in requested), "everything comes from our own site"
        assert any(url.endswith("/scanner/zxing_reader-3.1.3.wasm") for url in requested)


@asynccontextmanager
async def camera_page(video: Path) -> AsyncIterator[Page]:
    """A Chromium page whose camera shows ``video``, and the camera allowed."""
    if CHROMIUM is None:
        if os.environ.get("FAIRWEIGH_REQUIRE_BROWSER") == "1":
            pytest.fail("FAIRWEIGH_REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium) — browser tests not run")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        try:
            context = await browser.new_context(permissions=["camera"], locale="zh-CN")
            yield await context.new_page()
        finally:
            await browser.close()


async def test_the_scanner_files_are_served_by_us_and_only_the_pages_offering_it_may_run_them(client: Client) -> None:
    for name, kind in (("scan.js", "text/javascript"), ("zxing_reader-3.1.3.wasm", "application/wasm")):
        response = await client.get(f"/scanner/{name}")
        assert (response.status, response.content_type) == (200, kind)
    assert (await client.get("/scanner/../site.css")).status == 404
    assert (await client.get("/scanner/other.js")).status == 404
    home = await client.get("/")
    assert "script-src 'self' 'wasm-unsafe-eval'" in home.headers["Content-Security-Policy"]
    page = await home.text()
    assert '<button type="button" id="scan" hidden' in page  # shown by the script only: without it, type the code
    form = await client.get("/complain")
    assert "script-src 'self' 'wasm-unsafe-eval'" in form.headers["Content-Security-Policy"]
    other = await client.get("/find", params={"code": "nothing"})
    assert "script-src" not in other.headers["Content-Security-Policy"]
