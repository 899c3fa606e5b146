"""`GET /find.json` (issue 18, item 4): what 扫一扫's script on the complaint form and the visit form learns about a
code it read — the instrument, the choice of instruments sharing a serial, or what the code is — in the page's
language, with nothing personal, and never a server error whatever was scanned."""

from __future__ import annotations

import random
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests import test_code_resolver
from tests.test_code_resolver import GTIN, OTHER_GTIN

Client = TestClient[Any, Any]
known = test_code_resolver.known  # the resolver tests' registry: one of each kind of code


async def find_json(client: Client, text: str, **params: str) -> tuple[int, dict[str, Any]]:
    response = await client.get("/find.json", params={"code": text, **params})
    assert response.content_type == "application/json"
    return response.status, await response.json()


@pytest.mark.parametrize(
    ("scanned", "serial", "matched_by"),
    [
        ("(01)06901234567892(21)A17", "ACS2023000001", "gs1"),  # a GM2D code's element string
        ("https://id.gs1.org/01/06901234567892/21/A17", "ACS2023000001", "gs1"),  # its Digital Link
        ("CN33010001ABC", "ACS2023000001", "id_code"),  # GB/T 36377
        ("3300001234567890123456", "DB-77", "asset_no"),  # a meter's asset number
        ("ACS2023000001", "ACS2023000001", "serial_no"),  # a nameplate serial only one instrument has
    ],
)
async def test_each_kind_of_code_answers_the_instrument_it_names(
    client: Client,
    known: dict[str, str],
    scanned: str,
    serial: str,
    matched_by: str,
) -> None:
    status, found = await find_json(client, scanned)
    assert status == 200
    assert (found["outcome"], found["resolved"]) == ("instrument", True)
    instrument = found["instrument"]
    assert instrument["code"] == known[serial]
    assert instrument["url"] == f"/i/{known[serial]}"
    assert instrument["matched_by"] == matched_by
    if serial == "DB-77":
        assert (instrument["kind"], instrument["kind_name"], instrument["merchant"]) == (
            "electricity_meter", "电能表", "城南小区",
        )  # fmt: skip
        assert found["summary"] == f"找到了：电能表（{known[serial]}），城南小区 · 12号摊位"
    else:
        place = (instrument["merchant"], instrument["stall"], instrument["market"])
        assert place == ("张记水产", "12号摊位", "南门农贸市场")
        assert found["summary"] == f"找到了：电子计价秤（{known[serial]}），张记水产 · 12号摊位 · 南门农贸市场"


async def test_our_own_code_answers_in_english_when_asked(client: Client, known: dict[str, str]) -> None:
    code = known["ACS2023000001"]
    status, found = await find_json(client, code.lower(), lang="en")
    assert status == 200
    assert found["instrument"]["kind_name"] == "Price-computing scale"
    assert found["summary"].startswith(f"Found: Price-computing scale ({code})")


async def test_a_shared_serial_lists_the_instruments_to_choose_from(
    client: Client,
    known: dict[str, str],
) -> None:
    status, found = await find_json(client, "ZX-100")
    assert status == 200
    assert (found["outcome"], found["resolved"], found["instrument"]) == ("several", False, None)
    assert sorted(match["merchant"] for match in found["matches"]) == ["李记干货", "王记肉铺"]
    assert "有 2 台器具的编号是 ZX-100" in found["summary"]


@pytest.mark.parametrize(
    ("scanned", "outcome", "words"),
    [
        (OTHER_GTIN, "product", "这是商品条码，不是我们登记的计量器具（商品代码 06920000000005）"),
        ("https://id.gs1.org/01/06901234567893/21/A17", "gs1_broken", "无法读取这个条码"),  # wrong check digit
        ("ABCDE-12345", "ours", "没有编码为 ABCDE-12345 的器具：可能输错了，或者贴纸是伪造的。"),
        ("某某牌 XK-9", "unknown", "登记册中没有哪台器具带有 某某牌 XK-9。"),
    ],
)
async def test_a_code_naming_no_instrument_says_what_it_is(
    client: Client,
    known: dict[str, str],
    scanned: str,
    outcome: str,
    words: str,
) -> None:
    status, found = await find_json(client, scanned)
    assert status == 404
    assert (found["outcome"], found["resolved"], found["instrument"], found["matches"]) == (outcome, False, None, [])
    assert found["summary"] == words


async def test_no_code_is_a_bad_request_and_the_answer_names_nobody(
    client: Client,
    known: dict[str, str],
) -> None:
    for params in ({}, {"code": "   "}):
        response = await client.get("/find.json", params=params)
        assert response.status == 400
        assert (await response.json())["error"] == "no_code"
    _, found = await find_json(client, f"(01){GTIN}(21)A17")
    text = str(found)
    for private in ("鼓楼区南门路20号", "92350102MA"):  # no address, no credit code: only what the page shows
        assert private not in text, private


async def test_anything_scanned_answers_json_and_never_a_server_error(
    client: Client,
    known: dict[str, str],
) -> None:
    rng = random.Random(29)
    pieces = ["(01)", "(21)", "/01/", "/i/", "\x1d", "]d2", "https://", "0", "9", "A", "秤", "%", "\x00", "\u202e",
              "?", "#", " ", "&", "ＡＢ", "𝟘", "(", ")", "01", "21", "\ufeff", '"', "<script>"]  # fmt: skip
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(80)]
    texts += ["0" * 600, "(01)" * 100, "\x1d" * 50, "https://x/01/" + "9" * 14 + "/21/"]
    for text in texts:
        response = await client.get("/find.json", params={"code": text})
        assert response.status in (200, 400, 404), repr(text)
        found = await response.json()
        assert len(found.get("text", "")) <= 64, repr(text)
