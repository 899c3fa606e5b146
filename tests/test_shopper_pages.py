"""The shopper's last mile (issue 15, items 3–5): the home page and its code box, a mistyped code told apart from a
forged sticker with the registry's nearest codes, each status's own advice, and verification results in words."""

from __future__ import annotations

import gzip
import random
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from qr.codes import ALPHABET, format_code, looks_mistyped, near_codes, new_code
from tests.support import code_of, ledger_row, seed
from tests.test_lookup_http import bad_check, visible_text
from web.http.compression import accepts_gzip

Client = TestClient[Any, Any]


def test_every_single_slip_of_a_code_is_told_mistyped_and_leads_back_to_it() -> None:
    rng = random.Random(15)
    for _ in range(40):
        code = new_code(rng.randrange)
        position = rng.randrange(len(code))
        changed = code[:position] + rng.choice([s for s in ALPHABET if s != code[position]]) + code[position + 1 :]
        missing = code[:position] + code[position + 1 :]
        extra = code[:position] + rng.choice(ALPHABET) + code[position:]
        for slip in (changed, missing, extra):
            if slip == code:
                continue
            assert looks_mistyped(slip.lower()), slip
            assert code in near_codes(slip), (code, slip)
        assert not looks_mistyped(code)  # a valid code, known or not, is not a typo
    assert not looks_mistyped("ABC")
    assert not looks_mistyped("秤" * 10)
    assert near_codes("ABC") == []


async def test_the_home_page_has_a_code_box_the_hotline_and_the_ways_on(client: Client, codes: dict[str, str]) -> None:
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    text = visible_text(page)
    for words in ("扫码查检定 · 投诉", "输入标签上的编码", "12315", "我要投诉", "南门农贸市场", "计量诚信红黑榜"):
        assert words in text, words
    for target in ('action="/find"', 'href="/complain"', 'href="/lists"', 'href="/index"', 'href="/m/1"'):
        assert target in page, target
    english = await (await client.get("/?lang=en")).text()
    assert "Type the code on the sticker" in english
    assert 'name="lang" value="en"' in english
    assert 'href="/complain?lang=en"' in english


async def test_the_code_box_leads_to_the_instrument_however_the_code_is_typed(
    client: Client, codes: dict[str, str]
) -> None:
    typed = " " + format_code(codes["valid"]).lower().replace("-", " ") + " "
    response = await client.get("/find", params={"code": typed}, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, f"/i/{codes['valid']}")
    english = await client.get("/find", params={"code": codes["valid"], "lang": "en"}, allow_redirects=False)
    assert english.headers["Location"] == f"/i/{codes['valid']}?lang=en"
    empty = await client.get("/find", params={"code": ""}, allow_redirects=False)
    assert (empty.status, empty.headers["Location"]) == (303, "/")


async def test_a_typo_in_the_box_offers_the_nearest_registered_codes(client: Client, codes: dict[str, str]) -> None:
    for slip in (bad_check(codes["valid"]), codes["valid"][:4] + codes["valid"][5:]):
        response = await client.get("/find", params={"code": slip})
        assert response.status == 404
        page = await response.text()
        text = visible_text(page)
        assert "编码可能输错了" in text
        assert "伪造" not in text
        assert "与您输入的最接近的编码" in text
        assert f'href="/i/{codes["valid"]}"' in page
        assert "张记水产" in text  # whose instrument the suggestion is, to compare with the stall in front of them
        assert f'value="{slip}"' in page  # typed again in the box, to correct
    asked = {"code": bad_check(codes["valid"]), "lang": "en"}
    english = visible_text(await (await client.get("/find", params=asked)).text())
    assert "looks mistyped" in english
    assert "does not mean the sticker is fake" in english


async def test_a_typo_near_no_registered_code_says_so(client: Client, codes: dict[str, str]) -> None:
    lonely = new_code(random.Random(7).randrange)  # 45 random bits: no registered code is one slip from it
    assert lonely not in codes.values()
    response = await client.get(f"/i/{bad_check(lonely)}")
    text = visible_text(await response.text())
    assert "编码可能输错了" in text
    assert "没有与它只差一位的编码" in text


ADVICE = {
    "valid": (None, None),
    "expiring": ("检定即将到期，目前仍可使用", "note"),
    "expired": ("请不要以此器具的计量结果为准", "advice"),
    "failed": ("请不要以此器具的计量结果为准", "advice"),
    "unverified": ("应当检定而没有记录", "advice"),
    "suspended": ("已被停用", "note"),
}


