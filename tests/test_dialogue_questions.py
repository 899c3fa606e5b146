"""A question is answered at once, without 好了 (issue 13, part 3): about the scanned instrument when there is one,
routed to its station; a loss told with a question mark is still heard out as a story. Over the real webhooks
(Telegram; WeChat plain and safe mode) and the database."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.answers import automatic_answer
from complaints.deadlines.policy import DeadlinePolicy
from tests.fake_wechat import push, say
from tests.support import NOW, STATUS_ROWS, code_of, ledger_row, make_uscc, seed
from tests.telegram_support import Shopper

Client = TestClient[Any, Any]


async def cases(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        sql = (
            "SELECT c.intent, c.instrument_id, s.name AS station FROM complaint c"
            " LEFT JOIN station s ON s.id = c.station_id ORDER BY c.id"
        )
        return list(await connection.execute(sa.text(sql)))


async def test_a_question_after_a_scan_is_answered_about_that_instrument(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await shopper.say(f"/start {codes['expired']}")
    answer = await shopper.say("超期啥意思 还能用吗")
    assert "已收到" in answer
    assert "检定已过期" in answer  # the instrument's own status, explained
    assert "说完了" not in answer  # no 好了 asked for
    [case] = await cases(engine)
    assert case.intent == "inquiry"
    assert case.instrument_id is not None
    assert case.station == "南门市场监管所"


async def test_what_a_status_means_is_answered_without_a_scan_too(shopper: Shopper, engine: AsyncEngine) -> None:
    answer = await shopper.say("即将到期是什么意思 停用呢")  # no instrument, no question mark
    assert "已收到" in answer
    assert "「即将到期」：检定还在有效期内，可以照常使用" in answer
    assert "「已停用」" in answer
    assert "「检定已过期」" not in answer  # 即将到期 is not 过期
    [case] = await cases(engine)
    assert case.intent == "inquiry"


def test_status_words_about_something_else_get_no_instrument_meaning() -> None:
    policy = DeadlinePolicy()
    food = automatic_answer("过期食品是什么意思", None, on=NOW.date(), policy=policy, hotline="12315")
    assert food is None  # left to a person: 过期 here is about food, not an instrument's verification
    scale = automatic_answer("秤上写的过期是什么意思", None, on=NOW.date(), policy=policy, hotline="12315")
    assert scale is not None
    assert scale.chinese.startswith("「检定已过期」")


@pytest.mark.parametrize(
    "question",
    [
        "我想咨询一下 家里电表走得快怎么办",
        "燃气表不准找谁",
        "my water meter runs fast, what should I do",
        "我家水表是不是坏了",
        "家里的燃气表准不准啊",
    ],
)
async def test_what_to_do_about_a_household_meter_is_answered_at_once(
    shopper: Shopper, engine: AsyncEngine, question: str
) -> None:
    answer = await shopper.say(question)
    assert "已收到" in answer or "Received" in answer
    assert "申请校验" in answer or "ask the utility to test it" in answer  # who checks a meter first
    assert "说完了" not in answer
    assert "Done" not in answer
    [case] = await cases(engine)
    assert case.intent == "inquiry"


async def test_a_loss_told_with_a_question_mark_is_still_a_story(shopper: Shopper, engine: AsyncEngine) -> None:
    said = await shopper.say("付了50块只有1斤6两 这秤准吗？")
    assert "记下了" in said
    assert "已收到" not in said
    assert await cases(engine) == []


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
async def test_a_question_over_wechat_needs_no_done(
    wx: Client, engine: AsyncEngine, codes: dict[str, str], safe: bool
) -> None:
    follower = push(safe=safe)
    _, scanned = await say(wx, follower, follower.event("SCAN", codes["valid"], Ticket="gQH47joAAAAAAAAAASxodHRwOi8v"))
    assert "张记水产" in scanned
    _, answer = await say(wx, follower, follower.text("请问这里的公平秤在哪里"))
    assert "东门管理处旁" in answer
    assert "回复「说完了」" not in answer
    [case] = await cases(engine)
    assert case.intent == "inquiry"


async def asked_about_the_expired_scale(shopper: Shopper, codes: dict[str, str]) -> None:
    """A scan of the expired scale and a question answered about it."""
    await shopper.say(f"/start {codes['expired']}")
    assert "已收到" in await shopper.say("超期啥意思 还能用吗")


async def submitted_after(shopper: Shopper, engine: AsyncEngine, *answers: str) -> tuple[Any, Any]:
    """The questions left answered (``skip`` tapped), the summary submitted: the earlier question's case and the
    story's, a complaint about the same instrument."""
    said = ""
    for answer in answers:
        said = await (shopper.tap(answer) if answer == "skip" else shopper.say(answer))
    assert "请核对" in said
    assert "已收到" in await shopper.tap("submit")
    question, story = await cases(engine)
    assert story.intent == "complaint"
    assert story.instrument_id == question.instrument_id is not None
    return question, story


