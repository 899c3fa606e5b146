"""One resolver for anything scanned or typed (issue 18, item 2), over the real app: our code or URL, a GS1 Digital
Link or element string, a GB/T 36377 identification code, a meter's asset number, a nameplate serial shared by
several instruments, and codes that name nothing we know, each answered with a page saying what it is."""

from __future__ import annotations

import asyncio
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.codes.gs1 import read_gs1
from lookup.codes.resolve import Outcome, Resolution, resolve
from lookup.vocab import InstrumentKind
from qr.codes import format_code
from tests.support import code_of, ledger_row, make_uscc, seed
from tests.test_lookup_http import visible_text
from web.db import create_engine

Client = TestClient[Any, Any]
GTIN = "06901234567892"
OTHER_GTIN = "6920000000005"  # a valid GTIN-13 no instrument carries


@pytest.fixture
async def known(engine: AsyncEngine) -> dict[str, str]:
    await seed(
        engine,
        ledger_row(serial_no="ACS2023000001", gtin=GTIN, gs1_serial="A17", id_code="CN33010001ABC"),
        ledger_row(merchant="李记干货", uscc=make_uscc(2), stall="3号摊位", serial_no="ZX-100"),
        ledger_row(merchant="王记肉铺", uscc=make_uscc(3), market="东门市场", stall="8号", serial_no="ZX-100"),
        ledger_row(
            merchant="城南小区",
            uscc=make_uscc(4),
            market="",
            kind=InstrumentKind.electricity_meter,
            serial_no="DB-77",
            asset_no="3300001234567890123456",
        ),
    )
    return {serial: await code_of(engine, serial) for serial in ("ACS2023000001", "DB-77")}


async def find(client: Client, text: str, **params: str) -> Any:
    return await client.get("/find", params={"code": text, **params}, allow_redirects=False)


@pytest.mark.parametrize(
    "scanned",
    [
        "https://id.gs1.org/01/06901234567892/21/A17",  # a Digital Link from any domain
        "http://zjpm.example.cn/x/01/6901234567892/21/A17?linkType=all",  # GTIN-13 written short, a query
        "(01)06901234567892(21)A17",  # element string as printed under a barcode
        "]d2010690123456789221A17",  # raw from a Data Matrix, symbology identifier, serial last
        "010690123456789221A17\x1d10LOT5",  # raw with FNC1 before the next variable-length field
        "https://x.example/01/06901234567892/21/A17/99/foo",  # an AI biip refuses: the pair still names it
        "CN33010001ABC",  # GB/T 36377 identification code
        " cn 3301 0001 abc ",  # the same, typed loosely
        "ACS2023000001",  # a nameplate serial only one instrument carries
    ],
)
async def test_every_code_the_instrument_carries_leads_to_its_page(
    client: Client, known: dict[str, str], scanned: str
) -> None:
    response = await find(client, scanned)
    assert response.status == 303
    assert response.headers["Location"] == f"/i/{known['ACS2023000001']}"


async def test_a_meters_asset_number_and_our_own_url_lead_to_the_instrument(
    client: Client, known: dict[str, str]
) -> None:
    response = await find(client, "3300 0012 3456 7890 1234 56")
    assert response.headers["Location"] == f"/i/{known['DB-77']}"
    code = known["ACS2023000001"]
    pasted = f"https://fairweigh.example.cn/i/{format_code(code).lower()}"
    response = await find(client, pasted, lang="en")
    assert (response.status, response.headers["Location"]) == (303, f"/i/{code}?lang=en")


async def test_a_mistyped_code_in_our_url_is_forgiven_with_the_nearest_code(
    client: Client, known: dict[str, str]
) -> None:
    code = known["ACS2023000001"]
    slip = code[:4] + code[5:]  # one symbol left out
    response = await find(client, f"fairweigh.example.cn/i/{slip}")
    assert response.status == 404
    text = visible_text(await response.text())
    assert "编码可能输错了" in text
    assert format_code(code) in text


async def test_a_serial_several_instruments_share_asks_which_merchant_or_market(
    client: Client, known: dict[str, str]
) -> None:
    response = await find(client, "ZX-100")
    assert response.status == 200
    page = await response.text()
    text = visible_text(page)
    assert "这个编号对应多台器具" in text
    assert "请选择您所在的经营者或市场" in text
    assert "李记干货 · 南门农贸市场 · 3号摊位" in text
    assert "王记肉铺 · 东门市场 · 8号" in text
    assert page.count('href="/i/') == 2
    english = visible_text(await (await find(client, "ZX-100", lang="en")).text())
    assert "Choose the merchant or market you are at" in english


async def test_a_product_barcode_is_named_as_one_with_what_to_do(client: Client, known: dict[str, str]) -> None:
    response = await find(client, OTHER_GTIN)
    assert response.status == 404
    text = visible_text(await response.text())
    assert "这是商品条码，不是我们登记的计量器具" in text
    assert "06920000000005" in text
    assert "GS1 China" in text
    assert "投诉" in text
    assert "12315" in text
    # Our GTIN with a serial no instrument carries: the product is named with the serial read.
    text = visible_text(await (await find(client, "(01)06901234567892(21)B99")).text())
    assert "这是商品条码" in text
    assert "条码中的序列号：B99" in text


async def test_an_element_string_without_fnc1_reads_a_longer_serial_and_says_so(
    client: Client, known: dict[str, str]
) -> None:
    # Without FNC1 after the serial, AI 10 and its lot run into the serial: no instrument carries that.
    response = await find(client, "010690123456789221A1710LOT5")
    assert response.status == 404
    assert "条码中的序列号：A1710LOT5" in visible_text(await response.text())


