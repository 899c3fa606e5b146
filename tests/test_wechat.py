"""The WeChat official account's webhook, driven over HTTP as WeChat's servers drive it (plain and safe mode).

Notices and photos through the outbox: test_wechat_outbox.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.wechat import fit
from bot.models import DialogueState, InboundMessage
from complaints.models import Complaint, ComplaintContact
from lookup.models import table_of
from qr.codes import format_code
from tests.fake_wechat import ACCOUNT_TEXT, WeChatPush, file_case, push, say
from tests.support import NOW
from web.app import create_app
from web.settings import Settings


async def count(engine: AsyncEngine, model: Any) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(sa.select(sa.func.count()).select_from(table_of(model)))).scalar_one())


async def test_url_verification_echoes_only_a_signed_request(wx: TestClient[Any, Any]) -> None:
    query, _ = push().signed("")
    response = await wx.get("/bot/wechat", params=query | {"echostr": "4815162342"})
    assert (response.status, await response.text()) == (200, "4815162342")

    forged = query | {"signature": "0" * 40, "echostr": "4815162342"}
    response = await wx.get("/bot/wechat", params=forged)
    assert response.status == 403
    assert "4815162342" not in await response.text()


async def test_without_an_account_the_webhook_is_absent_and_says_so(
    aiohttp_client: Any, settings: Settings, clock: Callable[[], datetime], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="web.views.bots.wechat"):
        client = await aiohttp_client(create_app(settings, clock=clock))
    assert [record.getMessage() for record in caplog.records if "/bot/wechat" in record.getMessage()] == [
        "WECHAT_APP_ID or WECHAT_TOKEN is not set: the WeChat official account (/bot/wechat) is off."
    ]
    query, body = push().signed(push().text("你好"))
    assert (await client.post("/bot/wechat", params=query, data=body)).status == 404
    assert (await client.get("/bot/wechat", params=query | {"echostr": "x"})).status == 404


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_a_whole_dialogue_ends_with_a_reference_and_a_case(
    wx: TestClient[Any, Any], engine: AsyncEngine, safe: bool
) -> None:
    follower = push(safe=safe)

    ref = await file_case(wx, follower, ACCOUNT_TEXT)

    async with engine.connect() as connection:
        case = (
            await connection.execute(
                sa.select(table_of(Complaint), table_of(ComplaintContact).c.channel_user)
                .join(table_of(ComplaintContact))
                .where(table_of(Complaint).c.ref == ref)
            )
        ).one()
    assert (case.channel, case.channel_user) == ("wechat", follower.openid)
    assert case.text.startswith(ACCOUNT_TEXT)
    # The shopper can follow the case from the chat.
    status, said = await say(wx, follower, follower.text(f"进度 {ref}"))
    assert status == 200
    assert ref in said
    assert '<a href="http://fairweigh.test/c/' in said


async def test_subscribing_or_scanning_a_parametric_code_starts_with_the_instrument(
    wx: TestClient[Any, Any], codes: dict[str, str]
) -> None:
    code = codes["valid"]
    newcomer, follower = push("oNewcomer00000000000000000001"), push("oFollower0000000000000000002")

    status, said = await say(wx, newcomer, newcomer.event("subscribe", f"qrscene_{code}"))
    assert status == 200
    assert "您扫的是下面这台器具" in said
    assert format_code(code) in said

    status, said = await say(wx, follower, follower.event("SCAN", code, Ticket="gQH47joAAAAAAAAAASxodHRwOi8v"))
    assert "您扫的是下面这台器具" in said

    status, said = await say(wx, follower, follower.event("subscribe"))
    assert said.startswith("您好！这里是诚信计量")


async def test_voice_is_read_when_wechat_recognised_it_and_otherwise_politely_declined(
    wx: TestClient[Any, Any],
) -> None:
    follower = push()
    voice = {"MediaId": "voice-media-1", "Format": "amr"}

    assert (await say(wx, follower, follower.xml("voice", **voice)))[1] == "暂时听不了语音，请打字告诉我，谢谢！"
    said = (await say(wx, follower, follower.xml("voice", **voice, Recognition=ACCOUNT_TEXT)))[1]
    assert "记下了" in said


async def test_unknown_and_unsupported_message_types_get_a_polite_answer(wx: TestClient[Any, Any]) -> None:
    follower = push()
    link = follower.xml(
        "link", Title="优惠", Description="点击领取", Url="http://example.test/"
    )  # locations: test_chat_location
    assert (await say(wx, follower, link))[1] == "这类消息我还看不懂，请发文字或照片。"
    assert (await say(wx, follower, follower.xml("hologram", Payload="?")))[1] == "这类消息我还看不懂，请发文字或照片。"
    assert (await say(wx, follower, follower.event("unsubscribe"))) == (200, "")
    assert (await say(wx, follower, follower.event("TEMPLATESENDJOBFINISH", Status="success"))) == (200, "")


async def test_a_retried_message_or_event_gets_the_first_answer_and_moves_the_dialogue_once(
    wx: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    follower = push()
    first = follower.text(ACCOUNT_TEXT, msg_id=24_100_000_000_000_001)

    answers = [await say(wx, follower, first) for _ in range(3)]  # WeChat retries after 5 s, three times

    assert answers[0][0] == 200
    assert "记下了" in answers[0][1]
    assert answers[1:] == [answers[0]] * 2
    async with engine.connect() as connection:
        state = (await connection.execute(sa.select(table_of(DialogueState)))).one()
    assert state.draft["texts"] == [ACCOUNT_TEXT]
    assert state.window_count == 1

    event = follower.event("subscribe", create_time=int(NOW.timestamp()) - 3)
    said = [await say(wx, follower, event) for _ in range(2)]
    assert said[0] == said[1]
    assert await count(engine, InboundMessage) == 2


async def test_a_forged_or_stale_push_is_refused_and_nothing_is_stored(
    wx: TestClient[Any, Any], engine: AsyncEngine
) -> None:
    follower = push()
    query, body = follower.signed(follower.text(ACCOUNT_TEXT))

    forged = await wx.post("/bot/wechat", params=query | {"signature": "f" * 40}, data=body)
    assert forged.status == 403
    other_token = WeChatPush(openid=follower.openid, now=follower.now, token="not-our-token")
    assert (await say(wx, other_token, other_token.text(ACCOUNT_TEXT)))[0] == 403
    six_minutes = 6 * 60
    assert (await say(wx, follower, follower.text("旧的"), timestamp=int(NOW.timestamp()) - six_minutes))[0] == 403
    assert (await say(wx, follower, follower.text("将来"), timestamp=int(NOW.timestamp()) + six_minutes))[0] == 403

    safe = push(safe=True)
    query, body = safe.signed(safe.text(ACCOUNT_TEXT))
    assert (await wx.post("/bot/wechat", params=query | {"msg_signature": "0" * 40}, data=body)).status == 403
    assert await count(engine, InboundMessage) == 0


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><ToUserName>gh_fairweigh</ToUserName><FromUserName>oAttacker</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""
XXE = """<?xml version="1.0" encoding="utf-8"?>
<!doctype xml [<!entity xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_fairweigh</ToUserName><FromUserName>oAttacker</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
async def test_entities_and_doctypes_are_refused_before_parsing(
    wx: TestClient[Any, Any], engine: AsyncEngine, hostile: str, safe: bool
) -> None:
    # Signed with our token, so only the content is wrong; in safe mode the DTD hides inside the ciphertext.
    status, body = await say(wx, push(safe=safe), hostile)

    assert status == 400
    assert "passwd" not in body
    assert "root:" not in body
    assert await count(engine, InboundMessage) == 0
    assert await count(engine, DialogueState) == 0


async def test_a_ten_megabyte_body_is_refused_with_413(wx: TestClient[Any, Any], engine: AsyncEngine) -> None:
    follower = push()
    status, body = await say(wx, follower, follower.text("长" * (10 * 1024 * 1024 // 3)))

    assert status == 413
    assert '"status": 413' in body
    assert await count(engine, InboundMessage) == 0


@pytest.mark.parametrize(
    "broken",
    [
        "<xml><ToUserName>gh</ToUserName><FromUserName>oA",  # cut off
        "not xml at all",
        "<xml><MsgType>text</MsgType><Content>no sender</Content></xml>",
        "<other><FromUserName>oA</FromUserName></other>",
        b"<xml>\xff\xfe</xml>",
    ],
    ids=["truncated", "text", "no-sender", "wrong-root", "not-utf8"],
)
async def test_malformed_xml_is_refused_with_400(
    wx: TestClient[Any, Any], engine: AsyncEngine, broken: str | bytes
) -> None:
    assert (await say(wx, push(), broken))[0] == 400
    assert (await say(wx, push(safe=True), broken if isinstance(broken, str) else "<x"))[0] == 400
    assert await count(engine, InboundMessage) == 0


async def test_the_shoppers_words_cannot_break_out_of_the_reply(wx: TestClient[Any, Any]) -> None:
    follower = push()
    sly = "秤不准]]></Content><MsgType>image</MsgType><Content><![CDATA[，要求退钱"
    await say(wx, follower, follower.text(sly))
    status, said = await say(wx, follower, follower.text("说完了"))
    assert status == 200
    for _ in range(6):
        if "请核对" in said:
            break
        status, said = await say(wx, follower, follower.text("跳过"))
    assert sly in said


async def test_buttons_become_the_words_to_type_in_the_shoppers_language(wx: TestClient[Any, Any]) -> None:
    english, chinese = push("oEnglish0000000000000000001"), push("oChinese0000000000000000001")

    said = (await say(wx, english, english.text("The scale at the fish stall showed 2 kg but it was much less")))[1]
    assert said.endswith("Reply “Complaint” “Report” “Done”")  # a loss with no wish: the choice is offered too
    said = (await say(wx, chinese, chinese.text(ACCOUNT_TEXT)))[1]
    assert said.endswith("回复「说完了」")
    # the story named its market (东门菜市场, not in the registry) and day: the next question is for photos
    assert (await say(wx, chinese, chinese.text("说完了")))[1].endswith("回复「没有照片」")


async def test_a_long_summary_fits_in_one_wechat_text_and_keeps_the_words_to_reply(wx: TestClient[Any, Any]) -> None:
    follower = push()
    await say(wx, follower, follower.text(ACCOUNT_TEXT + "他还说秤是刚检定过的，" * 120))
    status, said = await say(wx, follower, follower.text("说完了"))
    long_answer = "南门农贸市场东边第三排靠近出口的那个卖猪肉的摊位" * 10  # each answer is kept to 200 characters
    for _ in range(10):
        if "请核对" in said:
            break
        answer = (
            "没有照片"
            if "照片" in said
            else "王芳"
            if "姓名" in said
            else "13800138000"
            if "手机" in said
            else long_answer
        )
        status, said = await say(wx, follower, follower.text(answer))
    assert status == 200
    assert "请核对" in said
    assert len(said.encode()) <= 2048, "WeChat refuses a longer text and shows the user an error instead"
    assert "「提交」" in said
    assert said.count("…") >= 1


def test_fitting_a_text_shortens_plain_lines_and_never_cuts_a_link() -> None:
    link = '<a href="https://fairweigh.example.cn/c/JL-20261202-0001?token=' + "t" * 200 + '">查看进度</a>'
    text = "\n".join(["您反映的情况：" + "秤" * 900, link, "回复「提交」"])
    fitted = fit(text)
    assert len(fitted.encode()) <= 2048
    assert link in fitted
    assert fitted.endswith("回复「提交」")
    assert fit("短短一句") == "短短一句"