async def test_a_second_question_straight_after_is_about_the_same_instrument(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await asked_about_the_expired_scale(shopper, codes)
    answer = await shopper.say("那去哪里复秤")  # no code of its own: the instrument just asked about
    assert "南门农贸市场的公平秤在：东门管理处旁" in answer
    first, second = await cases(engine)
    assert second.intent == "inquiry"
    assert second.instrument_id == first.instrument_id is not None
    assert second.station == "南门市场监管所"


@pytest.mark.parametrize("story", ["另外昨天在别处买的排骨少了二两", "我在这附近的菜场买肉少了二两"])
async def test_a_story_after_a_question_names_its_own_place(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str], story: str
) -> None:
    await asked_about_the_expired_scale(shopper, codes)
    said = await shopper.say(story)  # somewhere else, or near here: not the instrument asked about
    assert "记下了" in said
    assert "已收到" not in said  # a story is told, not sent off with the earlier question's instrument
    await shopper.say("好了")
    asked = await shopper.say("1")  # 投诉
    assert "是哪家店" in asked  # the place is asked: the earlier instrument is not this story's


async def test_a_loss_asked_about_after_a_question_is_offered_the_remedy_and_that_instrument(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await asked_about_the_expired_scale(shopper, codes)
    assert "记下了" in await shopper.say("那我买的东西怎么办 少了好几两")  # a question about a loss: a story
    assert "您希望怎样处理" in await shopper.say("好了")  # read as a question, but a loss of one's own
    asked = await shopper.say("1")
    assert "是刚才查询的那台器具" in asked  # the place question offers the instrument just asked about
    assert "哪家店" in asked  # and still asks, for a story about somewhere else
    await shopper.say("是")
    _, story = await submitted_after(shopper, engine, "今天上午", "2斤只有1斤6两", "skip", "王芳 13800138000")
    assert story.station == "南门市场监管所"


async def test_a_story_told_here_after_a_question_is_about_that_instrument_and_not_greeted_again(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await asked_about_the_expired_scale(shopper, codes)
    told = await shopper.say("我在这买了2斤肉 回家少了2两")
    assert "记下了" in told
    assert "您好！这里是诚信计量" not in told  # the shopper wrote a minute ago: no first-contact greeting
    understood = await shopper.say("好了")
    assert f"器具 刚才查询的那台（{codes['expired'][:5]}-{codes['expired'][5:]}）" in understood
    asked = await shopper.say("1")
    assert "哪家店" not in asked  # 「在这」: the instrument just asked about, not asked for
    assert "什么时候" in asked
    await submitted_after(shopper, engine, "今天上午", "skip", "王芳 13800138000")


async def test_the_fair_scale_of_a_market_named_in_the_question(shopper: Shopper, engine: AsyncEngine) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE market SET fair_scale_location = '东门管理处旁'"))
    answer = await shopper.say("南门农贸市场公平秤在哪")
    assert "南门农贸市场的公平秤在：东门管理处旁。复秤免费。" in answer
    [case] = await cases(engine)
    assert case.station == "南门市场监管所"


async def test_a_fair_scale_question_with_no_market_says_where_they_usually_are(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    answer = await shopper.say("公平秤在哪")
    assert "公平秤一般设在市场管理处" in answer
    assert "告诉我市场名称" in answer  # and how to learn the exact place


@pytest.mark.parametrize(
    "question",
    [
        "这个秤准吗",
        "我想问下 秤的检定有效期一般是多久",
        "你好 我想问一下 电子秤多久要检定一次",
        "怎么知道这个秤有没有检定过",
        "how do i check if a scale is verified",
    ],
)
async def test_is_this_scale_right_with_no_code_says_how_to_find_out(
    shopper: Shopper, engine: AsyncEngine, question: str
) -> None:
    answer = await shopper.say(question)
    assert "发器具贴纸上的编码" in answer or "Send the code on the instrument's sticker" in answer  # how to look up
    assert "公平秤" in answer or "fair scale" in answer
    assert "工作日" not in answer  # 多久 about a verification is not about a complaint's deadlines


@pytest.mark.parametrize("question", ["我想问下加油站的加油机多久检定一次", "出租车计价器准不准"])
async def test_how_to_check_a_pump_or_taxi_meter_does_not_send_the_shopper_to_a_fair_scale(
    shopper: Shopper, question: str
) -> None:
    answer = await shopper.say(question)
    assert "发器具贴纸上的编码" in answer
    assert "公平秤" not in answer  # no fair scale checks a pump or a meter
    assert "直接在这里说说发生了什么" in answer


@pytest.mark.parametrize(
    ("question", "answer"),
    [("在哪投诉", "直接在这里说说发生了什么"), ("where can i complain", "just tell me here what happened")],
)
async def test_where_to_complain_is_answered_here(shopper: Shopper, question: str, answer: str) -> None:
    assert answer in await shopper.say(question)


@pytest.mark.parametrize("question", ["这秤准不准", "这台秤合不合格"])
async def test_a_question_asked_by_a_word_and_its_negation_is_answered_at_once(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str], question: str
) -> None:
    await shopper.say(f"/start {codes['valid']}")
    answer = await shopper.say(question)  # 准不准: a question without 吗 or a question mark
    assert "已收到" in answer
    assert "检定合格，在有效期内" in answer
    [case] = await cases(engine)
    assert case.intent == "inquiry"


# Read as a report (0.99) and heard as a story until handwritten questions about a market's hours, office and fair
# scale joined the training material. Not about measurement (category other): the general intake queue answers it.
@pytest.mark.parametrize("question", ["南门农贸市场几点关门", "南门农贸市场的管理处在几楼"])
async def test_a_practical_question_about_a_market_is_answered_at_once_and_not_heard_as_a_story(
    shopper: Shopper, engine: AsyncEngine, question: str
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    answer = await shopper.say(question)
    assert "已收到" in answer
    assert "发生了什么" not in answer  # no story begun
    assert "好了" not in answer
    [case] = await cases(engine)
    assert (case.intent, case.station) == ("inquiry", None)


async def test_the_fair_scale_asked_after_a_shops_own_scale_is_the_shop_not_a_market(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await seed(engine, ledger_row(merchant="惠民超市", uscc=make_uscc(9), market="", stall="", serial_no="SM-1"))
    await shopper.say(f"查 {await code_of(engine, 'SM-1')}")
    answer = await shopper.say("那去哪里复秤")
    assert "这台器具属于惠民超市，不在农贸市场里" in answer
    assert "告诉我市场名称" not in answer  # the code was just sent: not asked for it again


async def test_where_to_see_a_merchants_commitment_is_answered_at_once(shopper: Shopper, engine: AsyncEngine) -> None:
    answer = await shopper.say("请问商家的诚信计量承诺书在哪里看")
    assert "已收到" in answer
    assert "显示在它器具的查询页上" in answer  # how to see one: scan a sticker or send its code
    assert "说完了" not in answer
    [case] = await cases(engine)
    assert case.intent == "inquiry"


async def test_the_scanned_merchants_commitment_is_given_and_a_broken_promise_shows(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    await shopper.say(f"/start {codes['valid']}")
    signed = await shopper.say("这家签了诚信计量承诺书吗")
    assert "张记水产已于 2025-03-01 签署诚信计量承诺书" in signed
    assert "足斤足两" in signed  # what was promised, as signed
    assert "您查询的" not in signed  # an instrument in date: its status was not the question
    await shopper.say(f"/start {codes['expired']}")
    broken = await shopper.say("这家有诚信承诺吗")
    assert "检定已过期" in broken  # the instrument breaks the first promise: the shopper hears that too
    assert "签署诚信计量承诺书" in broken
    fair_scale = await shopper.say("那公平秤在哪")  # the same expired instrument: where to re-weigh, and why
    assert "东门管理处旁" in fair_scale
    assert "检定已过期" in fair_scale
    await seed(engine, ledger_row(merchant="李记肉铺", uscc=make_uscc(8), serial_no="L-1", commitment_signed_on=None))
    await shopper.say(f"查 {await code_of(engine, 'L-1')}")
    assert "李记肉铺还没有签署诚信计量承诺书" in await shopper.say("他们签承诺书了没")
    assert [case.intent for case in await cases(engine)] == ["inquiry"] * 4


@pytest.mark.parametrize("question", ["这个二维码怎么用", "扫码是干什么的", "how do I use the QR code on the scale?"])
async def test_what_the_sticker_is_for_is_answered_at_once(
    shopper: Shopper, engine: AsyncEngine, question: str
) -> None:
    answer = await shopper.say(question)
    assert "扫计量器具贴纸上的二维码" in answer or "Scan the QR code on an instrument's sticker" in answer
    assert "说完了" not in answer
    assert "Done" not in answer
    [case] = await cases(engine)
    assert case.intent == "inquiry"


def test_how_to_use_the_fair_scale_is_not_a_question_about_the_sticker() -> None:
    policy = DeadlinePolicy()
    answer = automatic_answer("how do I use the fair scale", None, on=NOW.date(), policy=policy, hotline="12315")
    assert answer is not None
    assert "fair scale is usually at the market office" in answer.english
    assert "Scan the QR code on an instrument's sticker" not in answer.english


async def _story_told(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        draft = (await connection.execute(sa.text("SELECT draft FROM dialogue_state"))).scalar_one()
    return "\n".join((json.loads(draft) if isinstance(draft, str) else draft)["texts"])


async def test_where_to_reweigh_asked_in_the_middle_of_a_story_is_answered_and_the_story_waits(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await seed(engine, STATUS_ROWS["valid"])
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE market SET fair_scale_location = '东门管理处旁'"))
    await shopper.say("在南门农贸市场买猪肉 少了二两")
    answer = await shopper.say("公平秤在哪")  # the market of the story told so far
    assert "南门农贸市场的公平秤在：东门管理处旁。复秤免费。" in answer
    assert "您的反映还没有提交" in answer
    assert shopper.keyboard() == ["done"]
    assert await _story_told(engine) == "在南门农贸市场买猪肉 少了二两"  # the question is not the story
    assert await cases(engine) == []

    assert "记下了" in await shopper.say("复秤只有1斤6两")  # what the re-weigh showed is the story again
    assert "您希望怎样处理" in await shopper.say("好了")


async def test_where_to_reweigh_over_wechat_mid_story_without_a_market_says_where_they_usually_are(
    wx: Client, engine: AsyncEngine
) -> None:
    follower = push(safe=True)
    await say(wx, follower, follower.text("菜市场买的虾不够秤"))
    _, answer = await say(wx, follower, follower.text("哪里可以复秤？"))
    assert "公平秤一般设在市场管理处" in answer
    assert "回复「说完了」" in answer
    assert await _story_told(engine) == "菜市场买的虾不够秤"


@pytest.mark.parametrize("asked", ["这台秤是哪个摊位的", "这个秤是谁家的"])
async def test_whose_instrument_it_is_asked_after_a_scan_is_answered_and_thanks_welcomed(
    shopper: Shopper, engine: AsyncEngine, codes: dict[str, str], asked: str
) -> None:
    await shopper.say(f"/start {codes['valid']}")
    answer = await shopper.say(asked)  # kept as a story's first words before (哪个 and 谁家 asked nothing)
    assert "已收到" in answer
    assert "您查询的" in answer  # the card's merchant and status
    assert "不客气" in await shopper.say("好的谢谢")
    [case] = await cases(engine)
    assert case.intent == "inquiry"


async def test_a_code_in_english_words_first_gets_its_card_in_english(shopper: Shopper, codes: dict[str, str]) -> None:
    shopper.language_code = None  # no hint from Telegram: the words decide
    answer = await shopper.say(f"is this scale ok? {codes['valid']}")
    assert "Verification: verified, in date" in answer  # the card, as the answer after it, in English
    assert "检定状态" not in answer
