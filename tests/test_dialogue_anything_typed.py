"""Whatever two shoppers type, in whatever order, over the real Telegram webhook and the database (Hypothesis
draws the scripts from what shoppers say, what the buttons send, and arbitrary text):

- every message is answered, and never with the other shopper's name, phone or case;
- 取消 always ends what is in hand: no draft is left, so nothing can loop without a way out;
- a story in hand always reaches its receipt by answering what is asked, in a bounded number of messages;
- chit-chat, commands and button taps alone never make a case, and a case never holds another shopper's contact;
- the other shopper's reference typed into 进度, a rating or a settlement's answer shows, rates or settles nothing;
- no command, button's data or refusal is ever kept as a line of the story or as an answer.

A failure prints the shortest script Hypothesis finds, one message per line. The faults found so far are pinned in
tests/test_dialogue_stray_words.py.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.understanding.words import WORD_OF
from tests.fake_telegram import FakeTelegram
from tests.fake_wechat import WeChatPush, push, wechat
from tests.fake_wechat import say as wechat_say
from tests.support import BASE_ROW, code_of, ledger_row, seed
from tests.telegram_support import Shopper, jpeg
from web.app import create_app
from web.settings import Settings

# Bounded so that CI stays within its time (about 10 s per database); raise it locally to look harder.
EXAMPLES = int(os.environ.get("FAIRWEIGH_DIALOGUE_EXAMPLES", "40"))
_chat_ids = itertools.count(50_000)
# Each shopper's own contact: a reply or a case holding the other's is a leak.
CONTACTS = (("赵春梅", "13812345670"), ("钱志强", "13987654321"))
# Stories start a case; everything else a shopper may type is an answer, a command or chatter.
STORIES = (
    "在南门农贸市场张记水产买了3斤虾付了120块 回家称只有2斤6两",
    "昨天买了3斤排骨付了90块 回家称只有2斤6两",
    "加油站加了200块的油 感觉少了好多 我要投诉",
    "鬼秤！！缺斤少两",
    "菜市场有个摊主秤砣动了手脚 我要举报",
    "bought pork at 南门菜场 this morning, 200g short",
    "眼镜店配的眼镜度数不对 要求退钱",
)
ANSWERS = (
    "今天上午", "上周五", "69块 10公斤 实际9.2", "南门农贸市场", "东街市场唐记蔬菜22号", "{name}", "{phone}",
    "{name} {phone}", "我叫{name} 电话{phone}", "没拍", "不知道", "不想说", "不想留名字", "跳过", "好了", "对",
    "提交", "修改", "时间错了 是上周五", "地点", "1", "2", "投诉", "举报", "退钱", "4分吧", "很满意", "是",
    "可以", "好的", "算了不弄了 麻烦", "no photo sorry", "yes", "done", "有", "拍了", "老板不退钱", "能不能加急",
)  # fmt: skip
# The other shopper's reference typed into a command: never that case's status, rating or settlement.
PEEKS = ("进度 {ref}", "评价 {ref} 1", "rate:{ref}:5", "接受 {ref}", "不接受 {ref}")
OWN_RATINGS = frozenset({"4分吧", "很满意", "1", "2"})  # what may rate the shopper's own case just received
CHATTER = ("在吗", "？？？", "你好", "谢谢", "你们是谁", "帮助", "进度", "我那个投诉怎么样了", "hi", "ok", "/start")
TAPS = (
    "done", "skip", "submit", "change", "cancel", "same", "resume", "restart", "intent:complaint", "intent:report",
    "offer:complaint", "offer:report", "fix:when", "fix:where", "fix:account", "fix:name", "fix:choose", "case:join",
    "case:new",
)  # fmt: skip
PHOTOS = ("photo-of-goods", "photo-not-found")  # the second is one the Bot API no longer has
FINISH_ROUNDS = 14
REFUSALS = frozenset({"没拍", "不知道", "不想说", "不想留名字", "算了不弄了 麻烦", "no photo sorry"})
# A command or a button's data is never a line of the story nor an answer; a refusal is never an answer.
NEVER_KEPT = frozenset({*WORD_OF, *TAPS, "提交", "对", "可以", "好的", "是", "yes", "done"})
FIELD_LABELS = ("地点：", "时间：", "金额和分量：")


SAID = {"story": STORIES, "answer": ANSWERS, "chatter": CHATTER, "tap": TAPS, "peek": PEEKS}


def _move(kind: str) -> Any:
    return st.tuples(st.just(kind), st.sampled_from(SAID[kind]))


MOVE = st.one_of(
    _move("story"), _move("answer"), _move("chatter"), _move("tap"),
    st.tuples(st.just("scan"), st.just("/start {code}")),
    st.tuples(st.just("photo"), st.sampled_from(PHOTOS)),
    _move("peek"),
    st.tuples(st.just("location"), st.just("26.0745,119.2965")),
    st.tuples(st.just("text"), st.text(min_size=1, max_size=40).filter(str.strip)),
)  # fmt: skip
SCRIPTS = st.lists(st.tuples(st.integers(min_value=0, max_value=1), MOVE), min_size=1, max_size=14)


# What a WeChat follower types where Telegram shows a button (WeChat's passive replies carry none).
TYPED_ON_WECHAT = {
    "done": "好了", "skip": "跳过", "submit": "提交", "change": "修改", "cancel": "取消", "same": "是",
    "resume": "继续", "restart": "重新开始", "intent:complaint": "1", "intent:report": "2", "offer:complaint": "投诉",
    "offer:report": "举报", "fix:when": "时间", "fix:where": "地点", "fix:account": "说明", "fix:name": "姓名",
    "fix:choose": "类型", "case:join": "1", "case:new": "2",
}  # fmt: skip


class TelegramChat:
    """One Telegram user: taps are callback queries, photos and locations are messages of their own."""

    channel = "telegram"

    def __init__(self, shopper: Shopper) -> None:
        self.shopper, self.user = shopper, str(shopper.chat_id)

    async def send(self, kind: str, words: str) -> str:
        if kind == "tap":
            return await self.shopper.tap(words)
        if kind == "photo":
            return await self.shopper.photo(words)
        if kind == "location":
            latitude, longitude = (float(part) for part in words.split(","))
            location = {"latitude": latitude, "longitude": longitude}
            return await self.shopper.deliver(self.shopper.message(location=location))
        return await self.shopper.say(words)

    def buttons(self) -> list[str]:
        return self.shopper.keyboard()


# Characters XML 1.0 cannot carry, even escaped: WeChat's servers cannot send them, so a follower's arbitrary text
# arrives with each replaced (as a lenient encoder does).
_NOT_IN_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class WeChatChat:
    """One WeChat follower in safe mode: a button is typed, a photo is a voice message with no recognition (the
    fake API is not asked for media), the answer is the passive reply."""

    channel = "wechat"

    def __init__(self, client: TestClient[Any, Any], follower: WeChatPush) -> None:
        self.client, self.follower, self.user = client, follower, follower.openid

    async def send(self, kind: str, words: str) -> str:
        follower = self.follower
        if kind == "photo":
            xml = follower.xml("voice", MediaId=words, Format="amr", Recognition="")
        elif kind == "location":
            latitude, longitude = words.split(",")
            xml = follower.xml("location", Location_X=latitude, Location_Y=longitude, Scale="15", Label="")
        elif kind == "tap":
            xml = follower.text(TYPED_ON_WECHAT[words])
        else:
            xml = follower.text(_NOT_IN_XML.sub("\ufffd", words))
        status, reply = await wechat_say(self.client, follower, xml)
        assert status == 200, reply
        return reply

    def buttons(self) -> list[str]:
        return []


Chat = TelegramChat | WeChatChat


async def _state(engine: AsyncEngine, chat: Chat) -> tuple[str, dict[str, Any]]:
    query = sa.text("SELECT step, draft FROM dialogue_state WHERE channel = :c AND chat_user = :u")
    async with engine.connect() as connection:
        row = (await connection.execute(query, {"c": chat.channel, "u": chat.user})).first()
    if row is None:
        return "idle", {}
    return row.step, json.loads(row.draft) if isinstance(row.draft, str) else dict(row.draft)


async def _cases(engine: AsyncEngine, chat: Chat) -> list[sa.Row[Any]]:
    query = sa.text(
        "SELECT c.ref, c.text, c.satisfaction, k.name, k.phone"
        " FROM complaint c JOIN complaintcontact k ON k.complaint_id = c.id"
        " WHERE c.channel = :c AND k.channel_user = :u"
    )
    async with engine.connect() as connection:
        return list((await connection.execute(query, {"c": chat.channel, "u": chat.user})).all())


def _plain_answer(last: str, buttons: list[str], name: str, phone: str) -> tuple[str, str]:
    """What a shopper who wants it done answers to ``last``: the summary sent, 投诉 chosen, name and phone given,
    anything else skipped or ended."""
    question = last.rsplit("\n\n", 1)[-1].lower()
    if "submit" in buttons or "请核对" in last or "please check" in last.lower():
        return "tap", "submit"
    offered = any(ask in last for ask in ("您希望怎样处理", "What would you like done"))
    if {"offer:complaint", "intent:complaint"} & set(buttons) or offered:
        return "tap", "offer:complaint" if "offer:complaint" in buttons else "intent:complaint"
    if "resume" in buttons:
        return "tap", "resume"
    if any(word in question for word in ("称呼", "姓名", "your name")):
        return "say", name
    if any(word in question for word in ("电话", "手机", "phone")):
        return "say", phone
    if "skip" in buttons or (not buttons and any(word in question for word in ("？", "?"))):
        return "tap", "skip"
    return "tap", "done"


async def _finish(chat: Chat, engine: AsyncEngine, last: str, name: str, phone: str) -> list[str]:
    """Answer what is asked the plainest way until nothing is in hand (a case made, or joined to the same
    shopper's earlier one); what was said on the way, if it never got there."""
    said: list[str] = []
    for _ in range(FINISH_ROUNDS):
        last = await chat.send(*_plain_answer(last, chat.buttons(), name, phone))
        said.append(last)
        step, draft = await _state(engine, chat)
        if step == "idle" and not draft.get("texts"):
            return []
    return said


async def _registered_code(engine: AsyncEngine) -> str:
    """张记水产's scale at 南门农贸市场: registered on the first example, found on the others."""
    async with engine.connect() as connection:
        known = (await connection.execute(sa.text("SELECT count(*) FROM instrument"))).scalar_one()
    if not known:
        await seed(engine, ledger_row())
    return await code_of(engine, BASE_ROW.serial_no)


async def _play(chats: list[Chat], engine: AsyncEngine, script: list[tuple[int, tuple[str, str]]]) -> None:
    """The script, checked message by message, then each shopper finishes what is in hand, cancels, and their
    cases are read."""
    code = await _registered_code(engine)
    told_more_than_chatter, rated, last = [False, False], [False, False], ["", ""]
    note("\n".join(f"shopper {who}, {kind}: {words!r}" for who, (kind, words) in script))
    for who, (kind, words) in script:
        chat, (name, phone), other = chats[who], CONTACTS[who], 1 - who
        others_refs = [case.ref for case in await _cases(engine, chats[other])]
        if kind not in ("tap", "photo", "location", "text"):
            ref = others_refs[-1] if others_refs else "JL20261123-9999"
            words = words.format(name=name, phone=phone, code=code, ref=ref)
        last[who] = reply = await chat.send(kind, words)
        assert reply.strip(), f"{kind} {words!r} got no answer"
        told_more_than_chatter[who] |= kind not in ("tap", "chatter", "peek")
        rated[who] |= words in OWN_RATINGS
        leaks = [*CONTACTS[other], *(case.ref for case in await _cases(engine, chats[other]))]
        leaked = [leak for leak in leaks if leak in reply and leak not in words]  # a ref typed may be echoed
        assert not leaked, f"{words!r} was answered with the other's: {reply}"

    for who, chat in enumerate(chats):
        step, draft = await _state(engine, chat)
        if step not in ("idle", "remark") and draft.get("texts"):
            unfinished = await _finish(chat, engine, last[who], *CONTACTS[who])
            assert not unfinished, f"a story in hand at {step} found no way to a case:\n" + "\n---\n".join(unfinished)
        await chat.send("say", "取消")
        step, draft = await _state(engine, chat)
        assert (step, draft.get("texts") or []) == ("idle", []), f"取消 left {step}: {draft}"
        cases = await _cases(engine, chat)
        if not told_more_than_chatter[who]:
            assert not cases, f"chatter and taps made {[case.ref for case in cases]}"
        for case in cases:
            assert rated[who] or case.satisfaction is None, f"{case.ref} was rated by someone else"
            lines = case.text.split("\n")
            answers = [line.split("：", 1)[1] for line in lines if line.startswith(FIELD_LABELS)]
            assert not [line for line in lines if line.strip().lower() in NEVER_KEPT], f"kept a command: {case.text}"
            assert not [answer for answer in [*answers, case.name] if answer in REFUSALS | NEVER_KEPT], case
            assert case.name != CONTACTS[1 - who][0]  # what this shopper typed, never the other's
            assert case.phone != CONTACTS[1 - who][1]


class Setting:
    """The apps (Telegram, WeChat), the fake Bot API and the database, behind a short repr: Hypothesis prints its
    arguments (and would print a dataclass field by field)."""

    def __init__(self, bot: TestClient[Any, Any], wx: TestClient[Any, Any], fake: FakeTelegram, engine: AsyncEngine):
        self.bot, self.wx, self.fake, self.engine = bot, wx, fake, engine

    def __repr__(self) -> str:
        return "Setting(...)"


@pytest.fixture
async def setting(
    bot: TestClient[Any, Any], fake: FakeTelegram, engine: AsyncEngine, aiohttp_client: Any, settings: Settings,
    clock: Callable[[], datetime],
) -> Setting:  # fmt: skip
    wx = await aiohttp_client(create_app(wechat(settings), clock=clock))
    return Setting(bot, wx, fake, engine)


@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=SCRIPTS)
async def test_whatever_two_telegram_users_type_each_is_answered_alone_and_can_always_leave_or_finish(
    setting: Setting, script: list[tuple[int, tuple[str, str]]]
) -> None:
    setting.fake.files[PHOTOS[0]] = jpeg()
    chats: list[Chat] = [TelegramChat(Shopper(setting.bot, setting.fake, chat_id=next(_chat_ids))) for _ in CONTACTS]
    await _play(chats, setting.engine, script)


@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=SCRIPTS)
async def test_whatever_two_wechat_followers_type_each_is_answered_alone_and_can_always_leave_or_finish(
    setting: Setting, script: list[tuple[int, tuple[str, str]]]
) -> None:
    chats: list[Chat] = [WeChatChat(setting.wx, push(f"oFollower{next(_chat_ids):019d}", safe=True)) for _ in CONTACTS]
    await _play(chats, setting.engine, script)
