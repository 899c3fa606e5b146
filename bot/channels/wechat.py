"""The WeChat official account's webhook, without the web server: a signed XML push in, a dialogue event out,
and the dialogue's answers back as one passive reply.

WeChat signs the query string with the account's token (``signature`` over token, timestamp and nonce); in safe
mode the body is AES-encrypted and ``msg_signature`` also covers the ciphertext. A push older or newer than five
minutes is refused, so a captured request cannot be replayed later. Nothing parses a body that declares a DTD:
entity expansion (billion laughs) and external entities (XXE) are refused before any parser runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import xmltodict
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from bot.catalogue import BotCatalogue
from bot.conversation import Event, EventKind, Reply
from lookup.geo.coordinates import Point, from_gcj02
from lookup.problems import Kind, Problem

CHANNEL = "wechat"
REPLAY_WINDOW_SECONDS = 300
EMPTY = "success"  # what WeChat expects when there is nothing to say (and then it does not retry)
# Any markup declaration but CDATA: <!DOCTYPE, <!ENTITY, <!ELEMENT, comments. WeChat sends none of them.
_DECLARATION = re.compile(rb"<!(?!\[CDATA\[)", re.IGNORECASE)
_MAX_USER = 100  # dialogue_state.chat_user
_MAX_KEY = 120  # inbound_message.message_key
# A text message longer than this is refused by WeChat, and the user sees "该公众号暂时无法提供服务" instead.
MAX_TEXT_BYTES = 2048


class WebhookRefused(Problem):
    """The push is not answered: refused (not from WeChat, or too old) or a bad request (not a message we can
    read)."""

    @classmethod
    def forged(cls, code: str, chinese: str, english: str) -> WebhookRefused:
        return cls(code, chinese, english, kind=Kind.refused)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One push, understood: the dialogue's event, and what the reply needs (addresses, mode, nonce)."""

    event: Event
    account: str  # ToUserName: the official account, the sender of our reply
    nonce: str
    safe: bool


def _sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - WeChat's signature scheme


def _matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def refuse_declarations(body: bytes) -> None:
    if _DECLARATION.search(body):
        raise WebhookRefused(
            "xml_declaration", "不接受带 DTD、实体或注释的 XML。", "XML with a DTD, entity or comment is refused"
        )


def _parse_xml(body: bytes) -> dict[str, Any]:
    refuse_declarations(body)
    try:
        text = body.decode("utf-8")
        # The declared encoding is overridden (xmltodict passes utf-8 to expat); entities stay disabled too.
        parsed = xmltodict.parse(text, disable_entities=True)
    except (UnicodeDecodeError, ValueError, xmltodict.expat.ExpatError) as error:
        raise WebhookRefused("malformed_xml", "XML 格式不对。", "malformed XML") from error
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise WebhookRefused("not_a_message", "这不是微信消息。", "not a WeChat message")
    return root


def _field(message: Mapping[str, Any], name: str) -> str:
    value = message.get(name)
    return value.strip() if isinstance(value, str) else ""


