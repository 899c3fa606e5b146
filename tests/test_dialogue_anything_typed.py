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
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.understanding.words import WORD_OF
from tests.fake_telegram import FakeTelegram
from tests.support import BASE_ROW, code_of, ledger_row, seed
from tests.telegram_support import Shopper, jpeg

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
    "可以", "好的", "算了不弄了 麻烦", "no photo sorry", "yes", "done",
)  # fmt: skip
# The other shopper's reference typed into a command: never that case's status, rating or settlement.
PEEKS = ("进度 {ref}", "评价 {ref} 1", "rate:{ref}:5", "接受 {ref}", "不接受 {ref}")
OWN_RATINGS = frozenset({"4分吧", "很满意", "1", "2"})  # what may rate the shopper's own case just received
CHATTER = ("在吗", "？？？", "你好", "谢谢", "你们是谁", "帮助", "进度", "我那个投诉怎么样了", "hi", "ok", "/start")
TAPS = (
    "done", "skip", "submit", "change", "cancel", "same", "resume", "restart", "intent:complaint", "intent:report",
    "offer:complaint", "offer:report", "fix:when", "fix:where", "fix:account", "fix:name", "fix:choose",
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


async def _state(engine: AsyncEngine, chat_id: int) -> tuple[str, dict[str, Any]]:
    query = sa.text("SELECT step, draft FROM dialogue_state WHERE channel = 'telegram' AND chat_user = :u")
    async with engine.connect() as connection:
        row = (await connection.execute(query, {"u": str(chat_id)})).first()
    if row is None:
        return "idle", {}
    return row.step, json.loads(row.draft) if isinstance(row.draft, str) else dict(row.draft)


async def _cases(engine: AsyncEngine, chat_id: int) -> list[sa.Row[Any]]:
    query = sa.text(
        "SELECT c.ref, c.text, c.satisfaction, k.name, k.phone"
        " FROM complaint c JOIN complaintcontact k ON k.complaint_id = c.id"
        " WHERE c.channel = 'telegram' AND k.channel_user = :u"
    )
    async with engine.connect() as connection:
        return list((await connection.execute(query, {"u": str(chat_id)})).all())


async def _finish(shopper: Shopper, engine: AsyncEngine, name: str, phone: str) -> list[str]:
    """Answer what is asked the plainest way, as a shopper who wants it done, until nothing is in hand (a case made,
    or joined to the same shopper's earlier one); what was said on the way, if it never got there."""
    said: list[str] = []
    for _ in range(FINISH_ROUNDS):
        buttons, last = shopper.keyboard(), shopper.fake.texts(shopper.chat_id)[-1]
        question = last.rsplit("\n\n", 1)[-1].lower()
        if "submit" in buttons:
            said.append(await shopper.tap("submit"))
        elif "offer:complaint" in buttons or "intent:complaint" in buttons:
            said.append(await shopper.tap("offer:complaint" if "offer:complaint" in buttons else "intent:complaint"))
        elif "resume" in buttons:
            said.append(await shopper.tap("resume"))
        elif any(word in question for word in ("称呼", "姓名", "your name")):
            said.append(await shopper.say(name))
        elif any(word in question for word in ("电话", "手机", "phone")):
            said.append(await shopper.say(phone))
        elif "skip" in buttons:
            said.append(await shopper.tap("skip"))
        else:
            said.append(await shopper.tap("done"))
        step, draft = await _state(engine, shopper.chat_id)
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


class Setting:
    """The app, the fake Bot API and the database, behind a short repr: Hypothesis prints its arguments (and
    would print a dataclass field by field)."""

    def __init__(self, bot: TestClient[Any, Any], fake: FakeTelegram, engine: AsyncEngine) -> None:
        self.bot, self.fake, self.engine = bot, fake, engine

    def __repr__(self) -> str:
        return "Setting(...)"


@pytest.fixture
def setting(bot: TestClient[Any, Any], fake: FakeTelegram, engine: AsyncEngine) -> Setting:
    return Setting(bot, fake, engine)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=SCRIPTS)
async def test_whatever_two_shoppers_type_each_is_answered_alone_and_can_always_leave_or_finish(
    setting: Setting, script: list[tuple[int, tuple[str, str]]]
) -> None:
    bot, fake, engine = setting.bot, setting.fake, setting.engine
    code = await _registered_code(engine)
    shoppers = [Shopper(bot, fake, chat_id=next(_chat_ids)) for _ in CONTACTS]
    fake.files[PHOTOS[0]] = jpeg()
    told_more_than_chatter, rated = [False, False], [False, False]
    note("\n".join(f"shopper {who}, {kind}: {words!r}" for who, (kind, words) in script))
    for who, (kind, words) in script:
        shopper, (name, phone), other = shoppers[who], CONTACTS[who], 1 - who
        if kind == "tap":
            reply = await shopper.tap(words)
        elif kind == "photo":
            reply = await shopper.photo(words)
        elif kind == "location":
            latitude, longitude = (float(part) for part in words.split(","))
            reply = await shopper.deliver(shopper.message(location={"latitude": latitude, "longitude": longitude}))
        else:
            others_refs = [case.ref for case in await _cases(engine, shoppers[other].chat_id)]
            ref = others_refs[-1] if others_refs else "JL20261123-9999"
            words = words if kind == "text" else words.format(name=name, phone=phone, code=code, ref=ref)
            reply = await shopper.say(words)
        assert reply.strip(), f"{kind} {words!r} got no answer"
        told_more_than_chatter[who] |= kind not in ("tap", "chatter", "peek")
        rated[who] |= words in OWN_RATINGS
        leaks = [*CONTACTS[other], *(case.ref for case in await _cases(engine, shoppers[other].chat_id))]
        leaked = [leak for leak in leaks if leak in reply and leak not in words]  # a ref typed may be echoed
        assert not leaked, f"{words!r} was answered with the other's: {reply}"

    for who, shopper in enumerate(shoppers):
        step, draft = await _state(engine, shopper.chat_id)
        if step not in ("idle", "remark") and draft.get("texts"):
            unfinished = await _finish(shopper, engine, *CONTACTS[who])
            assert not unfinished, f"a story in hand at {step} found no way to a case:\n" + "\n---\n".join(unfinished)
        await shopper.say("取消")
        step, draft = await _state(engine, shopper.chat_id)
        assert (step, draft.get("texts") or []) == ("idle", []), f"取消 left {step}: {draft}"
        cases = await _cases(engine, shopper.chat_id)
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
