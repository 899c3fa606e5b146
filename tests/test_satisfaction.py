"""The consumer rates their closed case from the status page: once, 1 to 5, with an optional short comment, with
the token of their link as the only credential."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import html5lib
import jinja2
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.workflow import CaseStatus, Intent
from tests.staff_support import SOUTH, add_staff, token_for, two_stations
from web.auth.models import StaffRole
from web.i18n import load_catalogues
from web.render.pages import TEMPLATES

Client = TestClient[Any, Any]
TEXT = "张记水产的秤不准，称的鱼少了二两，要求退钱"
# Until the lead includes rating_form.html in case.html, a refusal shows the status page without the form.
FORM_ON_STATUS_PAGE = "rating_form.html" in (TEMPLATES / "case.html").read_text(encoding="utf-8")


@pytest.fixture
async def case(engine: AsyncEngine, client: Client) -> dict[str, Any]:
    """A complaint at 南门 whose consumer agreed to be contacted by SMS, and a handler's API token."""
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    body = {"text": TEXT, "contact": {"name": "王芳", "phone": "13800138000"}, "consent": True}
    created = await (await client.post("/api/v1/complaints", json=body)).json()
    assert created["station"] == SOUTH
    headers = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    return {"ref": created["ref"], "token": created["token"], "headers": headers}


async def work_to_closed(client: Client, case: dict[str, Any]) -> None:
    url = f"/api/v1/queue/{case['ref']}/actions"
    for action in ({"action": "accept"}, {"action": "start_mediation"}, {"action": "resolve", "outcome": "refund"}):
        assert (await client.post(url, json=action, headers=case["headers"])).status == 200
    closed = await client.post(url, json={"action": "close"}, headers=case["headers"])
    assert (await closed.json())["status"] == "closed"


async def rate(client: Client, case: dict[str, Any], token: str | None = None, **fields: str) -> Any:
    return await client.post(
        f"/c/{case['ref']}/rate",
        params={"token": case["token"] if token is None else token},
        data=fields,
        allow_redirects=False,
    )


async def stored(engine: AsyncEngine) -> tuple[Any, ...]:
    async with engine.connect() as connection:
        row = (await connection.execute(sa.text("SELECT satisfaction, satisfaction_comment FROM complaint"))).one()
    return tuple(row)


async def test_a_closed_case_is_rated_once(client: Client, engine: AsyncEngine, case: dict[str, Any]) -> None:
    early = await rate(client, case, rating="5")
    assert early.status == 409
    page = await early.text()
    html5lib.HTMLParser(strict=True).parse(page)  # the status page again
    assert case["ref"] in page
    assert await stored(engine) == (None, "")

    await work_to_closed(client, case)
    async with engine.connect() as connection:
        kinds = [k for (k,) in await connection.execute(sa.text("SELECT kind FROM outbox ORDER BY id"))]
    assert kinds[-1] == "close"  # the notice that carries the link to rate (see the report to the lead)

    rated = await rate(client, case, rating="4", comment="  处理很快，谢谢\x00 ")
    assert rated.status == 303
    assert rated.headers["Location"] == f"/c/{case['ref']}?token={case['token']}#rate"
    assert await stored(engine) == (4, "处理很快，谢谢")
    async with engine.connect() as connection:
        event = (
            await connection.execute(
                sa.text("SELECT action, public, facts, from_status, to_status FROM complaintevent ORDER BY id DESC")
            )
        ).first()
    assert event is not None
    facts = event.facts if isinstance(event.facts, dict) else json.loads(event.facts)
    assert (event.action, bool(event.public), facts) == ("rated", False, {"rating": 4})
    assert (event.from_status, event.to_status) == ("closed", "closed")
    status = await client.get(f"/c/{case['ref']}", params={"token": case["token"]})
    assert status.status == 200
    public = await (await client.get(f"/api/v1/complaints/{case['ref']}", params={"token": case["token"]})).json()
    assert "rated" not in [e["action"] for e in public["events"]]  # the consumer's timeline is not about them

    again = await rate(client, case, rating="1", comment="改主意了")
    assert again.status == 409
    if FORM_ON_STATUS_PAGE:
        assert "已经评价过" in await again.text()
    assert await stored(engine) == (4, "处理很快，谢谢")