class WeChatWebhook:
    """Checks and reads WeChat's pushes for one official account; ``aes_key`` unset means plain mode only."""

    def __init__(self, *, token: str, app_id: str, aes_key: str | None = None) -> None:
        self._token = token
        self._app_id = app_id
        self._crypto = PrpCrypto(_aes_key(aes_key)) if aes_key else None

    def check(self, query: Mapping[str, str], *, now: float) -> None:
        """The query's signature and freshness (403 otherwise); every push and the URL check carry them."""
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if not _matches(_sha1(self._token, timestamp, nonce), query.get("signature", "")):
            raise WebhookRefused.forged("bad_signature", "签名不对。", "bad signature")
        try:
            age = now - int(timestamp)
        except ValueError as error:
            raise WebhookRefused.forged("bad_timestamp", "时间戳不对。", "bad timestamp") from error
        if abs(age) > REPLAY_WINDOW_SECONDS:
            raise WebhookRefused.forged("stale_timestamp", "时间戳过期。", "stale timestamp")

    def echo(self, query: Mapping[str, str], *, now: float) -> str:
        """The URL check when the server address is saved in the WeChat admin: the echostr, if signed."""
        self.check(query, now=now)
        return query.get("echostr", "")

    def read(self, query: Mapping[str, str], body: bytes) -> Inbound:
        """A push (already :meth:`check`-ed) as the dialogue's event; raises :class:`WebhookRefused`."""
        message = _parse_xml(body)
        safe = query.get("encrypt_type", "raw").lower() == "aes"
        if safe:
            message = _parse_xml(self._decrypt(query, _field(message, "Encrypt")))
        user, account = _field(message, "FromUserName"), _field(message, "ToUserName")
        kind = _field(message, "MsgType").lower()
        if not user or not account or not kind or len(user) > _MAX_USER:
            raise WebhookRefused(
                "incomplete_message",
                "微信消息需要 FromUserName、ToUserName 和 MsgType。",
                "a WeChat message needs FromUserName, ToUserName and MsgType",
            )
        return Inbound(event=_event(message, user, kind), account=account, nonce=query.get("nonce", ""), safe=safe)

    def _decrypt(self, query: Mapping[str, str], encrypted: str) -> bytes:
        if self._crypto is None:
            raise WebhookRefused(
                "safe_mode_off", "未配置安全模式（WECHAT_AES_KEY）。", "safe mode is not configured (WECHAT_AES_KEY)"
            )
        expected = _sha1(self._token, query.get("timestamp", ""), query.get("nonce", ""), encrypted)
        if not encrypted or not _matches(expected, query.get("msg_signature", "")):
            raise WebhookRefused.forged("bad_message_signature", "消息签名不对。", "bad message signature")
        try:
            plain: str = self._crypto.decrypt(encrypted, self._app_id)
        except InvalidAppIdException as error:
            raise WebhookRefused.forged(
                "other_account", "消息是加密给另一个公众号的。", "encrypted for another account"
            ) from error
        except Exception as error:  # a bad padding or length: a body signed with our token but garbled
            raise WebhookRefused("undecryptable", "无法解密这条消息。", "undecryptable message") from error
        return plain.encode("utf-8")

    def reply(self, inbound: Inbound, text: str, *, now: float) -> str:
        """The passive reply: one text message (encrypted in safe mode), or ``success`` when there is no text."""
        if not text:
            return EMPTY
        xml = (
            f"<xml><ToUserName>{_cdata(inbound.event.chat_user)}</ToUserName>"
            f"<FromUserName>{_cdata(inbound.account)}</FromUserName><CreateTime>{int(now)}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content>{_cdata(text)}</Content></xml>"
        )
        if not inbound.safe or self._crypto is None:
            return xml
        encrypted = self._crypto.encrypt(xml, self._app_id)
        encrypted = encrypted.decode() if isinstance(encrypted, bytes) else str(encrypted)
        timestamp = str(int(now))
        signature = _sha1(self._token, timestamp, inbound.nonce, encrypted)
        return (
            f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{_cdata(inbound.nonce)}</Nonce></xml>"
        )


def _aes_key(encoded: str) -> bytes:
    key = base64.b64decode(encoded + "=")
    if len(key) != 32:
        raise ValueError("WECHAT_AES_KEY must be the 43 characters of the EncodingAESKey")
    return key


