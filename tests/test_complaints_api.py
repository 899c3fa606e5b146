"""`POST /api/v1/complaints` and `GET /api/v1/complaints/{ref}`: what a channel sends and what the shopper gets back,
on SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.deadlines.calendar_store import import_schedule
from complaints.routing import NameIndex, Place, PlaceKind, short_names, spoken_kinds
from tests.support import ZONE, ledger_row, make_uscc, seed
from web.app import create_app

Client = TestClient[Any, Any]
SHORT_WEIGHT = "在南门农贸市场买的带鱼，回家一称少了三两，要求商户退钱赔偿"
CONTACT = {"name": "王芳", "phone": "138 0013 8000"}
SCHEDULE_2027 = Path(__file__).parents[1] / "complaints" / "deadlines" / "holidays" / "2027-example.csv"


async def post(client: Client, **body: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post("/api/v1/complaints", json=body)
    return response.status, await response.json()


async def rows(engine: AsyncEngine, table: str, where: str = "") -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(sa.text(f"SELECT * FROM {table} {where} ORDER BY 1"))
        return [dict(row._mapping) for row in result]


async def test_a_scanned_complaint_gets_a_reference_a_station_and_its_deadline(
    client: Client, codes: dict[str, str]
) -> None:
    status, body = await post(client, text=SHORT_WEIGHT, code=codes["valid"], contact=CONTACT, channel="web")
    assert status == 201
    assert body["ref"] == "JL20261123-0001"
    assert len(body["token"]) >= 20
    assert (body["intent"], body["category"]) == ("complaint", "short_weight")
    assert body["station"] == "南门市场监管所"
    assert body["status"] == "received"
    # Received Monday 2026-11-23: the 7th working day after it is Wednesday 2026-12-02.
    assert body["deadline"] == "2026-12-02"
    assert body["missing"] == []
    assert body["status_url"] == f"http://fairweigh.test/c/{body['ref']}?token={body['token']}"

    response = await client.get(f"/api/v1/complaints/{body['ref']}", params={"token": body["token"]})
    assert response.status == 200
    case = await response.json()
    assert (case["ref"], case["status"], case["station"], case["deadline"]) == (
        body["ref"],
        "received",
        "南门市场监管所",
        "2026-12-02",
    )
    assert [event["action"] for event in case["events"]] == ["received"]
    # The complainant's own view never carries contact details, nor the classifier's internals.
    text = await response.text()
    assert "13800138000" not in text
    assert "王芳" not in text
    assert "confidence" not in text


async def test_the_next_case_of_the_day_gets_the_next_number(client: Client, codes: dict[str, str]) -> None:
    refs = [(await post(client, text=f"{SHORT_WEIGHT} 第{n}次", contact=CONTACT))[1]["ref"] for n in range(3)]
    assert refs == ["JL20261123-0001", "JL20261123-0002", "JL20261123-0003"]


@pytest.mark.parametrize("token", ["", "wrong-token-wrong-token", None])
async def test_a_case_cannot_be_read_without_its_token(
    client: Client, codes: dict[str, str], token: str | None
) -> None:
    _, body = await post(client, text=SHORT_WEIGHT, code=codes["valid"], contact=CONTACT)
    params = {} if token is None else {"token": token}
    response = await client.get(f"/api/v1/complaints/{body['ref']}", params=params)
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_a_complaint_without_name_and_phone_is_kept_and_they_are_asked_for(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    status, body = await post(client, text=SHORT_WEIGHT, code=codes["valid"])
    assert status == 201
    assert body["missing"] == ["name", "phone"]
    stored = await rows(engine, "complaint")
    assert [row["text"] for row in stored] == [SHORT_WEIGHT]


async def test_a_rigged_scale_is_high_priority_and_also_a_report(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    text = "这家的电子秤被动了手脚，遥控器一按就多出半斤，我要求退款，还要举报他们"
    status, body = await post(client, text=text, code=codes["valid"], contact=CONTACT)
    assert status == 201
    assert (body["intent"], body["category"], body["priority"]) == ("complaint", "tampered_instrument", "high")
    cases = {row["ref"]: row for row in await rows(engine, "complaint")}
    assert set(cases) == {"JL20261123-0001", "JL20261123-0002"}
    complaint, report = cases["JL20261123-0001"], cases["JL20261123-0002"]
    assert report["intent"] == "report"
    assert (complaint["linked_id"], report["linked_id"]) == (report["id"], complaint["id"])
    assert report["station_id"] == complaint["station_id"]
    # Verification of a report: 15 working days from Monday 2026-11-23.
    assert str(report["handle_due"]) == "2026-12-14"


async def test_an_inquiry_about_a_scanned_instrument_is_answered_at_once(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    status, body = await post(client, text="这台秤检定过没有？还在有效期吗", code=codes["expired"])
    assert status == 201
    assert (body["intent"], body["status"]) == ("inquiry", "answered")
    assert "检定已过期" in body["answer"]["zh"]
    assert "expired" in body["answer"]["en"]
    response = await client.get(f"/api/v1/complaints/{body['ref']}", params={"token": body["token"]})
    events = (await response.json())["events"]
    assert [event["action"] for event in events] == ["received", "answer"]
    assert "检定已过期" in events[1]["message"]


async def test_feedback_is_acknowledged_and_low_priority(client: Client, codes: dict[str, str]) -> None:
    status, body = await post(client, text="工作人员态度很好，点赞，谢谢你们")
    assert status == 201
    assert (body["intent"], body["status"], body["priority"]) == ("feedback", "acknowledged", "low")


@pytest.fixture
async def district(engine: AsyncEngine) -> None:
    """Two stations: 南门 (market 南门农贸市场, also called 南门菜场) and 北门 (market 北门市场, merchant 李记鲜肉)."""
    await seed(
        engine,
        ledger_row(serial_no="N-1"),
        ledger_row(
            serial_no="B-1",
            station="北门市场监管所",
            market="北门市场",
            merchant="李记鲜肉",
            uscc=make_uscc(2),
        ),
    )
    async with engine.begin() as connection:
        await connection.execute(sa.text("UPDATE market SET aliases = '[\"南门菜场\"]' WHERE name = '南门农贸市场'"))


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize(
    ("text", "queue", "station"),
    [
        ("李记鲜肉的秤不准，称的肉少了二两，要求退钱", "station", "北门市场监管所"),
        ("南门菜场卖菜的秤短斤少两，少了一斤多，要求退款", "station", "南门市场监管所"),
        ("南門菜場賣菜的秤短斤少兩，少了一斤多，要求退款", "station", "南门市场监管所"),
        ("南门市场卖菜的秤短斤少两，少了一斤多，要求退款", "station", "南门市场监管所"),
        ("南门街市卖菜的秤短斤少两，少了一斤多，要求退款", "station", "南门市场监管所"),
        ("南门菜厂卖菜的秤短斤少两，少了一斤多，要求退款", "station", "南门市场监管所"),
        ("菜市场卖菜的秤短斤少两，少了一斤多，要求退款", "district_intake", None),
        ("南门菜场饭菜里有头发，服务员态度恶劣", "general_intake", None),
    ],
    ids=[
        "merchant-named",
        "market-alias-named",
        "traditional",
        "market-as-said",
        "market-in-cantonese",
        "market-typed-by-sound",
        "nothing-named",
        "not-measurement",
    ],
)
async def test_a_message_without_a_code_is_routed_by_the_names_in_it(
    client: Client, engine: AsyncEngine, text: str, queue: str, station: str | None
) -> None:
    status, body = await post(client, text=text, contact=CONTACT)
    assert status == 201
    assert body["station"] == station
    [stored] = await rows(engine, "complaint")
    assert stored["queue"] == queue


async def test_the_same_message_sent_twice_is_one_case(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    first_status, first = await post(client, text=SHORT_WEIGHT, code=codes["valid"], contact=CONTACT)
    again_status, again = await post(
        client, text=f"  {SHORT_WEIGHT}\n", code=codes["valid"], contact={"phone": "+86 13800138000"}
    )
    assert (first_status, again_status) == (201, 200)
    assert again["duplicate"] is True
    assert (again["ref"], again["token"]) == (first["ref"], first["token"])
    assert len(await rows(engine, "complaint")) == 1
    events = await rows(engine, "complaintevent", "WHERE public = true")
    assert [event["action"] for event in events] == ["received", "duplicate_received"]
    # Someone else with the same words is a second case.
    other_status, other = await post(client, text=SHORT_WEIGHT, code=codes["valid"], contact={"phone": "13900000000"})
    assert (other_status, other["ref"]) == (201, "JL20261123-0002")


async def test_three_complaints_about_one_merchant_raise_a_hotspot(
    client: Client, engine: AsyncEngine, codes: dict[str, str]
) -> None:
    for n in range(2):
        await post(
            client, text=f"{SHORT_WEIGHT}，第{n + 1}个人", code=codes["valid"], contact={"phone": f"1390000000{n}"}
        )
    assert await rows(engine, "hotspot") == []
    await post(client, text="菜市场卖菜的秤短斤少两，少了一斤多，要求退款", code=codes["valid"], contact=CONTACT)
    [hotspot] = await rows(engine, "hotspot")
    assert hotspot["complaint_count"] == 3
    assert hotspot["instrument_id"] is not None  # all three named the same scale: inspect that one
    await post(client, text="又是这家，少了半斤，要求退钱", code=codes["expired"], contact={"phone": "13700000000"})
    [hotspot] = await rows(engine, "hotspot")
    assert hotspot["complaint_count"] == 4
    assert hotspot["instrument_id"] is None


async def test_a_deadline_in_a_year_without_a_holiday_schedule_is_marked_approximate_until_one_is_imported(
    aiohttp_client: Any, settings: Any, engine: AsyncEngine
) -> None:
    late_december = datetime(2026, 12, 28, 10, 0, tzinfo=ZONE)  # 7 working days reach into 2027
    client = await aiohttp_client(create_app(settings, clock=lambda: late_december))
    status, body = await post(client, text=SHORT_WEIGHT, contact=CONTACT)
    assert (status, body["deadline_approximate"]) == (201, True)
    page = await (await client.get(f"/c/{body['ref']}", params={"token": body["token"]})).text()
    assert "这一年的法定节假日安排尚未导入" in page

    schedule = SCHEDULE_2027.read_text(encoding="utf-8")
    async with engine.begin() as connection:
        await import_schedule(connection, schedule)
    client = await aiohttp_client(create_app(settings, clock=lambda: late_december))
    status, body = await post(client, text=f"{SHORT_WEIGHT}！", contact=CONTACT)
    assert (status, body["deadline_approximate"]) == (201, False)


def test_a_name_is_shortened_as_people_say_it_only_where_that_tells_one_place() -> None:
    def market(place_id: int) -> Place:
        return Place(PlaceKind.market, place_id, 1, place_id)

    names = [("南门农贸市场", market(1)), ("东门农贸市场", market(2)), ("东门水产市场", market(3)),
             ("西湖市场", market(4)), ("西湖海鲜市场", market(5)),
             ("鼓楼石化加油站", Place(PlaceKind.merchant, 6, 1, None)),
             ("张记店", Place(PlaceKind.merchant, 7, 1, 1))]  # fmt: skip
    assert {name for name, _ in short_names(names)} == {"南门市场", "鼓楼石化"}


def test_a_markets_kind_as_people_also_write_it_is_found_and_never_rewrites_other_names() -> None:
    def market(place_id: int) -> Place:
        return Place(PlaceKind.market, place_id, 1, place_id)

    names = [("南门农贸市场", market(1)), ("南门菜场", market(1)), ("东街菜市场", market(2)), ("东街市场", market(2)),
             ("西门菜场", market(3)), ("西门市场", market(4))]  # fmt: skip
    index = NameIndex(names + spoken_kinds(names))

    def found(text: str) -> list[str]:
        return [name for name, _ in index.find(text)]

    assert found("我喺南门街市买猪肉 唔够秤") == ["南门街市"]  # 街市: a market, in Cantonese
    assert found("南门菜厂买肉少了2俩") == ["南门菜厂"]  # 菜场 typed by its sound
    assert found("东街市场买的鱼") == ["东街市场"]  # the 街市 inside 东街市场 is no market word
    assert found("西门街市") == []  # 西门菜场 and 西门市场 are two markets: neither is guessed


def test_a_market_named_in_latin_letters_is_found_where_its_pinyin_tells_one_market() -> None:
    def market(place_id: int) -> Place:
        return Place(PlaceKind.market, place_id, 1, place_id)

    names = [("南门农贸市场", market(1)), ("南门菜场", market(1)), ("东街菜市场", market(2)), ("东街市场", market(2)),
             ("西湖水产市场", market(3)), ("东门农贸市场", market(4)), ("东门水产市场", market(5)),
             ("南门水果店", Place(PlaceKind.merchant, 6, 1, 1))]  # fmt: skip
    index = NameIndex(names)

    def found(text: str) -> list[str]:
        return [name for name, _ in index.find(text)]

    assert found("bought pork at Nanmen market, 200g short") == ["南门农贸市场"]  # the registered name, not an alias
    assert found("the dong jie wet market fish stall") == ["东街菜市场"]
    assert found("Xihu seafood market") == ["西湖水产市场"]
    assert found("dongmen market") == []  # two markets' names read so: neither is guessed
    assert found("I went to the market") == []
    assert found("nanmen fruit shop") == []  # merchants are not read in Latin letters


async def test_an_english_complaint_naming_a_market_in_pinyin_reaches_its_station(
    client: Client,
    codes: dict[str, str],  # codes: the registry, with 南门农贸市场
) -> None:
    text = "bought hairtail at Nanmen farmers market this morning, paid 60 yuan for 2 jin, only got 1.6 jin"
    status, body = await post(client, text=text, contact=CONTACT, channel="web")
    assert status == 201
    assert body["station"] == "南门市场监管所"