async def test_a_wrong_or_missing_token_or_unknown_reference_answers_404(
    client: Client, engine: AsyncEngine, case: dict[str, Any]
) -> None:
    await work_to_closed(client, case)
    assert (await rate(client, case, token="wrong-token-wrong-token", rating="5")).status == 404
    assert (await rate(client, case, token="", rating="5")).status == 404
    assert (await rate(client, case, token="x" * 65, rating="5")).status == 404
    unknown = await client.post("/c/JL20991231-0001/rate", params={"token": case["token"]}, data={"rating": "5"})
    assert unknown.status == 404
    assert await stored(engine) == (None, "")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rating": "0"}, "请选择 1 到 5 分"),
        ({"rating": "6"}, "请选择 1 到 5 分"),
        ({"rating": "-1"}, "请选择 1 到 5 分"),
        ({"rating": "4.5"}, "请选择 1 到 5 分"),
        ({"rating": "５"}, "请选择 1 到 5 分"),  # a full-width digit is not taken as 5
        ({}, "请选择 1 到 5 分"),
        ({"rating": "5", "comment": "好" * 501}, "请控制在 500 字以内"),
    ],
)
async def test_bad_ratings_and_long_comments_are_refused(
    client: Client, engine: AsyncEngine, case: dict[str, Any], fields: dict[str, str], message: str
) -> None:
    await work_to_closed(client, case)
    refused = await rate(client, case, **fields)
    assert refused.status == 400
    page = await refused.text()
    html5lib.HTMLParser(strict=True).parse(page)
    if FORM_ON_STATUS_PAGE:
        assert message in page
    assert await stored(engine) == (None, "")
    fine = await rate(client, case, rating="5", comment="好" * 500)
    assert fine.status == 303
    assert await stored(engine) == (5, "好" * 500)


def render_form(**context: Any) -> str:
    """The snippet inside a minimal page, as case.html will include it."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    page = env.from_string(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><main>{% include "rating_form.html" %}</main></body></html>'
    )
    return page.render(t=load_catalogues()["zh"], **context)


def public_case(status: CaseStatus) -> SimpleNamespace:
    """What the snippet reads of a PublicCase."""
    return SimpleNamespace(ref="JL20261123-0001", intent=Intent.complaint, status=status)


def test_the_rating_form_snippet_asks_thanks_or_stays_silent() -> None:
    rate_url = "/c/JL20261123-0001/rate?token=abc"
    common: dict[str, Any] = {"rate_url": rate_url, "rating_error": None, "rating_values": {}}
    asking = render_form(case=public_case(CaseStatus.closed), satisfaction=None, **common)
    html5lib.HTMLParser(strict=True).parse(asking)
    assert f'action="{rate_url}"' in asking
    assert asking.count('type="radio" name="rating"') == 5
    assert 'id="rate"' in asking  # the notice's link ends in #rate
    thanked = render_form(case=public_case(CaseStatus.closed), satisfaction=4, **common)
    assert "4 分" in thanked
    assert "<form" not in thanked
    silent = render_form(case=public_case(CaseStatus.mediating), satisfaction=None, **common)
    assert "rate" not in silent.split("<main>")[1]
    again = render_form(
        case=public_case(CaseStatus.closed),
        satisfaction=None,
        rate_url=rate_url,
        rating_error="rating.error.comment_too_long",
        rating_values={"rating": "3", "comment": "<b>太慢</b>"},
    )
    html5lib.HTMLParser(strict=True).parse(again)
    assert "请控制在 500 字以内" in again
    assert 'value="3" required checked' in again
    assert "&lt;b&gt;太慢&lt;/b&gt;" in again
