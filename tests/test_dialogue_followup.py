"""After a receipt the chat stays with that case for a while (issue 13 part 3): the name or phone the receipt asked
for joins the case, "我那个投诉怎么样了" or a bare 进度 shows the shopper's own cases (never another's), a rating in
words is taken. Over the real webhooks (Telegram; WeChat plain and safe mode) and the database."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import REF, push, say
from tests.staff_support import SOUTH, add_staff, sign_in, token_for
from tests.support import rows
from tests.telegram_support import STORY, Shopper, file_complaint
from web.auth.models import StaffRole

Client = TestClient[Any, Any]


async def handler_page(shopper: Shopper, engine: AsyncEngine, ref: str) -> str:
    """The case's page as a supervisor signed in on the shopper's app sees it."""
    await add_staff(engine, "boss", StaffRole.supervisor)
    await sign_in(shopper.client, "boss")
    return await (await shopper.client.get(f"/queue/{ref}")).text()


async def anonymous_complaint(shopper: Shopper) -> str:
    await shopper.say(STORY)
    await shopper.tap("done")
    for _ in ("where", "when", "amounts", "photos", "name", "phone"):
        await shopper.tap("skip")
    receipt = await shopper.tap("submit")
    assert "还缺：姓名、电话" in receipt
    found = REF.search(receipt)
    assert found is not None
    return found.group(0)


async def test_a_name_and_phone_sent_after_the_receipt_join_the_case_and_the_handler_sees_it(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    ref = await anonymous_complaint(shopper)
    named = await shopper.say("我叫张三")
    assert f"已补充到编号 {ref}：姓名" in named
    assert "还缺：电话" in named
    phoned = await shopper.say("13800138000")
    assert f"已补充到编号 {ref}：电话" in phoned
    assert "还缺" not in phoned
    [contact] = await rows(engine, "SELECT name, phone, consent_to_contact FROM complaintcontact")
    assert (contact.name, contact.phone, bool(contact.consent_to_contact)) == ("张三", "13800138000", True)
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1  # no new case made of them
    added = await rows(engine, "SELECT facts FROM complaintevent WHERE action = 'contact_added' ORDER BY id")
    assert [json.loads(r.facts)["added"] if isinstance(r.facts, str) else r.facts["added"] for r in added] == [
        ["name"],
        ["phone"],
    ]

    page = await handler_page(shopper, engine, ref)
    assert "消费者补充了联系方式" in page
    assert "消费者补充了:</span> 姓名" in page


async def test_my_case_and_a_bare_progress_show_the_shoppers_own_cases_and_nobody_elses(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    ref = await anonymous_complaint(shopper)
    for question in ("我那个投诉怎么样了", "进度", "投诉有结果了吗", "我要查询 我那个投诉", "查一下我之前的投诉"):
        said = await shopper.say(question)
        assert f"编号 {ref}" in said, question
        assert "已收到，待受理" in said
    stranger = Shopper(shopper.client, shopper.fake, chat_id=20002)
    said = await stranger.say("我那个投诉怎么样了")
    assert ref not in said
    assert "还没有提交过" in said
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


async def test_when_will_it_be_handled_and_thanks_after_a_case_are_about_it(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    ref = await anonymous_complaint(shopper)
    said = await shopper.say("你们什么时候处理")  # no 投诉 or 进度 in it: asked after the case all the same
    assert f"编号 {ref}" in said
    assert "期限" in said
    thanked = await shopper.say("好的 谢谢")
    assert "不客气" in thanked
    assert "请用自己的话说说" not in thanked  # not greeted as a stranger
    stranger = Shopper(shopper.client, shopper.fake, chat_id=20003)
    welcomed = await stranger.say("谢谢")  # nothing of theirs to speak of: welcomed, with the help line
    assert "不客气" in welcomed
    assert "进度" not in welcomed
    assert "发生了什么" in welcomed
    assert ref not in await stranger.say("你们什么时候处理")  # nobody else's case
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


async def test_a_rating_in_words_is_taken_for_a_case_awaiting_one(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    headers = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    assert "没有照片" not in await shopper.say("还行")  # nothing awaits a rating: small talk, not a story
    ref = await file_complaint(shopper, codes["valid"])
    agreed = {"outcome": "refund", "refund_yuan": "14", "message": "商家退还差价 14 元"}
    for action, facts in (("accept", {}), ("start_mediation", {}), ("resolve", agreed), ("close", {})):
        response = await shopper.client.post(
            f"/api/v1/queue/{ref}/actions", json={"action": action, **facts}, headers=headers
        )
        assert response.status == 200, await response.text()
        if action == "accept":  # rated while still being handled: told when it can be
            assert f"编号 {ref} 还没有办结" in await shopper.say("4分吧")
    thanks = await shopper.say("4分吧")
    assert "谢谢您的评价（4 分）" in thanks
    [case] = await rows(engine, "SELECT satisfaction FROM complaint")
    assert case.satisfaction == 4
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_a_phone_sent_after_a_wechat_receipt_joins_the_case(wx: Client, engine: AsyncEngine, safe: bool) -> None:
    follower = push(safe=safe)
    await say(wx, follower, follower.text(STORY))
    _, said = await say(wx, follower, follower.text("好了"))
    for _ in range(8):
        if "回复「提交」" in said:
            break
        _, said = await say(wx, follower, follower.text("跳过"))
    _, receipt = await say(wx, follower, follower.text("提交"))
    ref = REF.search(receipt).group(0)  # type: ignore[union-attr]
    _, story = await say(wx, follower, follower.text("被宰"))  # two characters, but no name: a new story
    assert "已补充" not in story
    await say(wx, follower, follower.text("取消"))
    _, added = await say(wx, follower, follower.text("王芳 13900139000"))
    assert f"已补充到编号 {ref}：姓名、电话" in added
    [contact] = await rows(engine, "SELECT name, phone FROM complaintcontact")
    assert (contact.name, contact.phone) == ("王芳", "13900139000")
    _, progress = await say(wx, follower, follower.text("进度"))
    assert f"编号 {ref}" in progress


async def test_the_reply_follows_the_language_of_the_whole_message(shopper: Shopper, engine: AsyncEngine) -> None:
    english = await shopper.say("bought pork at 南门菜场 this morning, 200g short")
    assert "Tell me in your own words" in english  # Chinese place names inside English do not make it Chinese
    assert "请用自己的话" not in english
    await shopper.say("/cancel")
    neighbour = Shopper(shopper.client, shopper.fake, chat_id=20002, language_code="en")
    chinese = await neighbour.say("我在Walmart买的苹果少了二两，要求退钱")
    assert "请用自己的话" in chinese  # an English brand inside Chinese does not make it English
    one_word = Shopper(shopper.client, shopper.fake, chat_id=20003)
    assert "Tell me in your own words" in await one_word.say("yesterday")  # one English word is English
    greeting = Shopper(shopper.client, shopper.fake, chat_id=20004)
    assert "请用自己的话" in await greeting.say("ok")  # but "ok" or "hello" alone says nothing of the language


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_wechat_answers_english_with_a_chinese_place_name_in_english(wx: Client, safe: bool) -> None:
    follower = push(safe=safe)
    _, said = await say(wx, follower, follower.text("I paid 30 yuan at 张记水产 in 东门市场 but got only 1.6 jin"))
    assert "Tell me in your own words" in said
    _, done = await say(wx, follower, follower.text("done"))
    assert "Taken from your words: place 东门市场" in done  # what was understood, before the choice
    assert not re.search(r"[\u4e00-\u9fff]", re.sub("投诉|举报|东门市场", "", done))  # all English but the names


@pytest.mark.parametrize(
    ("question", "typed", "answer"),
    [
        ("公平秤在哪", "谢谢", "不客气"),
        ("公平秤在哪", "辛苦了", "不客气"),
        ("where is the fair scale", "thank you", "welcome"),
    ],
)
async def test_thanks_after_a_question_answered_is_welcomed_not_greeted_again(
    shopper: Shopper, engine: AsyncEngine, question: str, typed: str, answer: str
) -> None:
    assert await rows(engine, "SELECT id FROM complaint") == []
    await shopper.say(question)
    said = await shopper.say(typed)
    assert answer in said
    assert "请用自己的话说说" not in said  # the first greeting
    assert "in your own words" not in said
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


async def test_my_case_asked_after_in_english_is_shown_and_never_becomes_a_new_case(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    ref = await anonymous_complaint(shopper)
    for question in ("how is my complaint going", "what is the status of my complaint"):  # over 20 letters
        said = await shopper.say(question)
        assert ref in said, question
        assert "已收到，编号" not in said  # not a receipt for a new inquiry
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


async def test_进度_in_the_middle_of_a_story_says_there_is_none_yet_and_the_question_stands(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(STORY)
    asked = await shopper.tap("done")
    said = await shopper.say("进度")
    assert "还没有提交过" in said
    assert "正在说的这件事提交后" in said
    assert "有事请直接说说发生了什么" not in said  # the story is being told
    assert asked.rsplit("\n", 1)[-1] in said  # the question asked before, again
    assert await rows(engine, "SELECT id FROM complaint") == []


async def test_words_added_after_the_receipt_join_the_case_and_a_withdrawal_reaches_the_handler(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    ref = await anonymous_complaint(shopper)
    [status_link] = [url for url in shopper.keyboard() if url.startswith("http://fairweigh.test/c/")]
    # the contact the receipt asked for, sent as an addition: the contact, never words of the case
    assert f"已补充到编号 {ref}：姓名、电话" in await shopper.say("补充一下 张三 13800138000")
    how = await shopper.say("补充一下")  # the words come next: how to send them, and no story is started
    assert f"要补充到编号 {ref} 的话" in how
    assert f"已补充到编号 {ref}" in await shopper.say("补充：老板还骂人")
    assert f"已补充到编号 {ref}" in await shopper.say("我刚才投诉的那个 忘了说 是早上八点买的")
    [case] = await rows(engine, "SELECT text, status FROM complaint")  # no new case made of them
    assert case.text.endswith("\n补充：老板还骂人\n补充：我刚才投诉的那个 忘了说 是早上八点买的")
    assert "138" not in case.text
    [contact] = await rows(engine, "SELECT name, phone FROM complaintcontact")
    assert (contact.name, contact.phone) == ("张三", "13800138000")
    assert f"编号 {ref}：已收到" in await shopper.say("我的投诉怎么还没人处理")  # asked after, not a new story
    withdrawn = await shopper.say("撤销投诉")
    assert f"已告诉处理编号 {ref} 的工作人员：您想撤回" in withdrawn
    [case] = await rows(engine, "SELECT text, status FROM complaint")
    assert case.status == "received"  # the handler confirms with the shopper and ends it; the words do not
    actions = [r.action for r in await rows(engine, "SELECT action FROM complaintevent ORDER BY id")]
    assert actions[-3:] == ["words_added", "words_added", "withdrawal_asked"]

    page = await handler_page(shopper, engine, ref)
    assert "消费者补充了说明" in page
    assert "老板还骂人" in page
    assert "消费者要求撤回" in page
    own_page = await (await shopper.client.get(status_link.removeprefix("http://fairweigh.test"))).text()
    assert "您补充了说明" in own_page  # the shopper's own timeline says both arrived
    assert "您要求撤回，等待工作人员确认" in own_page


async def test_a_correction_soon_after_the_receipt_joins_the_case_and_a_bare_withdrawal_is_understood(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    ref = await anonymous_complaint(shopper)
    added = await shopper.say("地点写错了 是东街菜市场")
    assert f"已把您的更正补充到编号 {ref}" in added
    assert "记下了" not in added  # not the start of a new story
    [case] = await rows(engine, "SELECT text FROM complaint")
    assert case.text.endswith("\n补充：地点写错了 是东街菜市场")
    assert "好的，再见" in await shopper.say("再见")  # a farewell: no story, no help line
    assert f"已告诉处理编号 {ref} 的工作人员：您想撤回" in await shopper.say("撤销")
    await shopper.say("南门菜场又少了二两")
    assert "已取消，刚才的内容没有提交" in await shopper.say("撤销")  # mid-story: the story is dropped
    assert len(await rows(engine, "SELECT id FROM complaint")) == 1


async def test_a_withdrawal_with_no_case_says_so_and_mid_story_drops_the_story(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    assert "没有正在处理的投诉或举报" in await shopper.say("撤销投诉")
    assert "还没有提交过投诉或举报" in await shopper.say("我的投诉怎么还没人处理")
    await shopper.say("老板少称了 南门菜场")
    assert "已取消，刚才的内容没有提交" in await shopper.say("我要撤回投诉")
    assert "记下了" in await shopper.say("补充一下 老板还骂人")  # no case to add to: the start of a story
    assert await rows(engine, "SELECT id FROM complaint") == []


async def test_words_that_would_make_the_case_too_long_are_refused_with_what_to_do(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say("南门菜场买菜" + "又少了二两" * 800)  # 4,006 characters: kept whole as the story
    await shopper.tap("done")
    for _ in ("choose", "where", "when", "amounts", "photos", "name", "phone"):
        await shopper.tap("intent:complaint" if _ == "choose" else "skip")
    ref = REF.search(await shopper.tap("submit"))
    assert ref is not None
    [before] = await rows(engine, "SELECT text FROM complaint")
    refused = await shopper.say("补充：" + "老板还骂人" * 200)  # past the 5,000 characters a case's text may hold
    assert f"编号 {ref.group(0)} 的内容已经很长，补充不进去了" in refused
    [after] = await rows(engine, "SELECT text FROM complaint")
    assert after.text == before.text
    assert await rows(engine, "SELECT id FROM complaintevent WHERE action = 'words_added'") == []
