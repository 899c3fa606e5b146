"""What a shopper gets after scanning a sticker: the page, the JSON and the QR image, over real HTTP."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any

import html5lib
import pytest
import sqlalchemy as sa
import zxingcpp
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from qr.codes import check_symbol, format_code
from tests.support import BADGES, NOW, ZONE, code_of, ledger_row, make_uscc, seed
from web.app import create_app
from web.settings import Settings

Client = TestClient[Any, Any]


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_page_tells_the_shopper_everything_on_the_sticker(client: Client, codes: dict[str, str]) -> None:
    response = await client.get(f"/i/{codes['valid']}")
    assert response.status == 200
    assert response.content_type == "text/html"
    text = visible_text(await response.text())
    for expected in (
        "合格 · 在有效期内",
        "有效期至 2027-05-09",
        "电子计价秤",
        "V-1",
        "ACS-15",
        "请核对器具铭牌上的出厂编号和型号",
        "张记水产",
        "12号摊位",
        "南门农贸市场",
        "2026-05-10",
        "鼓楼区计量检定所",
        "JD2026-000001",
        "本经营者郑重承诺",
        "承诺日期：2025-03-01",
        "东门管理处旁",
        "我要投诉",
        "12315",
        "南门市场监管所",
        format_code(codes["valid"]),
    ):
        assert expected in text, expected


@pytest.mark.parametrize("status", list(BADGES))
async def test_status_badge_in_words_and_colour(client: Client, codes: dict[str, str], status: str) -> None:
    zh, en, colour = BADGES[status]
    page_zh = await (await client.get(f"/i/{codes[status]}")).text()
    badge = re.search(r'<section class="badge (\w+)" role="status"[^>]*>(.*?)</section>', page_zh, re.S)
    assert badge is not None
    assert badge.group(1) == colour
    assert zh in badge.group(2)
    page_en = await (await client.get(f"/i/{codes[status]}?lang=en")).text()
    assert en in page_en
    api = await (await client.get(f"/api/v1/instruments/{codes[status]}")).json()
    assert api["status"] == status


async def test_untrusted_statuses_tell_the_shopper_what_to_do(client: Client, codes: dict[str, str]) -> None:
    assert "请不要以此器具的计量结果为准" in await (await client.get(f"/i/{codes['expired']}")).text()
    assert "请不要以此器具的计量结果为准" not in await (await client.get(f"/i/{codes['valid']}")).text()
    suspended = await (await client.get(f"/i/{codes['suspended']}")).text()
    assert "已被停用，请不要以它的计量结果为准" in suspended


async def test_language_follows_the_query_then_the_browser(client: Client, codes: dict[str, str]) -> None:
    url = f"/i/{codes['valid']}"
    default = await client.get(url)
    assert '<html lang="zh-CN">' in await default.text()
    assert default.headers["Vary"] == "Accept-Language, Accept-Encoding"
    browser = await client.get(url, headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert '<html lang="en">' in await browser.text()
    assert "Serial number" in await browser.text()
    forced = await client.get(url + "?lang=zh", headers={"Accept-Language": "en"})
    assert "出厂编号" in await forced.text()
    explicit_links = await (await client.get(url + "?lang=en")).text()
    assert "?lang=en" in re.search(r'href="(/m/\d+[^"]*)"', explicit_links).group(1)  # type: ignore[union-attr]


def bad_check(code: str) -> str:
    wrong = "0" if check_symbol(code[:-1]) != "0" else "1"
    return code[:-1] + wrong


@pytest.mark.parametrize(
    "typed",
    ["ABC", "0" * 9 + "U", "ZZZZZZZZZZZZ", "%3Cscript%3E", "秤" * 10, "A" * 5000, "..%2F..%2Fetc"],
)
async def test_malformed_codes_are_not_called_forged_and_never_a_500(client: Client, typed: str) -> None:
    response = await client.get(f"/i/{typed}")
    assert response.status == 404
    body = await response.text()
    assert "这不是器具编码" in body or "编码可能输错了" in body
    assert "伪造" not in body
    assert 'name="code"' in body  # somewhere to type it again
    assert "<script>" not in body


async def test_a_well_formed_unknown_code_warns_of_a_forged_sticker(client: Client, codes: dict[str, str]) -> None:
    unknown = "0" * 9 + check_symbol("0" * 9)
    response = await client.get(f"/i/{unknown}")
    assert response.status == 404
    page = await response.text()
    assert "这张标签可能是伪造的" in page
    assert 'href="/complain"' in page  # the complaint form, not only the hotline
    english = await client.get(f"/i/{unknown}?lang=en")
    assert "may be forged" in await english.text()
    api = await client.get(f"/api/v1/instruments/{unknown}")
    assert (api.status, (await api.json())["error"]) == (404, "unknown_code")


async def test_a_code_with_a_wrong_check_symbol_is_a_typo_not_a_forgery(client: Client, codes: dict[str, str]) -> None:
    response = await client.get(f"/i/{bad_check(codes['valid'])}")
    assert response.status == 404
    page = visible_text(await response.text())
    assert "编码可能输错了" in page
    assert "伪造" not in page
    assert format_code(codes["valid"]) in page  # the registry's nearest code, one slip away
    api = await client.get(f"/api/v1/instruments/{bad_check(codes['valid'])}")
    assert (api.status, (await api.json())["error"]) == (404, "malformed_code")
    assert "伪造" not in (await api.json())["message_zh"]


async def test_sloppy_codes_redirect_to_the_canonical_page(client: Client, codes: dict[str, str]) -> None:
    sloppy = format_code(codes["valid"]).lower().replace("1", "l").replace("0", "o")
    response = await client.get(f"/i/{sloppy}?lang=en", allow_redirects=False)
    assert response.status == 301
    assert response.headers["Location"] == f"/i/{codes['valid']}?lang=en"


async def test_etag_revalidation(client: Client, codes: dict[str, str]) -> None:
    first = await client.get(f"/i/{codes['valid']}")
    etag = first.headers["ETag"]
    again = await client.get(f"/i/{codes['valid']}", headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    other = await client.get(f"/i/{codes['valid']}?lang=en", headers={"If-None-Match": etag})
    assert other.status == 200


async def test_a_status_that_changes_at_midnight_is_never_cached_past_it(
    aiohttp_client: Any, settings: Settings, codes: dict[str, str]
) -> None:
    """The expiring instrument's validity ends 2026-12-10; at 23:58 that day the page may live 2 minutes."""
    now = [datetime(2026, 12, 10, 23, 58, tzinfo=ZONE)]
    client: Client = await aiohttp_client(create_app(settings, clock=lambda: now[0]))
    before = await client.get(f"/i/{codes['expiring']}")
    assert "即将到期" in await before.text()
    assert before.headers["Cache-Control"] == "public, max-age=120"
    now[0] += timedelta(minutes=3)
    after = await client.get(f"/i/{codes['expiring']}", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status == 200
    assert "已过期" in await after.text()


async def test_pages_are_small_self_contained_and_valid_html(client: Client, codes: dict[str, str]) -> None:
    for path in (f"/i/{codes['valid']}", f"/i/{codes['failed']}?lang=en", "/i/0000000000", "/m/1", "/nowhere"):
        body = await (await client.get(path)).read()
        assert len(body) < 30 * 1024, path
        html = body.decode()
        for external in ("<script", "<link", " src=", "@import", "url("):
            assert external not in html, (path, external)
        for target in re.findall(r'href="([^"]*)"', html):
            assert target.startswith(("/", "?", "#", "tel:")), f"{path} links out to {target}"
        html5lib.HTMLParser(strict=True).parse(html)  # raises on any parse error
        assert "<main" in html
        assert "<header" in html
        assert "<footer" in html


async def test_json_api(client: Client, codes: dict[str, str]) -> None:
    response = await client.get(f"/api/v1/instruments/{codes['valid']}")
    assert response.status == 200
    body = await response.json()
    assert body["code"] == codes["valid"]
    assert body["url"] == f"http://fairweigh.test/i/{codes['valid']}"
    assert (body["kind"], body["serial_no"], body["model"]) == ("price_scale", "V-1", "ACS-15")
    assert body["merchant"]["name"] == "张记水产"
    assert body["market"]["name"] == "南门农贸市场"
    assert body["valid_until"] == "2027-05-09"
    assert body["last_verification"]["result"] == "pass"
    assert body["commitment"]["signed_on"] == "2025-03-01"
    assert body["commitment"]["signed_online"] is False  # the ledger's paper commitment
    assert body["as_of"] == NOW.date().isoformat()
    assert "contact" not in str(body)
    unverified = await (await client.get(f"/api/v1/instruments/{codes['unverified']}")).json()
    assert (unverified["last_verification"], unverified["valid_until"]) == (None, None)


async def test_newest_commitment_shown_and_revoked_ones_not(client: Client, engine: AsyncEngine) -> None:
    await seed(engine, ledger_row(uscc=make_uscc(9), serial_no="C-1", commitment_signed_on=date(2024, 1, 5)))
    await seed(engine, ledger_row(uscc=make_uscc(9), serial_no="C-1", commitment_signed_on=date(2026, 2, 1)))
    code = await code_of(engine, "C-1")
    assert "承诺日期：2026-02-01" in await (await client.get(f"/i/{code}")).text()
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("UPDATE commitment SET revoked_on = '2026-03-01' WHERE signed_on = '2026-02-01'")
        )
    assert "承诺日期：2024-01-05" in await (await client.get(f"/i/{code}?lang=zh&x=1")).text()


