"""The shopper says what they want (投诉 or 举报): the web form asks it pre-selected from the classifier, the JSON
API takes it, the case keeps it beside the classifier's reading, and handlers see both (page, JSON, export)."""

from __future__ import annotations

import json
import re
from typing import Any

import html5lib
import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import SOUTH, add_staff, sign_in, token_for, two_stations
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
LOSS = "在南门市场张记水产买的带鱼，回家一称少了三两，要求商户退钱赔偿"  # read as a complaint
CHEAT = "南门市场张记水产的秤被动了手脚，请你们去查处"  # read as a report


def form(**fields: str) -> FormData:
    data = FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    return data


def checked(page: str) -> list[str]:
    return re.findall(r'name="intent" value="(\w*)"[^>]*checked', page)


async def case_row(engine: AsyncEngine, ref: str) -> Any:
    async with engine.connect() as connection:
        query = sa.text("SELECT intent, classifier_intent, consumer_intent FROM complaint WHERE ref = :ref")
        return (await connection.execute(query, {"ref": ref})).one()


async def test_the_form_asks_complaint_or_report_after_the_words_pre_selected_from_what_they_say(
    client: Client, engine: AsyncEngine
) -> None:
    first = await (await client.get("/complain")).text()
    assert "下一步" in first
    assert 'name="intent"' not in first  # the words first: nothing to read a choice from yet

    loss = await client.post("/complain", data=form(text=LOSS, stage="text"))
    page = await loss.text()
    assert loss.status == 200
    html5lib.HTMLParser(strict=True).parse(page)
    assert checked(page) == ["complaint"]
    assert "我们先帮您选了「投诉」" in page
    assert "退款、补足或调解。需要留姓名和电话" in page  # what a complaint means and needs
    assert "可以匿名" in page  # and a report
    assert LOSS in page  # the words travel to the second page
    assert checked(await (await client.post("/complain", data=form(text=CHEAT, stage="text"))).text()) == ["report"]
    question = await (await client.post("/complain", data=form(text="请问公平秤在哪里？", stage="text"))).text()
    assert checked(question) == [""]  # neither: a question is not made a complaint

    # The shopper changes the reading: the case is handled as what they chose, and both are kept.
    sent = await client.post("/complain", data=form(text=LOSS, intent="report"), allow_redirects=False)
    assert sent.status == 303
    ref = re.search(r"/c/(JL[\d-]+)", sent.headers["Location"]).group(1)  # type: ignore[union-attr]
    row = await case_row(engine, ref)
    assert (row.intent, row.classifier_intent, row.consumer_intent) == ("report", "complaint", "report")
    status = await (await client.get(sent.headers["Location"])).text()
    assert "举报" in status
    assert "需要姓名和电话" not in status  # a report chosen needs no name and phone


async def test_a_form_with_no_choice_and_the_api_without_intent_keep_the_classifiers_reading(
    client: Client, engine: AsyncEngine
) -> None:
    sent = await client.post("/complain", data=form(text=LOSS), allow_redirects=False)
    ref = re.search(r"/c/(JL[\d-]+)", sent.headers["Location"]).group(1)  # type: ignore[union-attr]
    row = await case_row(engine, ref)
    assert (row.intent, row.classifier_intent, row.consumer_intent) == ("complaint", "complaint", None)
    plain = await (await client.post("/api/v1/complaints", json={"text": CHEAT})).json()
    assert plain["intent"] == "report"


async def test_the_api_takes_the_shoppers_choice_and_refuses_anything_else(client: Client, engine: AsyncEngine) -> None:
    chosen = await client.post("/api/v1/complaints", json={"text": CHEAT, "intent": "complaint"})
    assert chosen.status == 201
    receipt = await chosen.json()
    assert receipt["intent"] == "complaint"
    assert receipt["missing"] == ["name", "phone"]  # a remedy needs them: the shopper is told
    row = await case_row(engine, receipt["ref"])
    assert (row.intent, row.classifier_intent, row.consumer_intent) == ("complaint", "report", "complaint")
    for wrong in ("inquiry", "投诉", 1):
        refused = await client.post("/api/v1/complaints", json={"text": CHEAT, "intent": wrong})
        assert refused.status == 422
        problem = await refused.json()
        assert (problem["error"], problem["field"]) == ("bad_intent", "intent")
        assert "投诉" in problem["message_zh"]


async def test_handlers_see_both_readings_on_the_case_page_in_its_json_and_in_the_corrections_export(
    client: Client, engine: AsyncEngine
) -> None:
    await two_stations(engine)
    await add_staff(engine, "boss", StaffRole.supervisor)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    receipt = await (await client.post("/api/v1/complaints", json={"text": LOSS, "intent": "report"})).json()
    ref = receipt["ref"]
    headers = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    case = await (await client.get(f"/api/v1/queue/{ref}", headers=headers)).json()
    assert (case["intent"], case["classifier_intent"], case["consumer_intent"]) == ("report", "complaint", "report")

    await sign_in(client, "boss")
    page = await (await client.get(f"/queue/{ref}")).text()
    assert "本人选择：举报" in page
    assert "自动判断：投诉" in page
    assert "两者不一致" in page

    url = f"/api/v1/queue/{ref}/actions"
    fix = {"action": "reclassify", "intent": "complaint", "category": "short_weight"}
    moved = await client.post(url, json=fix, headers=headers)
    assert moved.status == 200, await moved.text()
    export = await client.get("/reports/corrections.jsonl", headers=headers)
    [record] = [json.loads(line) for line in (await export.text()).splitlines()]
    assert (record["from_intent"], record["intent"]) == ("report", "complaint")
    assert (record["classifier_intent"], record["consumer_intent"]) == ("complaint", "report")