@pytest.mark.parametrize("status", list(ADVICE))
async def test_each_status_gives_its_own_advice(client: Client, codes: dict[str, str], status: str) -> None:
    page = await (await client.get(f"/i/{codes[status]}")).text()
    words, kind = ADVICE[status]
    advice = re.findall(r'<p class="(advice|note)">([^<]*)</p>', page)
    if words is None:
        assert advice == []
    else:
        assert len(advice) == 1, advice
        assert advice[0][0] == kind
        assert words in advice[0][1]


async def test_an_instrument_outside_compulsory_verification_is_not_accused(client: Client, engine: Any) -> None:
    await seed(engine, ledger_row(serial_no="N-1", mandatory=False, verification=None))
    code = await code_of(engine, "N-1")
    html = await (await client.get(f"/i/{code}")).text()
    top = visible_text(html.split("<main")[1].split('<section aria-labelledby="h-instrument"')[0])
    assert "非强检 · 无检定记录" in top
    assert "没有记录不代表它不准" in top
    for accusing in ("请不要以", "投诉", "举报", "不得"):
        assert accusing not in top, accusing
    english = visible_text(await (await client.get(f"/i/{code}?lang=en")).text())
    assert "does not mean it is inaccurate" in english


async def test_verification_results_in_words_and_no_validity_for_a_failure(
    client: Client, codes: dict[str, str]
) -> None:
    english = await (await client.get(f"/i/{codes['failed']}?lang=en")).text()
    rows = re.findall(r"<tr>(.*?)</tr>", english.split("<tbody>")[1], re.S)
    assert len(rows) == 1
    assert "Verification: fail" in rows[0]
    assert "VerificationFail" not in english
    assert "2027-10-01" not in rows[0]
    assert "None (failed)" in rows[0]
    passed = await (await client.get(f"/i/{codes['valid']}?lang=en")).text()
    assert "Verification: pass" in passed
    assert "VerificationPass" not in passed
    assert '<td class="date">2027-05-09</td>' in passed
    chinese = visible_text(await (await client.get(f"/i/{codes['failed']}")).text())
    assert "检定不合格" in chinese
    assert "无（不合格）" in chinese


async def test_numbers_a_shopper_compares_are_kept_whole(client: Client, codes: dict[str, str]) -> None:
    page = await (await client.get(f"/i/{codes['valid']}?lang=en")).text()
    assert '<strong class="num">V-1</strong>' in page
    assert f'<dd class="num">{format_code(codes["valid"])}</dd>' in page
    assert '<span class="date">2027-05-09</span>' in page.split("</section>")[0]  # the status box's date


@pytest.mark.parametrize(
    ("header", "taken"),
    [("gzip, deflate, br", True), ("deflate", False), ("", False), ("gzip;q=0", False), ("*;q=0.5", True),
     ("br, gzip;q=0.8", True), ("identity", False), ("gzip;q=0.0", False)],
)  # fmt: skip
def test_gzip_is_taken_as_the_header_says(header: str, taken: bool) -> None:
    assert accepts_gzip(header) is taken


async def test_the_shoppers_pages_are_small_and_sent_compressed_to_whoever_accepts_it(
    client: Client, codes: dict[str, str]
) -> None:
    paths = ["/", "/lists", "/complain", f"/find?code={bad_check(codes['valid'])}", "/m/1", f"/i/{codes['failed']}"]
    for path in paths:
        plain = await client.get(path, headers={"Accept-Encoding": "identity"})
        body = await plain.read()
        assert len(body) < 30 * 1024, path  # the whole page: its style sheet is inline and it loads nothing else
        assert "Content-Encoding" not in plain.headers, path
        assert "Accept-Encoding" in plain.headers["Vary"], path
        packed = await client.get(path, headers={"Accept-Encoding": "gzip, deflate"}, auto_decompress=False)
        assert packed.headers["Content-Encoding"] == "gzip", path
        squeezed = await packed.read()
        assert gzip.decompress(squeezed) == body, path
        assert len(squeezed) < len(body) / 2, path
    etag = (await client.get(f"/i/{codes['valid']}", headers={"Accept-Encoding": "identity"})).headers["ETag"]
    again = await client.get(f"/i/{codes['valid']}", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status == 304  # one ETag for the page, whichever encoding carried it