@pytest.mark.parametrize(
    ("scanned", "reason"),
    [
        ("https://id.gs1.org/01/06901234567893/21/A17", "Invalid GTIN check digit"),  # wrong check digit
        ("(01)0690123456789(21)A17", "Failed to match"),  # thirteen digits where AI 01 takes fourteen
        ("(21)A17", "no GTIN (AI 01)"),
        ("6901234567893", "mod-10"),  # a bare GTIN-13 with a wrong check digit
    ],
)
async def test_a_broken_gs1_code_is_said_to_be_unreadable_with_the_reason(
    client: Client, known: dict[str, str], scanned: str, reason: str
) -> None:
    response = await find(client, scanned)
    assert response.status == 404
    text = visible_text(await response.text())
    assert "无法读取这个条码" in text
    assert reason in text


async def test_a_code_nobody_registered_lists_the_codes_we_read(client: Client, known: dict[str, str]) -> None:
    response = await find(client, "某某牌 XK-9")
    assert response.status == 404
    text = visible_text(await response.text())
    assert "没有找到这个编码" in text
    assert "计量器具识别编码（GB/T 36377）" in text
    english = visible_text(await (await find(client, "某某牌 XK-9", lang="en")).text())
    assert "No instrument carries this code" in english


async def test_any_text_answers_a_page_and_never_a_server_error(client: Client, known: dict[str, str]) -> None:
    rng = random.Random(18)
    pieces = ["(01)", "(21)", "/01/", "/21/", "/i/", "\x1d", "]d2", "https://", "0", "9", "A", "z", "秤", "%",
              "\x00", "\u202e", "?", "#", " ", "-", "ＡＢ", "𝟘", "\ud7ff", "/", "(", ")", "01", "21"]  # fmt: skip
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(150)]
    texts += ["0" * 600, "/01/" * 200, "(01)" * 100, "\x1d" * 50, "https://x/01/", "https://x/01/" + "9" * 14 + "/21/"]
    for text in texts:
        response = await find(client, text)
        assert response.status in (200, 303, 404), repr(text)
        await response.read()


def test_gs1_readings_of_each_form() -> None:
    dl = read_gs1("https://example.com/01/06901234567892/21/ABC%2F12")
    assert dl is not None
    assert (dl.form, dl.gtin, dl.serial, dl.usage, dl.problem) == ("digital_link", GTIN, "ABC/12", "GS1 China", "")
    raw = read_gs1("]d2010690123456789221ABC\x1d10LOT")
    assert raw is not None
    assert (raw.form, raw.gtin, raw.serial) == ("element_string", GTIN, "ABC")
    assert read_gs1("hello") is None
    bare = read_gs1("96385074")
    assert bare is not None
    assert (bare.form, bare.gtin, bare.serial) == ("gtin", "00000096385074", None)


async def test_our_lookup_is_served_as_gs1_digital_link_paths(
    client: Client, known: dict[str, str], engine: AsyncEngine
) -> None:
    code = known["ACS2023000001"]
    for path in ("/01/06901234567892/21/A17", "/01/6901234567892/21/A17?linkType=gs1:pip"):
        response = await client.get(path, allow_redirects=False)
        assert (response.status, response.headers["Location"]) == (303, f"/i/{code}"), path
    response = await client.get("/01/06901234567892/21/A17?lang=en", allow_redirects=False)
    assert response.headers["Location"] == f"/i/{code}?lang=en"
    # A serial with a character a path segment cannot hold comes percent-encoded.
    await seed(engine, ledger_row(uscc=make_uscc(9), serial_no="S-9", gtin="0" + OTHER_GTIN, gs1_serial="B/2"))
    response = await client.get("/01/06920000000005/21/B%2F2", allow_redirects=False)
    assert response.headers["Location"] == f"/i/{await code_of(engine, 'S-9')}"
    unknown = await client.get("/01/06901234567892/21/NOPE", allow_redirects=False)
    assert unknown.status == 404
    assert "条码中的序列号：NOPE" in visible_text(await unknown.text())
    broken = await client.get("/01/06901234567893/21/A17", allow_redirects=False)
    assert broken.status == 404
    assert "无法读取这个条码" in visible_text(await broken.text())


PIECES = ["(01)", "(21)", "/01/", "/21/", "/i/", "\x1d", "]d2", "https://", "01", "21", "06901234567892", "A17",
          "CN33010001ABC", "ZX-100", "%2F", "秤", " ", "\x00", "ＡＢ", "/", "?", "0", "9", "["]  # fmt: skip


@pytest.fixture(scope="module")
def seeded_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("resolve") / "resolve.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def fill() -> None:
        engine = create_engine(url)
        await seed(
            engine,
            ledger_row(serial_no="ACS2023000001", gtin=GTIN, gs1_serial="A17", id_code="CN33010001ABC"),
            ledger_row(merchant="李记干货", uscc=make_uscc(2), serial_no="ZX-100"),
            ledger_row(merchant="王记肉铺", uscc=make_uscc(3), serial_no="ZX-100"),
        )
        await engine.dispose()

    asyncio.run(fill())
    return url


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=80), st.lists(st.sampled_from(PIECES), max_size=12).map("".join)))
@example("https://[/01/06901234567892")  # urllib's "Invalid IPv6 URL", which biip let through (found by CI)
def test_the_resolver_reads_any_text_without_failing(seeded_sqlite: str, text: str) -> None:
    async def read() -> Resolution:
        engine = create_engine(seeded_sqlite)
        try:
            async with engine.connect() as connection:
                return await resolve(connection, text)
        finally:
            await engine.dispose()

    found = asyncio.run(read())
    assert (found.outcome is Outcome.instrument) == (len(found.matches) == 1 and found.code is not None)
    if found.outcome is Outcome.several:
        assert len(found.matches) > 1
