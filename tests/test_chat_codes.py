"""Codes in the chat: a photo of a code (a Telegram photo, a WeChat image) decoded on the server and answered with
the instrument's card, as a typed code is; a GS1 or GB/T 36377 code typed or pasted works the same way; a product's
barcode is named as one, a shared serial asks which merchant, and a mistyped code never joins the story. The images
are rendered here with zxing-cpp's writer; the platforms are the fake servers."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy
import pytest
import sqlalchemy as sa
import zxingcpp
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.codes.picture import codes_in_picture
from lookup.vocab import InstrumentKind
from qr.codes import format_code, new_code
from tests.fake_telegram import FakeTelegram
from tests.fake_wechat import FakeWeChat, push, say, wechat
from tests.support import code_of, ledger_row, make_uscc, seed
from tests.telegram_support import STORY, Shopper, jpeg
from tests.test_dialogue_intent import LOSS
from web.app import create_app
from web.settings import Settings

Client = TestClient[Any, Any]
GTIN = "06901234567892"
ASSET_NO = "3300001234567890123456"
NOT_EVIDENCE = "照片里的码已为您查询"


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
            asset_no=ASSET_NO,
        ),
    )
    return {serial: await code_of(engine, serial) for serial in ("ACS2023000001", "DB-77")}


def picture(text: str, form: zxingcpp.BarcodeFormat, **options: Any) -> bytes:
    """A phone-like JPEG of one code: the symbol on a white margin, as zxing-cpp's writer draws it."""
    symbol = Image.fromarray(numpy.asarray(zxingcpp.create_barcode(text, form, **options).to_image(scale=5)))
    page = Image.new("L", (symbol.width + 120, symbol.height + 120), 255)
    page.paste(symbol, (60, 60))
    buffer = io.BytesIO()
    page.convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def pictures(known: dict[str, str]) -> dict[str, tuple[bytes, str]]:
    """Each kind of code a shopper may photograph, with the serial of the instrument it names."""
    QR, DM, C128 = zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.Code128
    ours = f"https://fairweigh.example.cn/i/{known['ACS2023000001']}"
    return {
        "our_qr": (picture(ours, QR), "ACS2023000001"),
        "gs1_digital_link_qr": (picture(f"https://id.gs1.org/01/{GTIN}/21/A17", QR), "ACS2023000001"),
        "gs1_data_matrix": (picture(f"(01){GTIN}(21)A17", DM, gs1=True), "ACS2023000001"),
        "asset_no_code128": (picture(ASSET_NO, C128), "DB-77"),
    }


def card_of(said: str, known: dict[str, str], serial: str) -> None:
    """The card of the instrument with that serial: its code and its merchant."""
    assert format_code(known[serial]) in said, said
    assert ("城南小区" if serial == "DB-77" else "张记水产") in said, said
    assert "检定状态" in said, said


@pytest.mark.parametrize("kind", ["our_qr", "gs1_digital_link_qr", "gs1_data_matrix", "asset_no_code128"])
async def test_a_telegram_photo_of_a_code_is_answered_with_the_instruments_card(
    shopper: Shopper, fake: FakeTelegram, known: dict[str, str], kind: str
) -> None:
    data, serial = pictures(known)[kind]
    fake.files[kind] = data

    said = await shopper.photo(kind)

    card_of(said, known, serial)
    assert NOT_EVIDENCE in said
    assert "照片收到了" not in said
    assert shopper.keyboard() == [f"/start {known[serial]}"]  # 投诉 this instrument, as after a typed code


async def test_a_wechat_image_of_a_code_is_answered_with_the_card(
    aiohttp_server: Any, settings: Settings, clock: Callable[[], datetime], aiohttp_client: Any, known: dict[str, str]
) -> None:
    platform = FakeWeChat()
    server: TestServer = await aiohttp_server(platform.app())
    configured = wechat(settings, wechat_api_url=str(server.make_url("")).rstrip("/"))
    client: Client = await aiohttp_client(create_app(configured, clock=clock))
    follower = push()
    platform.media["m-dm"], platform.media["m-plain"] = pictures(known)["gs1_data_matrix"][0], jpeg()

    status, said = await say(client, follower, follower.xml("image", PicUrl="http://mmbiz/x", MediaId="m-dm"))

    assert status == 200
    card_of(said, known, "ACS2023000001")
    assert f"回复「投诉 {format_code(known['ACS2023000001'])}」" in said
    assert platform.downloads == ["m-dm"]
    # A picture with no code in it is evidence, as it always was.
    _, said = await say(client, follower, follower.xml("image", PicUrl="http://mmbiz/x", MediaId="m-plain"))
    assert "照片收到了" in said