def _cdata(text: str) -> str:
    # "]]>" would end the section early: a shopper's own words are echoed in summaries.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _event(message: Mapping[str, Any], user: str, kind: str) -> Event:
    def make(event_kind: EventKind, key: str, text: str = "", media: str = "") -> Event:
        if len(key) > _MAX_KEY:
            key = hashlib.sha256(key.encode()).hexdigest()
        return Event(channel=CHANNEL, chat_user=user, key=key, kind=event_kind, text=text, media=media)

    if kind == "event":
        event = _field(message, "Event")
        key, name = f"{user}:{_field(message, 'CreateTime')}:{event}", event.lower()
        event_key = _field(message, "EventKey")
        if name == "subscribe":
            return make(EventKind.start, key, event_key.removeprefix("qrscene_"))
        if name == "scan":
            return make(EventKind.start, key, event_key)
        if name == "click" and event_key:  # a menu button whose key is a word the dialogue knows (帮助, 进度 …)
            return make(EventKind.text, key, event_key)
        return make(EventKind.silent, key)  # unsubscribe, a template's receipt, a menu link, a location report
    key = _field(message, "MsgId") or f"{user}:{_field(message, 'CreateTime')}:{kind}"
    if kind == "text":
        return make(EventKind.text, key, _field(message, "Content"))
    if kind == "image" and _field(message, "MediaId"):
        return make(EventKind.photo, key, media=_field(message, "MediaId"))
    if kind == "voice":
        return make(EventKind.voice, key, _field(message, "Recognition"))
    point = _point(message) if kind == "location" else None
    if point is not None:
        located = make(EventKind.location, key, _field(message, "Label"))
        return replace(located, latitude=point.latitude, longitude=point.longitude)
    return make(EventKind.unsupported, key)


def _point(message: Mapping[str, Any]) -> Point | None:
    """A location message's point: Location_X is the latitude, Location_Y the longitude, in GCJ-02 as stored."""
    try:
        latitude, longitude = float(_field(message, "Location_X")), float(_field(message, "Location_Y"))
    except ValueError:
        return None
    return from_gcj02(latitude, longitude) if math.isfinite(latitude) and math.isfinite(longitude) else None


def answer_address(openid: str) -> dict[str, Any]:
    """Where the outbox's sender writes answers given later (bot.service.queue_answers): the follower."""
    return {"openid": openid}


def render(replies: Iterable[Reply], t: BotCatalogue) -> str:
    """The answers as one text: buttons become the words to reply, links WeChat's ``<a>`` (its texts allow it);
    never longer than WeChat takes."""
    return fit("\n\n".join(_render_one(reply, t) for reply in replies))


def fit(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """The text within ``limit`` UTF-8 bytes: the longest lines (a quoted account, a long answer) are shortened
    first, so the question and the words to reply at the end survive; links are never cut."""
    lines = text.split("\n")
    sizes = [len(line.encode()) for line in lines]
    while (excess := sum(sizes) + len(lines) - 1 - limit) > 0:
        cuttable = [index for index, line in enumerate(lines) if sizes[index] > 8 and "<a " not in line]
        if not cuttable:
            return text.encode()[: limit - 3].decode(errors="ignore") + "…"
        index = max(cuttable, key=sizes.__getitem__)
        keep = max(sizes[index] - excess - 3, sizes[index] // 2)  # "…" is 3 bytes
        lines[index] = lines[index].encode()[:keep].decode(errors="ignore") + "…"
        sizes[index] = len(lines[index].encode())
    return "\n".join(lines)


def _render_one(reply: Reply, t: BotCatalogue) -> str:
    lines = [reply.text]
    # Every label is a word the dialogue accepts typed (提交, 地点, 5, 投诉 7K3MQ-9XR4P).
    words = [button.label for row in reply.buttons for button in row if button.data]
    if words:
        lines.append(t("wechat.reply_with", words="".join(t("wechat.word", word=word) for word in words)))
    for row in reply.buttons:
        lines.extend(
            f'<a href="{_attribute(button.url)}">{button.label}</a>' for button in row if button.url and not button.data
        )
    return "\n".join(lines)


def _attribute(url: str) -> str:
    # WeChat's text is not HTML: "&amp;" would reach the browser as it is, so only what ends the tag is encoded.
    return url.replace('"', "%22").replace("<", "%3C").replace(">", "%3E")
