"""The shopper's complaint form and status page, as a phone's browser uses them (no JavaScript)."""

from __future__ import annotations

import io
import re
from typing import Any

import html5lib
import pytest
import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

Client = TestClient[Any, Any]
TEXT = "在南门农贸市场买的带鱼，回家一称少了三两，要求商户退钱赔偿"


def jpeg_with_location() -> bytes:
    image = Image.new("RGB", (640, 480), (200, 30, 30))
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (26.0, 5.0, 0.0), 3: "E", 4: (119.0, 18.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def form(text: str = TEXT, *, code: str = "", photos: list[bytes] | None = None, **fields: str) -> FormData:
    data = FormData()
    data.add_field("code", code)
    data.add_field("text", text)
    for name, value in fields.items():
        data.add_field(name, value)
    for number, photo in enumerate(photos or []):
        data.add_field("photos", io.BytesIO(photo), filename=f"IMG_{number}.jpg", content_type="image/jpeg")
    return data


async def stored(engine: AsyncEngine, table: str) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1"))).all())


async def test_the_lookup_page_leads_to_the_form_with_the_code_filled_in(client: Client, codes: dict[str, str]) -> None:
    page = await (await client.get(f"/i/{codes['valid']}")).text()
    link = re.search(r'class="cta" href="(/complain\?code=[^"]+)"', page)
    assert link is not None
    response = await client.get(link.group(1))
    assert response.status == 200
    body = await response.text()
    assert f'name="code" value="{codes["valid"]}"' in body
    assert "V-1" in body  # the serial number, so the shopper knows which scale the complaint is about
    assert "投诉（要求退款、赔偿、调解）按规定必须留下姓名和电话" in body
    html5lib.HTMLParser(strict=True).parse(body)


async def test_a_complaint_with_a_photo_becomes_a_case_the_shopper_can_follow(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    photo = jpeg_with_location()
    data = form(code=codes["valid"], photos=[photo], name="王芳", phone="13800138000", consent="yes")
    response = await client.post("/complain", data=data, allow_redirects=False)
    assert response.status == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/c/JL20261123-0001\?token=[\w-]+", location)

    page = await client.get(location)
    assert page.status == 200
    assert page.headers["Cache-Control"] == "no-store"
    body = await page.text()
    for words in ("JL20261123-0001", "缺斤短两", "南门市场监管所", "已收到您的来信", "2026-12-02"):
        assert words in body
    assert "13800138000" not in body
    html5lib.HTMLParser(strict=True).parse(body)

    [saved] = await stored(engine, "complaintphoto")
    assert saved.content_type == "image/jpeg"
    kept = Image.open(io.BytesIO(saved.data))
    assert (kept.width, kept.height) == (640, 480)
    assert not kept.getexif()  # the shopper's location is gone
    [contact] = await stored(engine, "complaintcontact")
    assert (contact.name, contact.phone, bool(contact.consent_to_contact)) == ("王芳", "13800138000", True)


async def test_the_status_page_speaks_english_when_asked(client: Client, codes: dict[str, str]) -> None:
    response = await client.post("/complain?lang=en", data=form(code=codes["valid"]), allow_redirects=False)
    location = response.headers["Location"]
    assert location.endswith("&lang=en")
    body = await (await client.get(location)).text()
    assert "Your message was received" in body
    # No name or phone on a complaint: the page says they are needed.
    assert "A complaint needs your name and phone number" in body


async def test_a_wrong_token_shows_a_plain_not_found_page(client: Client, codes: dict[str, str]) -> None:
    await client.post("/complain", data=form(code=codes["valid"]), allow_redirects=False)
    response = await client.get("/c/JL20261123-0001", params={"token": "guess"})
    assert response.status == 404
    assert "找不到这件投诉" in await response.text()


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (lambda: form("   "), 400, "请写下发生了什么"),
        (lambda: form(photos=[b"%PDF-1.4 not a photo"]), 415, "JPEG"),
        (lambda: form(phone="not a phone"), 400, "电话号码看起来不对"),
        (lambda: form(code="ZZZZZ-ZZZZZ"), 400, "可以不填器具码再提交"),
        (lambda: form(photos=[jpeg_with_location()] * 5), 400, "最多上传 4 张照片"),
    ],
    ids=["empty-text", "not-an-image", "bad-phone", "unknown-code", "five-photos"],
)
async def test_a_bad_form_is_shown_again_with_what_to_fix_and_nothing_stored(
    client: Client, engine: AsyncEngine, data: Any, status: int, message: str
) -> None:
    response = await client.post("/complain", data=data(), allow_redirects=False)
    assert response.status == status
    body = await response.text()
    assert message in body
    assert 'role="alert"' in body
    assert await stored(engine, "complaint") == []


async def test_a_50_mb_upload_is_refused_before_it_is_read(client: Client, engine: AsyncEngine) -> None:
    big = b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)
    response = await client.post("/complain", data=form(photos=[big]), allow_redirects=False)
    assert response.status == 413
    assert "上传的内容太大" in await response.text()
    assert await stored(engine, "complaint") == []


async def test_what_the_shopper_typed_survives_a_refusal(client: Client) -> None:
    response = await client.post("/complain", data=form(TEXT, phone="12"), allow_redirects=False)
    assert response.status == 400
    assert TEXT in await response.text()
