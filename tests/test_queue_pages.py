"""The queue and case pages as a handler uses them: list, filter, open, act through forms, sign out."""

from __future__ import annotations

from typing import Any

import html5lib
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import NORTH, SOUTH, add_staff, csrf_of, sign_in, two_stations
from tests.support import code_of
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
SOUTH_TEXT = "张记水产的秤不准，称的鱼少了二两，要求退钱"
NORTH_TEXT = "李记鲜肉的秤不准，称的肉少了二两，要求退钱"
# Markup and a spreadsheet formula inside a plain short-weight complaint (so that it is routed to south's queue).
HOSTILE = '张记水产的秤<script>alert("x")</script><b>少了</b>二两，要求退钱 =HYPERLINK("http://evil")'


@pytest.fixture
async def signed_in(engine: AsyncEngine, client: Client) -> dict[str, str]:
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    refs = {}
    for name, text in (("south", SOUTH_TEXT), ("north", NORTH_TEXT), ("hostile", HOSTILE)):
        response = await client.post(
            "/api/v1/complaints", json={"text": text, "contact": {"name": "王芳", "phone": "13800138000"}}
        )
        body = await response.json()
        refs[name], refs[f"{name}_token"] = body["ref"], body["token"]
    assert (await sign_in(client, "south")).status == 303
    return refs


async def test_the_queue_lists_the_stations_cases_by_deadline_and_escapes_the_words(
    client: Client, signed_in: dict[str, str]
) -> None:
    response = await client.get("/queue")
    assert response.status == 200
    page = await response.text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert signed_in["south"] in page
    assert signed_in["north"] not in page  # another station's case is not even listed
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "今日到期" not in page  # received today, due in seven working days


async def test_filters_and_search_narrow_the_queue(client: Client, signed_in: dict[str, str]) -> None:
    found = await (await client.get("/queue", params={"q": "鱼少了"})).text()
    assert signed_in["south"] in found
    assert signed_in["hostile"] not in found
    by_ref = await (await client.get("/queue", params={"q": signed_in["hostile"]})).text()
    assert signed_in["hostile"] in by_ref
    refused = await client.get("/queue", params={"status": "nonsense"})
    assert refused.status == 400
    assert "筛选条件有误" in await refused.text()


async def test_a_case_is_worked_from_received_to_closed_through_its_forms(
    client: Client, signed_in: dict[str, str]
) -> None:
    ref = signed_in["south"]
    page = await (await client.get(f"/queue/{ref}")).text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert "13800138000" in page  # the handling station sees the contact in full
    csrf = csrf_of(page)

    async def do(action: str, **fields: str) -> Any:
        return await client.post(
            f"/queue/{ref}/actions", data={"csrf": csrf, "action": action, **fields}, allow_redirects=False
        )

    assert (await do("accept")).status == 303
    assert (await do("reply", template="reply.contacted")).status == 303
    assert (await do("note", note="商户承认秤有问题")).status == 303
    assert (await do("start_mediation")).status == 303
    refused = await do("resolve")  # the outcome is required
    assert refused.status == 422
    assert "outcome" in await refused.text()
    token = signed_in["south_token"]
    shopper_page = await (await client.get(f"/c/{ref}", params={"token": token})).text()
    assert "调解期限" in shopper_page  # mediating: the deadline of mediation, no longer that of acceptance
    assert "受理期限" not in shopper_page
    agreed = {"outcome": "refund", "refund_yuan": "36.5", "message": "商家退还差价 36.5 元", "note": "商户认错"}
    assert (await do("resolve", **agreed)).status == 303
    assert (await do("close")).status == 303
    page = await (await client.get(f"/queue/{ref}")).text()
    for words in ("受理", "已联系商户", "商户承认秤有问题", "调解成功", "办结", "36.5"):
        assert words in page
    # The consumer's page says what was agreed and when the case ended, and counts down to nothing.
    shopper_page = await (await client.get(f"/c/{ref}", params={"token": token})).text()
    html5lib.HTMLParser(strict=True).parse(shopper_page)
    for words in ("调解结果", "退款/赔偿", "为您挽回 36.5 元", "商家退还差价 36.5 元", "办结时间"):
        assert words in shopper_page, words
    for words in ("还剩", "期限", "节假日", "商户认错"):
        assert words not in shopper_page, words
    # The consumer's view shows the public steps and the reply, never the internal note.
    public = await (await client.get(f"/api/v1/complaints/{ref}", params={"token": token})).json()
    assert [event["action"] for event in public["events"]] == [
        "received",
        "accept",
        "reply",
        "start_mediation",
        "resolve",
        "close",
    ]
    assert "商户承认" not in str(public)


async def test_another_stations_case_page_and_photos_answer_404(client: Client, signed_in: dict[str, str]) -> None:
    for path in (f"/queue/{signed_in['north']}", f"/queue/{signed_in['north']}/photos/1", "/queue/JL20991231-0001"):
        assert (await client.get(path)).status == 404


