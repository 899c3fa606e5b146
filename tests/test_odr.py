"""ODR (issue 16, part 2 and the ODR part of 5): a station marks a merchant as taking part (the merchant may apply on
their page); a shopper complaining (投诉) about it is offered to let the merchant settle first, and only with that
consent does the case go to the merchant, with the consumer's name and phone on the merchant's page; the merchant
proposes a settlement, the shopper accepts it (settled by the merchant) or refuses it, or the merchant lets the
time pass (the worker hands it over once, even with two workers): then the station gets it as a complaint, its
acceptance deadline counted from the hand-over. A reporter's contact never reaches a merchant."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.deadlines.calendar_store import load_calendar
from complaints.deadlines.policy import acceptance_deadline
from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in
from tests.support import NOW, code_of, ledger_row, seed
from tests.test_complaint_form import form
from tests.test_merchant_page import _issue, _merchant_id, parse
from web.app import create_app
from web.auth.models import StaffRole
from web.settings import Settings
from web.worker import hand_over_late_odr

Client = TestClient[Any, Any]
WORDS = "秤不准，买的排骨少了二两，要求退钱"
OFFER = "先由商家协商解决（商家须在 10 个工作日内联系您；不成再转市场监管所）"
NAME, PHONE = "王小红", "13900139000"
PROPOSE = re.compile(r'action="(/merchant-link/[^"/]+/odr/[0-9]+/propose)')


async def _odr_merchant(client: Client, engine: AsyncEngine) -> tuple[str, str]:
    """张记水产 in 南门, applied on its page and marked as ODR by the station; (its link, an instrument's code)."""
    await seed(engine, ledger_row(serial_no="N-1", contact_phone="138 0013 8000", contact_person="张三"))
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await sign_in(client, "south")
    merchant_id = await _merchant_id(engine)
    link = await _issue(client, merchant_id)
    client.session.cookie_jar.clear()
    home = await (await client.get(link)).text()
    assert "申请加入 ODR" in home
    applied = await client.post(f"{link}/odr/apply")
    assert "已申请加入 ODR" in await applied.text()

    await sign_in(client, "south")
    staff_page = await (await client.get(f"/merchants/{merchant_id}")).text()
    assert "商家于 2026-11-23 申请加入 ODR" in staff_page
    marked = await client.post(
        f"/merchants/{merchant_id}/odr",
        data={"csrf": csrf_of(staff_page), "decision": "approve", "since": "2026-11-20"},
    )
    page = await marked.text()
    parse(page)
    assert "ODR 企业，自 2026-11-20 起（south 决定）" in page
    client.session.cookie_jar.clear()
    return link, await code_of(engine, "N-1")


async def _complain(
    client: Client, code: str, *, intent: str = "complaint", odr: bool = True, words: str = WORDS
) -> tuple[bool, str]:
    """The two-step form with the shopper's name and phone; (whether ODR was offered, the status page's address)."""
    details = await client.post("/complain", data=form(words, code=code, stage="text"))
    offered = OFFER in await details.text()
    fields = {"stage": "details", "intent": intent, "name": NAME, "phone": PHONE, "consent": "yes", "odr": "no"}
    if odr:
        fields["odr"] = "yes"
    sent = await client.post(
        "/complain",
        data=form(words, code=code, photos=None, **fields),
        allow_redirects=False,
    )
    assert sent.status == 303
    return offered, sent.headers["Location"]


async def _case(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        query = "SELECT id, ref, status, queue, accept_due, due_on FROM complaint WHERE intent = 'complaint'"
        return (await connection.execute(sa.text(query))).one()


async def _outcome(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        return str((await connection.execute(sa.text("SELECT outcome FROM odr_case"))).scalar_one())


async def _propose(client: Client, link: str, proposal: str, refund: str = "") -> str:
    home = await (await client.get(link)).text()
    action = PROPOSE.search(home)
    assert action is not None, "the merchant's page offers no case to settle"
    proposed = await client.post(action.group(1), data={"proposal": proposal, "refund": refund})
    assert proposed.status == 200
    return await proposed.text()


async def test_the_shopper_accepts_the_merchants_settlement(client: Client, engine: AsyncEngine) -> None:
    link, code = await _odr_merchant(client, engine)
    offered, status_url = await _complain(client, code)
    assert offered
    case = await _case(engine)
    assert (case.status, case.queue, case.accept_due, case.due_on) == ("with_merchant", "station", None, None)
    status_page = await (await client.get(status_url)).text()
    parse(status_page)
    assert "商家协商中" in status_page
    assert "商家须在 2026-12-07 前联系您" in status_page  # 10 working days from Monday 23 November
    assert "商家尚未提出方案" in status_page

    # The merchant sees the consumer's name and phone for this case, and proposes a settlement.
    home = await (await client.get(link)).text()
    assert NAME in home
    assert PHONE in home
    assert WORDS in home
    action = PROPOSE.search(home)
    assert action is not None
    refused = await client.post(action.group(1), data={"proposal": " ", "refund": "20"})
    assert refused.status == 422
    assert "请写明和解方案" in await refused.text()
    mine = await _propose(client, link, "退还差价 20 元并当面道歉", "20")
    parse(mine)
    assert "已提出方案（2026-11-23）" in mine

    async with engine.connect() as connection:
        told = (await connection.execute(sa.text("SELECT channel FROM outbox WHERE kind = 'odr_propose'"))).all()
    assert [row.channel for row in told] == ["sms"]  # the shopper is told a proposal waits (they gave consent)
    status_page = await (await client.get(status_url)).text()
    assert "退还差价 20 元并当面道歉" in status_page
    assert "退款：20.00 元" in status_page
    answered = await client.post(status_url.replace("?", "/odr?", 1), data={"decision": "accept"})
    assert answered.status == 200
    settled = await answered.text()
    assert "已由商家和解（2026-11-23）" in settled
    assert "您接受了商家的和解方案" in settled
    assert (await _case(engine)).status == "resolved"
    assert await _outcome(engine) == "settled"
    # The consumer's contact leaves the merchant's page with the settlement.
    assert PHONE not in await (await client.get(link)).text()

    await sign_in(client, "south")
    staff_page = await (await client.get(f"/merchants/{await _merchant_id(engine)}")).text()
    assert "ODR 投诉 1 件，商家和解 1 件，转监管所 0 件，进行中 0 件；和解率 100%" in staff_page
    handler_case = await (await client.get(f"/queue/{case.ref}")).text()
    assert "结果：商家和解" in handler_case
    reports = await (await client.get("/reports?month=2026-11")).text()
    parse(reports)
    assert "ODR 投诉 1 件，商家和解 1 件" in reports
    record = await (await client.get(f"/merchant/{await _merchant_id(engine)}")).text()
    assert "该商家已加入在线消费纠纷解决（ODR），自 2026-11-20 起" in record
    assert "和解率 100%" in record
    assert NAME not in record


async def test_the_shopper_refuses_and_the_station_gets_the_case_with_its_history(
    client: Client, engine: AsyncEngine
) -> None:
    link, code = await _odr_merchant(client, engine)
    _, status_url = await _complain(client, code)
    await _propose(client, link, "送一斤排骨")
    refused = await client.post(status_url.replace("?", "/odr?", 1), data={"decision": "refuse"})
    page = await refused.text()
    assert "商家协商未成（您未接受方案），已于 2026-11-23 转市场监管所处理" in page
    case = await _case(engine)
    assert case.status == "received"
    assert str(case.accept_due) == str(case.due_on) == "2026-12-02"  # 7 working days from the hand-over
    assert await _outcome(engine) == "refused"
    # A second answer changes nothing.
    again = await client.post(status_url.replace("?", "/odr?", 1), data={"decision": "accept"})
    assert again.status == 200
    assert (await _case(engine)).status == "received"

    await sign_in(client, "south")
    handler_case = await (await client.get(f"/queue/{case.ref}")).text()
    assert "商家方案" in handler_case
    assert "送一斤排骨" in handler_case
    assert "结果：消费者不接受，转监管所" in handler_case
    assert "受理" in handler_case


async def test_the_merchant_lets_the_time_pass_and_the_worker_hands_over_once(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    link, code = await _odr_merchant(client, engine)
    _, status_url = await _complain(client, code)
    # On the last day still the merchant's.
    assert await hand_over_late_odr(engine, settings, NOW + timedelta(days=14)) == 0
    later = NOW + timedelta(days=15)  # Tuesday 8 December: the 10 working days ended on the 7th
    handed = await asyncio.gather(*(hand_over_late_odr(engine, settings, later) for _ in range(2)))
    assert sorted(handed) == [0, 1]
    case = await _case(engine)
    async with engine.connect() as connection:
        expected = acceptance_deadline(await load_calendar(connection), settings.deadlines, later.date())
    assert case.status == "received"
    assert str(case.accept_due) == str(case.due_on) == expected.due.isoformat()
    assert expected.due > date(2026, 12, 8)  # counted from the hand-over, not from receipt (2 December)
    assert await _outcome(engine) == "timed_out"
    async with engine.connect() as connection:
        events = (
            await connection.execute(
                sa.text("SELECT count(*) FROM complaintevent WHERE action = 'odr_hand_over' AND complaint_id = :id"),
                {"id": case.id},
            )
        ).scalar_one()
    assert events == 1
    status_page = await (await client.get(status_url)).text()
    assert "商家未在期限内和解" in status_page
    assert NAME not in await (await client.get(link)).text()


async def test_without_consent_the_complaint_takes_the_normal_path(client: Client, engine: AsyncEngine) -> None:
    link, code = await _odr_merchant(client, engine)
    offered, status_url = await _complain(client, code, odr=False)
    assert offered
    case = await _case(engine)
    assert (case.status, str(case.accept_due)) == ("received", "2026-12-02")
    async with engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT count(*) FROM odr_case"))).scalar_one() == 0
    home = await (await client.get(link)).text()
    assert NAME not in home
    assert PHONE not in home
    assert WORDS not in home
    assert "目前没有待协商的投诉" in home
    assert "商家协商中" not in await (await client.get(status_url)).text()


async def test_a_reporters_contact_never_reaches_the_merchant(client: Client, engine: AsyncEngine) -> None:
    link, code = await _odr_merchant(client, engine)
    # Even a forged form asking ODR for a 举报 does not send it to the merchant.
    await _complain(client, code, intent="report", odr=True)
    async with engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT count(*) FROM odr_case"))).scalar_one() == 0
        status = (await connection.execute(sa.text("SELECT status FROM complaint"))).scalar_one()
    assert status == "received"
    home = await (await client.get(link)).text()
    assert NAME not in home
    assert PHONE not in home
    assert WORDS not in home


async def test_a_merchant_not_taking_part_is_not_offered_and_odr_needs_a_phone(
    client: Client, engine: AsyncEngine
) -> None:
    await seed(engine, ledger_row(serial_no="N-1"))
    code = await code_of(engine, "N-1")
    offered, _ = await _complain(client, code)
    assert not offered
    async with engine.connect() as connection:
        assert (await connection.execute(sa.text("SELECT count(*) FROM odr_case"))).scalar_one() == 0


async def test_the_forms_offer_counts_the_days_the_station_configured(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    configured = settings.model_copy(update={"fairweigh_deadline_odr_days": 7})
    client = await aiohttp_client(create_app(configured, clock=clock))
    _, code = await _odr_merchant(client, engine)
    details = await client.post("/complain", data=form(WORDS, code=code, stage="text"))
    text = await details.text()
    assert "商家须在 7 个工作日内联系您" in text
    assert OFFER not in text
