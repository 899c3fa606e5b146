"""A stand-in for WeChat: the API the outbox worker calls, and the pushes WeChat's servers send to our webhook.

Serve ``FakeWeChat().app()`` with pytest-aiohttp's ``aiohttp_server`` and point WECHAT_API_URL at it. Faults are
queued per path: the next calls answer an HTTP status or a WeChat errcode. :class:`WeChatPush` builds signed
webhook requests as WeChat's servers do (plain, or AES in safe mode) and reads our passive replies.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import xmltodict
from aiohttp import web
from aiohttp.test_utils import TestClient
from PIL import Image
from pydantic import SecretStr
from wechatpy.crypto import PrpCrypto

from tests.support import NOW
from web.settings import Settings

ACCOUNT_TEXT = "今天在东门菜市场买了两斤五花肉，回家用秤一称少了二两，要求退钱"
APP_ID, APP_SECRET, TOKEN = "wx0123456789abcdef", "app-secret-for-tests", "token-for-tests"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # EncodingAESKey: 43 characters
ACCOUNT = "gh_fairweigh"
TOKEN_PATH, CUSTOM_PATH, TEMPLATE_PATH, MEDIA_PATH = (
    "/cgi-bin/stable_token",
    "/cgi-bin/message/custom/send",
    "/cgi-bin/message/template/send",
    "/cgi-bin/media/get",
)


def jpeg(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Fault:
    status: int = 200  # an HTTP status other than 200, or
    errcode: int = 0  # WeChat's error code in a 200 answer


@dataclass
class FakeWeChat:
    app_id: str = APP_ID
    secret: str = APP_SECRET
    tokens_issued: list[str] = field(default_factory=list)
    custom: list[dict[str, Any]] = field(default_factory=list)  # customer-service messages accepted
    templates: list[dict[str, Any]] = field(default_factory=list)  # template messages accepted
    media: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # every request's path, faults included
    _valid: set[str] = field(default_factory=set)
    _faults: dict[str, deque[Fault]] = field(default_factory=dict)
    _numbers: Any = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, path: str, count: int = 1, *, status: int = 200, errcode: int = 0) -> None:
        self._faults.setdefault(path, deque()).extend(Fault(status, errcode) for _ in range(count))

    def expire_tokens(self) -> None:
        """Every token issued so far is now rejected with 42001, as after WeChat's two hours."""
        self._valid.clear()

    def recover(self) -> None:
        self._faults.clear()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(TOKEN_PATH, self._token)
        app.router.add_post(CUSTOM_PATH, self._custom)
        app.router.add_post(TEMPLATE_PATH, self._template)
        app.router.add_get(MEDIA_PATH, self._media)
        return app

    def _fault(self, request: web.Request) -> web.Response | None:
        self.calls.append(request.path)
        queued = self._faults.get(request.path)
        fault = queued.popleft() if queued else None
        if fault is None:
            return None
        if fault.status != 200:
            return web.Response(status=fault.status, text="upstream trouble")
        return web.json_response({"errcode": fault.errcode, "errmsg": f"fault {fault.errcode}"})

    def _token_refusal(self, request: web.Request) -> web.Response | None:
        if request.query.get("access_token") not in self._valid:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        return None

    async def _token(self, request: web.Request) -> web.Response:
        """cgi-bin/stable_token: the current token while it is valid, whoever asks; a new one after it expired."""
        if (fault := self._fault(request)) is not None:
            return fault
        body = json.loads(await request.read())
        if body.get("grant_type") != "client_credential" or (body.get("appid"), body.get("secret")) != (
            self.app_id,
            self.secret,
        ):
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        current = self.tokens_issued[-1] if self.tokens_issued else None
        if current is None or current not in self._valid or body.get("force_refresh"):
            current = f"ACCESS-{next(self._numbers)}"
            self.tokens_issued.append(current)
            self._valid.add(current)
        return web.json_response({"access_token": current, "expires_in": 7200})

    async def _custom(self, request: web.Request) -> web.Response:
        if (refusal := self._fault(request) or self._token_refusal(request)) is not None:
            return refusal
        self.custom.append(json.loads(await request.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _template(self, request: web.Request) -> web.Response:
        if (refusal := self._fault(request) or self._token_refusal(request)) is not None:
            return refusal
        self.templates.append(json.loads(await request.read()))
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._numbers)})

    async def _media(self, request: web.Request) -> web.Response:
        if (refusal := self._fault(request) or self._token_refusal(request)) is not None:
            return refusal
        media_id = request.query.get("media_id", "")
        if media_id not in self.media:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        self.downloads.append(media_id)
        return web.Response(body=self.media[media_id], content_type="image/jpeg")


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


_msg_ids = itertools.count(24_000_000_000_000_001)


