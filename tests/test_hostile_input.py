"""Hostile requests over the real app, on SQLite and PostgreSQL: none of them is a server error, each is refused
or taken the way a person would expect.

Deeply nested or otherwise unreadable JSON on every JSON route; control and bidirectional-override characters in
names on every channel; NUL in a reference; ids past the database's integer range; a sign-in link that would send
the fresh session to another site; and a resend that brings a photo and a phone number the case lacked.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import FormData
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import SOUTH, add_staff, csrf_of, sign_in, token_for, two_stations
from tests.support import code_of
from tests.telegram_support import SECRET, STORY, Shopper, jpeg
from web.auth.models import StaffRole
from web.views.bots.telegram import PATH, SECRET_HEADER

Client = TestClient[Any, Any]
TEXT = "张记水产的秤不准，称的鱼少了二两，要求退钱"
JSON = {"Content-Type": "application/json"}
# Each would leave this site once a browser or a URL parser has read it.
ELSEWHERE = ("/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/", "/\\evil.example/", "//evil.example/",
             "https://evil.example/", "/ /evil.example/", "/\u3000/evil.example/")  # fmt: skip
UNREADABLE_BODIES = {
    "100,000 open brackets": b"[" * 100_000,
    "100,000 nested objects": b'{"a":' * 100_000,
    "nested deeper than any body of ours": b'{"text": ' + b"[" * 50 + b"]" * 50 + b"}",
    "NaN": b'{"text": NaN}',
    "a number past a double": b'{"text": "x", "refund_yuan": 1e400}',
    "a lone surrogate": b'{"text": "\\ud800"}',
    "not UTF-8": b'{"text": "\xff\xfe"}',
}


async def one(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(sa.text(sql))).scalar_one()


def assert_problem(body: dict[str, Any], status: int) -> None:
    assert set(body) == {"error", "status", "message", "message_zh", "field"}
    assert body["status"] == status


@pytest.fixture
async def district(engine: AsyncEngine, bot: Client) -> dict[str, Any]:
    """Two stations, their staff, a case at 南门; `bot` is the app with the Telegram webhook on."""
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "admin", StaffRole.admin)
    await add_staff(engine, "boss", StaffRole.supervisor)
    created = await bot.post("/api/v1/complaints", json={"text": TEXT, "contact": {"phone": "13800138000"}})
    assert created.status == 201
    return {
        "ref": (await created.json())["ref"],
        "code": await code_of(engine, "N-1"),
        "south": {"Authorization": f"Bearer {await token_for(engine, 'south')}"},
        "admin": {"Authorization": f"Bearer {await token_for(engine, 'admin')}"},
        "boss": {"Authorization": f"Bearer {await token_for(engine, 'boss')}"},
    }


async def test_unreadable_json_is_a_400_on_every_json_route(
    bot: Client, district: dict[str, Any], engine: AsyncEngine
) -> None:
    for what, body in UNREADABLE_BODIES.items():
        complaint = await bot.post("/api/v1/complaints", data=body, headers=JSON)
        assert complaint.status == 400, what
        assert_problem(await complaint.json(), 400)
        action = await bot.post(f"/api/v1/queue/{district['ref']}/actions", data=body, headers=JSON | district["south"])
        assert action.status == 400, what
        assert_problem(await action.json(), 400)
        update = await bot.post(PATH, data=body, headers=JSON | {SECRET_HEADER: SECRET})
        assert update.status == 400, what
        assert (await update.json())["error"] == "malformed_update"
    assert await one(engine, "SELECT count(*) FROM complaint") == 1
    assert await one(engine, "SELECT count(*) FROM complaintevent WHERE actor_role != 'system'") == 0


async def test_names_lose_control_and_override_characters_on_every_channel(
    bot: Client, district: dict[str, Any], engine: AsyncEngine, fake: Any
) -> None:
    api = await bot.post(
        "/api/v1/complaints",
        json={
            "text": "李记鲜肉\u0000的秤不准，少了\u202e二两",
            "contact": {"name": "王\u0000五\u202e", "phone": "13900000001"},
        },
    )
    assert api.status == 201, await api.text()
    form = await bot.post(
        "/complain",
        data={"text": "李记鲜肉的秤不准，少了三两，要求退钱", "name": "\u2066赵\u0000六\u2069", "phone": "13900000002"},
        allow_redirects=False,
    )
    assert form.status == 303, await form.text()
    shopper = Shopper(bot, fake)
    await shopper.say(STORY)
    await shopper.tap("done")
    for _ in ("where", "when", "amounts", "photos"):
        await shopper.tap("skip")
    await shopper.say("钱\u0000七\u202e")
    await shopper.say("13900000003")
    receipt = await shopper.tap("submit")
    assert "已收到，编号 " in receipt, receipt
    async with engine.connect() as connection:
        result = await connection.execute(sa.text("SELECT phone, name FROM complaintcontact WHERE phone LIKE '139%'"))
        stored = dict(result.all())
        words = (await connection.execute(sa.text("SELECT text FROM complaint WHERE text LIKE '李记鲜肉的%'"))).scalar()
    assert stored == {"13900000001": "王五", "13900000002": "赵六", "13900000003": "钱七"}
    assert words == "李记鲜肉的秤不准，少了二两"
    page = await (await bot.get(f"/api/v1/queue/{(await api.json())['ref']}", headers=district["boss"])).json()
    assert page["contact"]["name"] == "王五"


async def test_a_reference_with_a_nul_is_not_found(bot: Client, district: dict[str, Any]) -> None:
    for path in (
        "/api/v1/complaints/%00?token=a",
        "/c/%00?token=abc",
        "/open311/v2/requests/%00.json",
        "/api/v1/queue/%00",
        "/queue/%00",
        "/queue/JL20261123-0001%00",
        "/queue/%00/photos/1",
    ):
        response = await bot.get(path, headers=district["south"])
        assert response.status == 404, path
    rated = await bot.post("/c/%00/rate?token=abc", data={"rating": "5"})
    assert rated.status == 404
    note = {"action": "note", "note": "x"}
    actions = await bot.post("/api/v1/queue/%00/actions", json=note, headers=district["south"])
    assert actions.status == 404
    listed = await bot.get("/open311/v2/requests.json", params={"service_request_id": "JL20261123-0001,\x00"})
    assert listed.status == 400


async def test_an_id_past_the_databases_integer_range_is_not_found(
    bot: Client, district: dict[str, Any], engine: AsyncEngine
) -> None:
    ref, south, admin = district["ref"], district["south"], district["admin"]
    for number in ("99999999999999999999", "2147483648", "²", "٣", "-1", "0"):
        assert (await bot.get(f"/queue/{ref}/photos/{number}", headers=south)).status == 404
        assert (await bot.get(f"/m/{number}")).status == 404
        assert (await bot.get(f"/merchant/{number}")).status == 404
        assert (await bot.post(f"/admin/users/{number}/active", data={"active": "yes"}, headers=admin)).status == 404
    far = {"action": "reroute", "station_id": 99999999999999999999}
    rerouted = await bot.post(f"/api/v1/queue/{ref}/actions", json=far, headers=south)
    assert rerouted.status == 422
    assert_problem(await rerouted.json(), 422)
    form = await bot.post(
        f"/queue/{ref}/actions", data={"action": "reroute", "station_id": "99999999999999999999"}, headers=south
    )
    assert form.status == 422
    money = await bot.post(
        f"/queue/{ref}/actions", data={"action": "note", "note": "²", "refund_yuan": "9" * 400}, headers=south
    )
    assert money.status == 200
    assert await one(engine, "SELECT station_id FROM complaint") == await one(
        engine, f"SELECT id FROM station WHERE name = '{SOUTH}'"
    )


async def test_signing_in_never_sends_the_session_to_another_site(bot: Client, district: dict[str, Any]) -> None:
    for target in ELSEWHERE:
        page = await bot.get("/login", params={"next": target})
        assert 'name="next" value="/queue"' in await page.text(), repr(target)
        form = await (await bot.get("/login")).text()
        signed_in = await bot.post(
            "/login",
            data={"username": "south", "password": "correct horse battery", "csrf": csrf_of(form), "next": target},
            allow_redirects=False,
        )
        assert signed_in.status == 303
        assert signed_in.headers["Location"] == "/queue", repr(target)


async def test_signing_in_still_returns_to_the_page_asked_for(bot: Client, district: dict[str, Any]) -> None:
    asked = f"/queue/{district['ref']}"
    assert (await bot.get(asked, allow_redirects=False)).headers["Location"] == f"/login?next={asked}"
    form = await (await bot.get("/login", params={"next": asked})).text()
    assert f'name="next" value="{asked}"' in form
    response = await sign_in(bot, "south")
    assert response.status == 303


def _photo_form(text: str, phone: str, *, name: str = "", consent: bool = False, photo: bytes | None) -> FormData:
    form = FormData()
    for field, value in (("text", text), ("phone", phone), ("name", name)):
        form.add_field(field, value)
    if consent:
        form.add_field("consent", "yes")
    if photo is not None:
        form.add_field("photos", io.BytesIO(photo), filename="IMG_1.jpg", content_type="image/jpeg")
    return form


async def test_a_resend_brings_its_photo_and_the_contact_the_case_lacked(
    bot: Client, district: dict[str, Any], engine: AsyncEngine
) -> None:
    words = "李记鲜肉的秤不准，称的肉少了二两，要求退钱"
    first = await bot.post("/complain", data=_photo_form(words, "13700000000", photo=None), allow_redirects=False)
    assert first.status == 303
    again = await bot.post(
        "/complain",
        data=_photo_form(words, "13700000000", name="孙八", consent=True, photo=jpeg("red")),
        allow_redirects=False,
    )
    assert again.status == 303
    assert again.headers["Location"] == first.headers["Location"]  # the same case, the same link
    ref = re.search(r"/c/(JL[0-9-]+)", first.headers["Location"])
    assert ref is not None
    once_more = await bot.post(
        "/complain", data=_photo_form(words, "13700000000", photo=jpeg("red")), allow_redirects=False
    )
    assert once_more.headers["Location"] == first.headers["Location"]
    case = await (await bot.get(f"/api/v1/queue/{ref[1]}", headers=district["boss"])).json()
    assert case["photos"] == 1  # the photo is kept once, however often it is sent
    assert case["contact"] == {"name": "孙八", "phone": "13700000000", "consent": True}
    resent = [event for event in case["events"] if event["action"] == "duplicate_received"]
    assert [event["facts"] for event in resent] == [
        {"channel": "web", "photos": 1, "contact_added": ["name", "consent"]},
        {"channel": "web"},
    ]
    status = await bot.get(first.headers["Location"])
    assert status.status == 200
    token = first.headers["Location"].split("token=")[1]
    public = await (await bot.get(f"/api/v1/complaints/{ref[1]}", params={"token": token})).json()
    assert public["photos"] == 1
    assert public["missing"] == []


async def test_a_body_that_cannot_be_read_and_dates_at_the_calendars_ends_are_refused(
    bot: Client, district: dict[str, Any]
) -> None:
    broken_gzip = {"Content-Encoding": "gzip", "Connection": "close"}
    unreadable = await bot.post("/api/v1/complaints", data=b"not gzip at all", headers=JSON | broken_gzip)
    assert unreadable.status == 400
    assert (await unreadable.json())["error"] == "unreadable_body"
    no_boundary = await bot.post("/complain", data=b"text=x", headers={"Content-Type": "multipart/form-data"})
    assert no_boundary.status == 400
    assert "表单数据不完整" in await no_boundary.text()
    for day in ("0001-01-01", "9999-12-31"):
        queue = await bot.get("/api/v1/queue", params={"from": day, "to": day}, headers=district["boss"])
        assert queue.status == 400
        assert (await queue.json())["field"] == "from"
        moment = f"{day}T00:00:00+08:00"
        for name in ("start_date", "end_date"):
            assert (await bot.get("/open311/v2/requests.json", params={name: moment})).status == 400
        assert (await bot.get("/open-data/cases-daily.csv", params={"from": day, "to": day})).status == 400
        corrections = await bot.get("/reports/corrections.jsonl", params={"from": day}, headers=district["boss"])
        assert corrections.status == 400