async def test_signing_out_ends_the_session(client: Client, signed_in: dict[str, str]) -> None:
    page = await (await client.get("/queue")).text()
    response = await client.post("/logout", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert response.status == 303
    after = await client.get("/queue", allow_redirects=False)
    assert after.status == 303
    assert after.headers["Location"] == "/login?next=/queue"


async def test_search_text_is_never_sql_and_oversized_fields_are_refused(
    client: Client, engine: AsyncEngine, signed_in: dict[str, str]
) -> None:
    for probe in ("'; DROP TABLE complaint; --", "% OR 1=1 --", "\\", "_"):
        response = await client.get("/queue", params={"q": probe})
        assert response.status == 200
        assert signed_in["south"] not in await response.text()  # matched nothing: the words were just words
    assert signed_in["south"] in await (await client.get("/queue")).text()  # and the table is still there
    page = await (await client.get(f"/queue/{signed_in['south']}")).text()
    huge = await client.post(
        f"/queue/{signed_in['south']}/actions",
        data={"csrf": csrf_of(page), "action": "note", "note": "长" * 6000},
        allow_redirects=False,
    )
    assert huge.status == 413
    assert "填写的内容太长" in await huge.text()
    timeline = await (await client.get(f"/queue/{signed_in['south']}")).text()
    assert "长长长长" not in timeline
    too_long_search = await client.get("/queue", params={"q": "秤" * 500})
    assert too_long_search.status == 400


async def test_the_case_page_leads_with_the_next_step_and_confirms_each_action(
    client: Client, engine: AsyncEngine, signed_in: dict[str, str]
) -> None:
    for username, role, station in (("south2", StaffRole.handler, SOUTH), ("north", StaffRole.handler, NORTH)):
        await add_staff(engine, username, role, station)
    await add_staff(engine, "boss", StaffRole.supervisor)
    ref = signed_in["south"]
    page = await (await client.get(f"/queue/{ref}")).text()
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    [primary] = tree.findall(".//button[@class='primary']")
    assert primary.text == "受理"  # the step the case waits for comes first, open
    folded = [summary.text for summary in tree.findall(".//details/summary")]
    assert folded[:2] == ["不予受理", "移送"]
    assert "受理" not in folded
    assert folded.count("移送") == 1
    assert "转到其他监管所" not in folded
    destinations = [option.text for option in tree.findall(".//select[@name='destination']//option")]
    assert NORTH in destinations
    assert SOUTH not in destinations
    assignees = [option.get("value") for option in tree.findall(".//select[@name='assignee']/option")]
    assert assignees == ["south", "south2", "boss"]  # the station's colleagues and the supervisors, no stranger

    csrf = csrf_of(page)
    accepted = await client.post(f"/queue/{ref}/actions", data={"csrf": csrf, "action": "accept"})
    page = await accepted.text()
    assert "已受理 · 已通知消费者" not in page  # this consumer gave a phone but no consent to be contacted
    assert "已受理 · 消费者没有留下可联系的方式" in page
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    assert tree.find(".//button[@class='primary']").text == "开始调解"
    assigned = await client.post(f"/queue/{ref}/actions", data={"csrf": csrf, "action": "assign", "assignee": "south2"})
    page = await assigned.text()
    assert "已指派" in page
    assert "已通知" not in page
    assert "承办人</dt><dd>south2" in page
    moved = await client.post(
        f"/queue/{ref}/actions", data={"csrf": csrf, "action": "move", "destination": "outside"}, allow_redirects=False
    )
    assert moved.status == 422  # a body outside the service must be named in the note
    assert (await client.get(f"/queue/{ref}")).status == 200
    north = next(option.get("value") for option in tree.findall(".//select[@name='destination']//option"))
    rerouted = await client.post(
        f"/queue/{ref}/actions", data={"csrf": csrf, "action": "move", "destination": north, "note": "摊位属北门"}
    )
    assert rerouted.url.path == "/queue"  # the case has left this station's queue
    assert "已转到其他监管所" in await rerouted.text()
    assert (await client.get(f"/queue/{ref}")).status == 404


async def test_the_queue_names_merchant_market_and_assignee_marks_linked_cases_and_filters_mine(
    client: Client, engine: AsyncEngine, signed_in: dict[str, str]
) -> None:
    rigged = "这家的电子秤被动了手脚，遥控器一按就多出半斤，我要求退款，还要举报他们"
    contact = {"name": "王芳", "phone": "13800138000"}
    body = {"text": rigged, "code": await code_of(engine, "N-1"), "contact": contact}
    complaint = (await (await client.post("/api/v1/complaints", json=body)).json())["ref"]
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.text("SELECT l.ref FROM complaint c JOIN complaint l ON l.id = c.linked_id WHERE c.ref = :ref"),
            {"ref": complaint},
        )
        report = found.scalar_one()
    page = await (await client.get("/queue")).text()
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    rows = {row.find("td[2]/a").text: "".join(row.itertext()) for row in tree.findall(".//tbody/tr")}
    assert "张记水产" in rows[complaint]
    assert "南门农贸市场" in rows[complaint]
    assert f"关联 {report}" in rows[complaint]
    assert f"关联 {complaint}" in rows[report]
    assert "关联" not in rows[signed_in["south"]]
    csrf = csrf_of(page)
    await client.post(f"/queue/{report}/actions", data={"csrf": csrf, "action": "assign", "assignee": "south"})
    mine = await (await client.get("/queue", params={"mine": "yes"})).text()
    assert f'href="/queue/{report}">{report}</a><br>' in mine
    assert f'href="/queue/{complaint}">{complaint}</a><br>' not in mine  # named only as the linked case
    listed = await (await client.get("/api/v1/queue", params={"mine": "yes"})).json()
    assert [(case["ref"], case["assignee"], case["linked_ref"], case["merchant"]) for case in listed["cases"]] == [
        (report, "south", complaint, "张记水产")
    ]
