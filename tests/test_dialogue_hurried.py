"""A hurried shopper does not wait to be asked: a name and phone sent in the middle of the story are taken as the
contact (never asked again, never in the words the case carries), and 投诉, 举报 or 提交 after the story ends it
without a 好了 (投诉 and 举报 are the choice too). A loss told with no wish has 投诉 and 举报 offered
with its acknowledgement (1 or 2 on WeChat). Over the real webhooks (Telegram, WeChat) and the database."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fake_wechat import push, say
from tests.telegram_support import Shopper, jpeg

TOLD = "昨天下午在菜市场买了2斤猪肉付了50块，回家一称只有1斤6两"


async def _case(engine: AsyncEngine) -> sa.Row[tuple[str, str]]:
    query = sa.text("SELECT c.text, c.intent FROM complaint c")
    async with engine.connect() as connection:
        return (await connection.execute(query)).one()


async def _cases(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(sa.text("SELECT count(*) FROM complaint"))).scalar_one())


async def _to_summary(shopper: Shopper, said: str) -> str:
    """Answers the questions left (place, photos) and fails if the contact, already given, is asked again."""
    for _ in range(5):
        last = said.rsplit("\n\n", 1)[-1]
        if "请核对" in said:
            return said
        assert "称呼" not in last, f"the name was asked again: {last}"
        assert "电话" not in last, f"the phone was asked again: {last}"
        said = await shopper.say("南门菜场3号摊") if "哪家店" in last else await shopper.tap("skip")
    raise AssertionError(said)


async def test_a_contact_in_the_story_is_taken_and_投诉_ends_the_story(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say(TOLD)
    noted = await shopper.say("王芳 13800138000")
    assert "记下了您的联系方式：王芳 138****8000" in noted
    assert "13800138000" not in noted
    chosen = await shopper.say("投诉")
    assert "我理解的是：投诉" in chosen
    assert "您希望怎样处理" not in chosen  # 投诉 said outright is the choice: not asked again
    summary = await _to_summary(shopper, chosen)
    assert "姓名：王芳" in summary
    assert "电话：138****8000" in summary
    assert "已收到" in await shopper.tap("submit")
    text, intent = await _case(engine)
    assert intent == "complaint"
    assert "13800138000" not in text.split("姓名")[0]  # the story the merchant may see carries no phone
    assert TOLD in text


async def test_提交_after_the_story_ends_it(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say(TOLD)
    ended = await shopper.say("提交")
    assert "记下了。" not in ended
    assert "您希望怎样处理" in ended or "我理解的是" in ended  # the story is finished: what was understood follows


async def test_a_phone_that_is_part_of_the_story_stays_in_it(shopper: Shopper, engine: AsyncEngine) -> None:
    await shopper.say("南门菜场卖肉的秤不准，少给了二两")
    kept = await shopper.say("老板电话13800138000")
    assert "联系方式" not in kept
    assert "记下了" in kept
    reported = await shopper.say("举报")
    assert "举报" in reported
    assert "您希望怎样处理" not in reported


@pytest.mark.parametrize(
    ("said", "shown"),
    [("我电话13912345678 你们打给我", "139****5678"), ("我的手机号是 13912345678，有事联系我", "139****5678"),
     ("my phone is 13912345678, call me", "139****5678")],
)  # fmt: skip
async def test_ones_own_number_said_in_a_sentence_is_taken_and_not_asked_again(
    shopper: Shopper, engine: AsyncEngine, said: str, shown: str
) -> None:
    await shopper.say("南门菜场卖肉的秤不准，少给了二两，要退钱")
    noted = await shopper.say(said)
    assert shown in noted
    assert "记下了。" not in noted  # not more of the story
    asked = [await shopper.say("好了"), await shopper.tap("skip"), await shopper.tap("skip")]
    asked.append(await shopper.say("王芳"))
    assert not any("手机号" in question or "phone number" in question for question in asked), asked
    assert "139****5678" in asked[-1]  # the summary
    assert "已收到" in await shopper.tap("submit")
    text, _ = await _case(engine)
    assert "13912345678" not in text  # the story the merchant may see carries no phone


LETTER = (
    "尊敬的领导：您好！本人于11月30日在南门农贸市场12号摊位购买排骨2斤，付款58元，经市场公平秤复秤仅1斤6两。"
    "特此投诉，请求责令商家退还差价。"
)


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
@pytest.mark.parametrize(
    ("signed", "name"),
    [("联系人：王明 电话：13612345678", "王明"), ("联系电话：13612345678", ""), (" 我叫王明 电话13612345678", "王明")],
)
async def test_a_letter_signed_with_its_writers_contact_gives_the_contact_and_keeps_the_number_out_of_the_story(
    wx: Any, engine: AsyncEngine, safe: bool, signed: str, name: str
) -> None:
    follower = push(safe=safe)
    _, noted = await say(wx, follower, follower.text(LETTER + signed))
    assert "记下了您的联系方式" in noted
    assert "136****5678" in noted
    said = ""
    for answer in ("好了", "没有照片", "跳过"):
        _, said = await say(wx, follower, follower.text(answer))
        if "请核对" in said:
            break
        assert "手机号" not in said  # the number the letter gave is not asked for
    assert "请核对" in said
    assert f"姓名：{name}" in said if name else "姓名：" in said
    _, receipt = await say(wx, follower, follower.text("提交"))
    assert "已收到" in receipt
    text, intent = await _case(engine)
    assert intent == "complaint"  # 特此投诉
    assert "13612345678" not in text  # the story the merchant may see carries no phone
    assert "特此投诉" in text  # and every word of the letter before it
    async with engine.connect() as connection:
        phone = (await connection.execute(sa.text("SELECT phone FROM complaintcontact"))).scalar_one()
    assert phone == "13612345678"


async def test_someone_elses_number_at_the_end_of_a_story_stays_story(shopper: Shopper) -> None:
    said = await shopper.say("南门菜场卖肉的少给了二两 老板电话：13812345678")
    assert "联系方式" not in said
    assert "记下了" in said


async def test_an_english_name_and_phone_are_taken(shopper: Shopper) -> None:
    await shopper.say("The scale at the market was wrong, I paid 30 yuan for 1 jin of pork but got less")
    noted = await shopper.say("John Smith 13900139000")
    assert "Noted your contact: John Smith 139****9000" in noted
    chosen = await shopper.say("complain")
    assert "a complaint" in chosen


async def test_a_loss_told_without_a_wish_offers_投诉_and_举报_with_the_acknowledgement(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    noted = await shopper.say(TOLD)  # a loss, and no word of what the shopper wants done
    assert "也可以直接选" in noted
    assert shopper.keyboard() == ["offer:complaint", "offer:report", "done"]
    chosen = await shopper.tap("offer:complaint")  # one tap ends the story and makes the choice
    assert "我理解的是：投诉" in chosen
    assert "您希望怎样处理" not in chosen


async def test_a_wish_told_needs_no_offer_and_a_number_is_a_story_until_one_is_offered(
    shopper: Shopper, wx: Any, engine: AsyncEngine
) -> None:
    noted = await shopper.say(TOLD + "，要求退钱")
    assert "也可以直接选" not in noted
    assert shopper.keyboard() == ["done"]

    follower = push("oFollowerHurried000000000001")
    _, offered = await say(wx, follower, follower.text(TOLD))
    assert "回复 1、2" in offered
    _, chosen = await say(wx, follower, follower.text("2"))  # WeChat has no buttons: 2 is 举报
    assert "我理解的是：举报" in chosen


async def test_查一下_and_查处_stay_the_shoppers_words_and_thanks_alone_starts_no_story(
    shopper: Shopper, wx: Any, engine: AsyncEngine
) -> None:
    await shopper.say(TOLD)
    for words in ("查一下", "查处这家店"):  # everyday Chinese for "look into it", not a lookup of a code 「一下」
        said = await shopper.say(words)
        assert "没有找到" not in said
        assert "记下了" in said
    looked_up = await shopper.say("查 QWERTY-NOTHING-1")  # a code-shaped word after 查 is still looked up
    assert "没有找到" in looked_up

    follower = push("oFollowerThanks0000000000001")
    for words in ("谢谢", "嗯"):  # nothing told: the short help line, not the start of a story
        _, said = await say(wx, follower, follower.text(words))
        assert "说说发生了什么" in said
        assert "记下了" not in said
    _, noted = await say(wx, follower, follower.text(TOLD))
    assert "记下了" in noted
    async with engine.connect() as connection:
        draft = (
            await connection.execute(
                sa.text("SELECT draft FROM dialogue_state WHERE chat_user = :u"), {"u": "oFollowerThanks0000000000001"}
            )
        ).scalar_one()
    assert (draft if isinstance(draft, dict) else json.loads(draft))["texts"] == [TOLD]  # the thanks were not kept


async def test_no_photo_said_in_the_story_is_not_the_story_and_the_photo_question_is_not_asked(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(TOLD)
    said = await shopper.say("没拍照")
    assert "记下了" not in said  # not kept as part of the story
    assert "说完了" in said
    await shopper.say("王芳 13800138000")
    assert "哪家店" in await shopper.say("投诉")
    summary = await shopper.say("南门菜场3号摊")  # the one question left: no photo question after it
    assert "有照片吗" not in summary
    assert "请核对" in summary
    assert "已收到" in await shopper.tap("submit")
    text, intent = await _case(engine)
    assert intent == "complaint"
    assert text.splitlines()[0] == TOLD  # the story, then the answers; 没拍照 is neither


async def test_a_contact_sent_at_the_time_question_is_the_contact_and_提交_at_the_photo_question_moves_on(
    shopper: Shopper,
) -> None:
    await shopper.say("在菜市场买了2斤猪肉 回家一称只有1斤6两 要求退钱")
    assert "哪家店" in await shopper.tap("done")
    assert "什么时候" in await shopper.say("南门菜场3号摊")
    again = await shopper.say("王芳 13800138000")
    assert "记下了您的联系方式：王芳 138****8000" in again
    assert "什么时候" in again  # the question still stands: a contact is no time
    assert "有照片吗" in await shopper.say("昨天")
    summary = await shopper.say("提交")  # no photos: on to the summary, name and phone already given
    assert "请核对" in summary
    assert "时间：昨天" in summary
    assert "姓名：王芳" in summary


async def test_a_name_alone_sent_ahead_at_the_photo_question_is_the_complaints_name(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say(TOLD + " 要退钱")
    assert "哪家店" in await shopper.say("好了")
    assert "照片" in await shopper.say("南门菜场3号摊")
    noted = await shopper.say("张三")  # the name, before it is asked
    assert "记下了您的联系方式：张三" in noted
    assert "已加到您的说明里" not in noted  # not part of the story
    await shopper.say("13912345678")
    summary = await _to_summary(shopper, await shopper.tap("skip"))
    assert "姓名：张三" in summary
    assert "说明：" + TOLD + " 要退钱" in summary  # the name is not in the words


@pytest.mark.parametrize("surname", ["周", "陳"])  # 陳: typed in traditional characters, as in Hong Kong
async def test_a_surname_and_phone_sent_ahead_at_the_photo_question_are_the_contact(
    shopper: Shopper, engine: AsyncEngine, surname: str
) -> None:
    await shopper.say(TOLD + " 要退钱")
    await shopper.say("好了")
    assert "照片" in await shopper.say("南门菜场3号摊")
    noted = await shopper.say(f"{surname} 13744445555")  # as the name question's own example invites
    assert f"记下了您的联系方式：{surname} 137****5555" in noted
    assert "已加到您的说明里" not in noted
    summary = await _to_summary(shopper, await shopper.tap("skip"))
    assert f"姓名：{surname}" in summary
    assert "13744445555" not in summary.split("姓名")[0]  # not in the story


@pytest.mark.parametrize(("first", "chosen"), [("我要投诉", "complaint"), ("举报", "report")])
async def test_投诉_or_举报_said_first_is_the_choice_and_never_the_story(
    shopper: Shopper, engine: AsyncEngine, first: str, chosen: str
) -> None:
    asked = await shopper.say(first)
    assert "请用自己的话说说发生了什么" in asked
    assert "记下了" not in asked  # not the story's first words
    await shopper.say(TOLD)
    said = await shopper.say("好了")
    assert "您希望怎样处理" not in said  # chosen already: not asked again
    for _ in range(6):
        if "请核对" in said:
            break
        said = await shopper.tap("skip")
    assert "已收到" in await shopper.tap("submit")
    async with engine.connect() as connection:
        case = (await connection.execute(sa.text("SELECT text, intent, consumer_intent FROM complaint"))).one()
    assert (case.intent, case.consumer_intent) == (chosen, chosen)
    assert case.text.startswith(TOLD)


async def test_one_english_word_first_is_answered_in_english(shopper: Shopper) -> None:
    assert "Tell me in your own words" in await shopper.say("complaint")


async def test_a_photo_sent_at_the_place_question_is_kept_and_the_question_asked_again(shopper: Shopper) -> None:
    await shopper.say(TOLD)
    assert "哪家店" in await shopper.say("投诉")
    shopper.fake.files["receipt"] = jpeg()
    said = await shopper.photo("receipt")
    assert "照片收到了（第 1 张）" in said
    assert "哪家店" in said  # so that a bare 好了 next is not an answer to a question out of sight
    summary = await shopper.say("南门菜场3号摊")
    for _ in range(3):  # the name and phone, not given: skipped
        if "请核对" in summary:
            break
        assert "照片" not in summary.rsplit("\n", 1)[-1]  # the photo sent counts: not asked for
        summary = await shopper.tap("skip")
    assert "照片：1 张" in summary
    assert "地点：南门菜场3号摊" in summary


@pytest.mark.parametrize("said", ["对的 提交吧", "好的可以提交了", "yes submit it"])
async def test_submit_said_with_agreeing_words_ends_the_story(shopper: Shopper, said: str) -> None:
    await shopper.say("南门菜场卖肉的秤不准，少给了二两")
    ended = await shopper.say(said)
    assert "记下了。" not in ended  # not kept as more of the story
    assert "您希望怎样处理" in ended  # the story is finished: 投诉 or 举报 is asked


@pytest.mark.parametrize("said", ["12315电话打不通", "打了好几次12315都打不通"])
async def test_a_busy_hotline_is_told_the_story_can_be_told_here_and_makes_no_case(
    shopper: Shopper, engine: AsyncEngine, said: str
) -> None:
    answer = await shopper.say(said)
    assert "在这里说也一样" in answer
    assert "已收到" not in await shopper.say("好了")  # nothing was told: no case
    assert await _cases(engine) == 0
    assert "记下了" in await shopper.say("南门菜场买肉少了二两")  # the story starts here, without the hotline line
    async with engine.connect() as connection:
        draft = (await connection.execute(sa.text("SELECT draft FROM dialogue_state"))).scalar_one()
    assert (json.loads(draft) if isinstance(draft, str) else draft)["texts"] == ["南门菜场买肉少了二两"]


@pytest.mark.parametrize("said", ["你们几点下班", "周末上班吗", "节假日有人处理吗", "What time do you close?"])
async def test_a_question_about_hours_is_answered_and_makes_no_case(
    shopper: Shopper, engine: AsyncEngine, said: str
) -> None:
    answer = await shopper.say(said)
    assert "这里随时可以说" in answer or "You can write here at any time" in answer
    assert "已收到" not in answer
    assert "Received" not in answer
    assert await _cases(engine) == 0


async def test_a_question_about_hours_in_the_middle_of_a_story_is_answered_and_never_its_time(
    shopper: Shopper, engine: AsyncEngine
) -> None:
    await shopper.say("南门菜场买肉少了二两")
    answer = await shopper.say("你们周末上班吗")
    assert "这里随时可以说" in answer
    assert "记下了" not in answer
    understood = await shopper.say("好了")
    assert "时间 周末" not in understood  # the hours asked about are not when it happened
    async with engine.connect() as connection:
        draft = (await connection.execute(sa.text("SELECT draft FROM dialogue_state"))).scalar_one()
    assert (json.loads(draft) if isinstance(draft, str) else draft)["texts"] == ["南门菜场买肉少了二两"]


@pytest.mark.parametrize("said", ["我是商户 被人投诉了 怎么申诉", "我是卖菜的 顾客说我秤不准 其实是准的"])
async def test_a_merchant_complained_about_is_told_where_their_side_is_heard_and_makes_no_case(
    shopper: Shopper, engine: AsyncEngine, said: str
) -> None:
    answer = await shopper.say(said)
    assert "市场监管所会联系您核实" in answer
    assert "已收到" not in await shopper.say("好了")
    assert await _cases(engine) == 0


@pytest.mark.parametrize("late", ["没拍", "没拍照"])
async def test_no_photos_said_at_the_name_question_is_not_a_name_refused(
    shopper: Shopper, engine: AsyncEngine, late: str
) -> None:
    await shopper.say("南门菜场买肉少了二两 要退钱")
    await shopper.say("好了")
    await shopper.say("昨天")  # then the photo question, passed over
    assert "怎么称呼" in await shopper.tap("skip")
    said = await shopper.say(late)  # the photo question answered late
    assert "没有照片也可以" in said
    assert "不留姓名" not in said
    assert "怎么称呼" in said  # the name is still asked for
    summary = await shopper.say("王五 13900001111")
    assert "姓名：王五" in summary


async def test_no_photos_said_at_the_place_question_is_noted_and_the_place_still_asked(shopper: Shopper) -> None:
    await shopper.say("加油站 加满了 发票上写52升 可我的油箱只有50升 要退钱")
    assert "几号枪" in await shopper.say("好了")
    said = await shopper.say("没拍照")
    assert "没有照片也可以" in said
    assert "几号枪" in said
    await shopper.say("中石化人民路加油站")
    asked = await shopper.tap("skip")  # the time
    assert "有照片吗" not in asked  # said already