async def test_a_photo_during_a_story_is_evidence_and_one_without_a_code_too(
    shopper: Shopper, fake: FakeTelegram, known: dict[str, str]
) -> None:
    fake.files["plain"] = jpeg()
    said = await shopper.photo("plain")
    assert "照片收到了" in said
    assert NOT_EVIDENCE not in said

    other = Shopper(shopper.client, fake, chat_id=10002)
    fake.files["qr"] = pictures(known)["our_qr"][0]
    await other.say(STORY)
    said = await other.photo("qr")
    assert "照片收到了" in said
    assert format_code(known["ACS2023000001"]) not in said


@pytest.mark.parametrize(
    ("typed", "serial"),
    [
        (f"(01){GTIN}(21)A17", "ACS2023000001"),  # an element string, as printed under a Data Matrix
        ("CN33010001ABC", "ACS2023000001"),  # GB/T 36377 identification code
        ("cn 3301 0001 abc", "ACS2023000001"),  # the same, typed loosely
        (f"https://zjpm.example.cn/01/{GTIN[1:]}/21/A17", "ACS2023000001"),  # a Digital Link pasted
        (ASSET_NO, "DB-77"),  # a meter's asset number
    ],
)
async def test_a_typed_or_pasted_code_of_any_kind_shows_the_card(
    shopper: Shopper, known: dict[str, str], typed: str, serial: str
) -> None:
    said = await shopper.say(typed)
    card_of(said, known, serial)
    assert NOT_EVIDENCE not in said


async def test_a_code_typed_mid_story_names_the_instrument_and_never_joins_the_story(
    shopper: Shopper, known: dict[str, str]
) -> None:
    await shopper.say(STORY)
    said = await shopper.say("CN33010001ABC")
    card_of(said, known, "ACS2023000001")
    assert "好像输错了一位" not in await shopper.say("ok thanks 1")  # words with a number are words
    understood = await shopper.tap("done")
    assert "哪家店" not in understood  # the code told which instrument: the place is not asked


@pytest.mark.parametrize(
    "form", ["查一下 {}", "帮我查 {}", "我要查一下 {}", "请帮我查一下：{}", "扫了码 {}", "刚扫的 {}", "编码是{}"]
)
async def test_a_lookup_asked_in_everyday_words_shows_the_card(
    shopper: Shopper, known: dict[str, str], form: str
) -> None:
    said = await shopper.say(form.format(format_code(known["ACS2023000001"])))
    card_of(said, known, "ACS2023000001")
    assert "记下了" not in said  # a lookup, not the start of a story


# a drawn code, and one whose letters once read as English words (its A's counted as articles)
@pytest.mark.parametrize("drawn", [None, "4A8A7NVR6P"])
async def test_a_lookup_of_a_code_nobody_registered_says_so_and_starts_no_story(
    shopper: Shopper, engine: AsyncEngine, drawn: str | None
) -> None:
    said = await shopper.say(f"我要查一下 {format_code(drawn or new_code())}")
    assert "没有找到编码" in said
    assert "记下了" not in said


@pytest.mark.parametrize("where", ["start", "middle", "after 查", "after 扫了码"])
async def test_a_code_inside_a_story_shows_the_card_and_keeps_every_word(
    shopper: Shopper, known: dict[str, str], engine: AsyncEngine, where: str
) -> None:
    code = known["ACS2023000001"]
    story = {
        "start": f"{code} 这台秤过期了还在用 老板还不承认",
        "middle": f"昨天在这台秤 {code} 买的苹果 三斤只有两斤七两",
        # the words after 「查 CODE」 are the story, not a lookup's leftovers (they were dropped)
        "after 查": f"查 {code} 这秤过期了还在用 少了二两",
        "after 扫了码": f"扫了码 {code} 秤不准 少了二两",
    }[where]
    said = await shopper.say(story)
    card_of(said, known, "ACS2023000001")
    assert "记下了" in said  # the words are the story
    understood = await shopper.tap("done")
    assert "哪家店" not in understood  # the code told which instrument: the place is not asked
    for _ in range(6):
        if "请核对" in understood:
            break
        understood = await shopper.tap("intent:report" if "您希望怎样处理" in understood else "skip")
    assert "已收到" in await shopper.tap("submit")
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.text(
                    "SELECT c.text, c.category, i.serial_no FROM complaint c"
                    " JOIN instrument i ON i.id = c.instrument_id"
                )
            )
        ).one()
    assert row.serial_no == "ACS2023000001"
    assert row.text.startswith(story)  # nothing said beside the code is lost
    assert row.category != "other"  # the code's symbols are not read as words