async def test_market_page_lists_every_instrument_and_the_fair_scale(client: Client, codes: dict[str, str]) -> None:
    response = await client.get("/m/1")
    assert response.status == 200
    html = await response.text()
    assert "东门管理处旁" in html
    for code in codes.values():
        assert f'href="/i/{code}"' in html
    assert "在用计量器具（6 台）" in html
    for path in ("/m/999", "/m/abc", "/m/99999999999999999999"):
        assert (await client.get(path)).status == 404


async def test_qr_images_encode_the_lookup_url(client: Client, codes: dict[str, str]) -> None:
    png = await client.get(f"/i/{codes['valid']}/qr.png")
    assert png.status == 200
    assert png.content_type == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(await png.read())))
    assert [d.text for d in decoded] == [f"http://fairweigh.test/i/{codes['valid']}"]
    assert decoded[0].format == zxingcpp.BarcodeFormat.QRCode
    svg = await client.get(f"/i/{codes['valid']}/qr.svg")
    assert svg.content_type == "image/svg+xml"
    assert (await svg.text()).lstrip().startswith("<svg")
    assert (await client.get("/i/0000000000/qr.png")).status == 404


async def test_health(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_unknown_routes_answer_in_the_callers_language(client: Client) -> None:
    page = await client.get("/no/such/page")
    assert page.status == 404
    assert "页面不存在" in await page.text()
    api = await client.get("/api/v1/nothing")
    assert api.status == 404
    assert (await api.json())["error"] == "not_found"


async def test_merchant_text_is_escaped(client: Client, engine: AsyncEngine) -> None:
    await seed(engine, ledger_row(uscc=make_uscc(7), merchant="<script>alert(1)</script>", serial_no="XSS"))
    html = await (await client.get(f"/i/{await code_of(engine, 'XSS')}")).text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