@dataclass
class WeChatPush:
    """Signed pushes from one follower, built as WeChat's servers build them."""

    openid: str = "oFairWeigh_Follower_0000001"
    now: float = field(default_factory=time.time)
    safe: bool = False
    token: str = TOKEN
    aes_key: str = AES_KEY
    app_id: str = APP_ID

    def xml(self, msg_type: str, *, create_time: int | None = None, msg_id: int | None = None, **fields: str) -> str:
        parts = [
            f"<ToUserName>{cdata(ACCOUNT)}</ToUserName>",
            f"<FromUserName>{cdata(self.openid)}</FromUserName>",
            f"<CreateTime>{create_time or int(self.now)}</CreateTime>",
            f"<MsgType>{cdata(msg_type)}</MsgType>",
            *(f"<{name}>{cdata(value)}</{name}>" for name, value in fields.items()),
        ]
        if msg_type != "event":
            parts.append(f"<MsgId>{msg_id or next(_msg_ids)}</MsgId>")
        return "<xml>" + "\n".join(parts) + "</xml>"

    def text(self, content: str, **options: Any) -> str:
        return self.xml("text", Content=content, **options)

    def event(self, name: str, key: str | None = None, **options: Any) -> str:
        fields = {"Event": name} | ({"EventKey": key} if key is not None else {})
        return self.xml("event", **fields, **options)

    def signed(
        self, body: str | bytes, *, timestamp: int | None = None, nonce: str = "1405117364"
    ) -> tuple[dict[str, str], bytes]:
        """The query string and body of WeChat's POST (encrypted in safe mode)."""
        stamp = str(int(self.now) if timestamp is None else timestamp)
        raw = body.encode() if isinstance(body, str) else body
        query = {
            "signature": _sha1(self.token, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "openid": self.openid,
        }
        if not self.safe:
            return query, raw
        encrypted = PrpCrypto(base64.b64decode(self.aes_key + "=")).encrypt(raw.decode(), self.app_id).decode()
        query |= {"encrypt_type": "aes", "msg_signature": _sha1(self.token, stamp, nonce, encrypted)}
        envelope = f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{cdata(encrypted)}</Encrypt></xml>"
        return query, envelope.encode()

    def read_reply(self, body: str) -> str:
        """The text of our passive reply ("" for ``success``), checking the reply's own signature in safe mode."""
        if body == "success":
            return ""
        message = xmltodict.parse(body)["xml"]
        if self.safe:
            encrypted = message["Encrypt"]
            assert message["MsgSignature"] == _sha1(self.token, message["TimeStamp"], message["Nonce"], encrypted)
            plain = PrpCrypto(base64.b64decode(self.aes_key + "=")).decrypt(encrypted, self.app_id)
            message = xmltodict.parse(plain)["xml"]
        assert (message["ToUserName"], message["FromUserName"], message["MsgType"]) == (self.openid, ACCOUNT, "text")
        return str(message["Content"])


ANSWERS = (  # a question's opening words in the zh catalogue, and what the shopper answers
    ("您希望怎样处理", "1"),  # 投诉, when the words do not settle it
    ("是哪家店", "东门菜市场 12 号摊位"),
    ("是什么时候", "今天早上八点"),
    ("付了多少钱", "付了 50 元买 2 斤，复秤只有 1 斤 8 两"),
    ("有照片吗", "没有照片"),
    ("投诉需要留下姓名", "王小明"),
    ("请留一个能联系", "13800138000"),
)
REF = re.compile(r"JL\d{8}-\d{4,6}")


async def say(client: TestClient[Any, Any], push: WeChatPush, xml: str, **signing: Any) -> tuple[int, str]:
    """POST one push as WeChat does; the status and the reply's text (or the refusal's body)."""
    query, body = push.signed(xml, **signing)
    data = io.BytesIO(body) if len(body) > 1024 * 1024 else body  # aiohttp warns of large raw bytes
    response = await client.post("/bot/wechat", params=query, data=data, headers={"Content-Type": "text/xml"})
    text = await response.text()
    return response.status, push.read_reply(text) if response.status == 200 else text


async def file_case(client: TestClient[Any, Any], push: WeChatPush, account: str, *, photo: str = "") -> str:
    """A whole dialogue over HTTP, from the shopper's words to the reference number; returns the reference."""
    status, said = await say(client, push, push.text(account))
    assert status == 200, said
    assert "记下了" in said
    if photo:
        assert "照片收到了" in (await say(client, push, push.xml("image", PicUrl="http://mmbiz/x", MediaId=photo)))[1]
    status, said = await say(client, push, push.text("说完了"))
    for _ in range(len(ANSWERS) + 1):
        if "回复「提交」「修改」「取消」" in said:
            break
        answer = next(answer for opening, answer in ANSWERS if opening in said.rsplit("\n\n", 1)[-1])
        status, said = await say(client, push, push.text(answer))
        assert status == 200, said
    else:
        raise AssertionError(f"no summary: {said}")
    status, said = await say(client, push, push.text("提交"))
    found = REF.search(said)
    assert status == 200, said
    assert found is not None, said
    return found.group(0)


def wechat(settings: Settings, **changes: Any) -> Settings:
    """The test settings with the official account configured (safe mode available)."""
    values: dict[str, Any] = {
        "wechat_app_id": APP_ID,
        "wechat_app_secret": SecretStr(APP_SECRET),
        "wechat_token": SecretStr(TOKEN),
        "wechat_aes_key": SecretStr(AES_KEY),
    }
    return settings.model_copy(update=values | changes)


def push(openid: str = "oFollower0000000000000000001", *, safe: bool = False) -> WeChatPush:
    """A follower whose pushes are stamped with the tests' NOW (the app's clock)."""
    return WeChatPush(openid=openid, now=NOW.timestamp(), safe=safe)