async def test_a_question_after_a_code_looked_up_is_answered_about_that_instrument(
    shopper: Shopper, known: dict[str, str], engine: AsyncEngine
) -> None:
    await shopper.say(f"查 {format_code(known['ACS2023000001'])}")
    answered = await shopper.say("这台秤什么时候检定的")  # no question mark, as typed on a phone
    assert "已收到" in answered
    assert "ACS2023000001" in answered  # the instrument looked up, with its status
    assert "有效期至" in answered
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.text("SELECT c.intent, i.serial_no FROM complaint c JOIN instrument i ON i.id = c.instrument_id")
            )
        ).one()
    assert tuple(row) == ("inquiry", "ACS2023000001")


async def test_an_unknown_gtin_is_named_as_a_product_barcode_with_what_to_do(
    shopper: Shopper, known: dict[str, str]
) -> None:
    said = await shopper.say("6920000000005")
    assert "是商品条码" in said
    assert "06920000000005" in said
    assert "不是我们登记的计量器具" in said
    assert "公平秤" in said
    english = await Shopper(shopper.client, shopper.fake, chat_id=10003, language_code="en").say("6920000000005")
    assert "is a product barcode" in english


async def test_a_serial_several_instruments_share_asks_which_and_answers_the_chosen(
    shopper: Shopper, known: dict[str, str]
) -> None:
    said = await shopper.say("ZX-100")
    assert "您在哪一家" in said
    choices = shopper.keyboard()
    assert len(choices) == 2
    labels = [button["text"] for row in shopper.fake.sent(shopper.chat_id)[-1]["reply_markup"]["inline_keyboard"]
              for button in row]  # fmt: skip
    assert any("李记干货 · 南门农贸市场 · 3号摊位" in label for label in labels), labels
    assert any("王记肉铺 · 东门市场 · 8号" in label for label in labels), labels

    chosen = next(data for data, label in zip(choices, labels, strict=True) if "王记肉铺" in label)
    card = await shopper.tap(chosen)
    assert "王记肉铺" in card
    assert "李记干货" not in card


async def test_a_mistyped_code_at_the_choice_gets_the_mistyped_answer_not_the_story(
    shopper: Shopper, known: dict[str, str]
) -> None:
    code = known["ACS2023000001"]
    slip = code[:4] + ("0" if code[4] != "0" else "1") + code[5:]  # one symbol changed
    await shopper.say(LOSS)
    assert "您希望怎样处理？" in await shopper.tap("done")

    said = await shopper.say(slip)

    assert "好像输错了一位" in said
    assert "您希望怎样处理" not in said  # nothing was kept: the question is not asked again over the story
    await shopper.tap("intent:complaint")
    for _ in ("where", "when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("王芳")
    summary = await shopper.say("13800138000")
    assert slip not in summary


def test_the_picture_decoder_reads_each_kind_and_nothing_from_what_is_not_a_picture() -> None:
    assert codes_in_picture(picture("7K3MQ9XR4P", zxingcpp.BarcodeFormat.QRCode)) == ("7K3MQ9XR4P",)
    assert codes_in_picture(picture("6920000000005", zxingcpp.BarcodeFormat.EAN13)) == ("6920000000005",)
    assert codes_in_picture(jpeg()) == ()
    assert codes_in_picture(b"GIF89a not a photo") == ()


async def test_a_word_is_an_answer_and_a_code_typed_in_two_halves_is_a_code(
    shopper: Shopper, known: dict[str, str]
) -> None:
    """ "yesterday" has the length of a code but no digit: at the time question it is the time, never a slip."""
    english = Shopper(shopper.client, shopper.fake, chat_id=10004, language_code="en")
    await english.say("The scale at the market was wrong, I paid 30 yuan for 1 jin of pork but got less, want refund")
    asked = await english.tap("done")
    for _ in range(3):  # the place question, maybe, comes first
        if "When did it happen" in asked.rsplit("\n\n", 1)[-1]:
            break
        asked = await english.tap("skip")
    assert "When did it happen" in asked
    answered = await english.say("yesterday")
    assert "mistyped" not in answered
    assert "When did it happen" not in answered

    code = format_code(known["ACS2023000001"])  # printed as two halves: "XXXXX-XXXXX"
    halves = code.replace("-", " ")
    card_of(await shopper.say(halves), known, "ACS2023000001")
    slip = halves[:1] + ("0" if halves[1] != "0" else "1") + halves[2:]
    assert "好像输错了一位" in await shopper.say(slip)
