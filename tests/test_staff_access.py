"""Signing in, sessions, CSRF, tokens, throttling, and the station boundary — for every route: each staff route
declares what it reaches, and a walk of them all holds every route to it."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from argon2 import extract_parameters
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.reporting.exports import XLSX_TYPE
from tests.staff_support import (
    NORTH,
    PASSWORD,
    SOUTH,
    add_staff,
    one_of_each_in_the_south,
    sign_in,
    token_for,
    two_stations,
)
from tests.support import NOW
from web.app import create_app
from web.auth.access import SESSION_COOKIE, protection
from web.auth.accounts import DUMMY_HASH, PASSWORD_HASHER, revoke_tokens
from web.auth.models import StaffRole
from web.auth.scope import CASE_WORKERS, Reach, reach_of
from web.auth.throttle import MAX_FAILURES_PER_PAIR
from web.db import for_writing
from web.settings import Settings

Client = TestClient[Any, Any]
SHORT_WEIGHT = "张记水产的秤不准，称的鱼少了二两，要求退钱"
NORTH_TEXT = "李记鲜肉的秤不准，称的肉少了二两，要求退钱"
PUBLIC_ROUTES = {
    "/healthz",
    "/readyz",
    "/login",
    "/login/code",
    "/i/{code}",
    "/i/{code}/qr.svg",
    "/i/{code}/qr.png",
    "/api/v1/instruments/{code}",
    "/m/{market_id}",
    "/merchant/{merchant_id}",
    "/lists",
    "/index",
    "/index/{area_id}",
    "/district",
    "/monitoring/{merchant_id}/self-check",
    "/merchant-link/{token}",
    "/merchant-link/{token}/commitment",
    "/merchant-link/{token}/commitment/withdraw",
    "/merchant-link/{token}/odr/apply",
    "/merchant-link/{token}/odr/{case_id}/propose",
    "/c/{ref}/odr",
    "/open311/v2/services.json",
    "/open311/v2/requests.json",
    "/open311/v2/requests/{ref}.json",
    "/open-data/cases-daily.csv",
    "/api/v1/complaints",
    "/api/v1/openapi.json",
    "/api/v1/complaints/{ref}",
    "/complain",
    "/c/{ref}",
    "/c/{ref}/rate",
    "/c/{ref}/erasure",
    "/privacy",
    "/",
    "/find",
    "/find.json",
    "/scanner/{name}",
    "/01/{gtin}/21/{serial}",
    "/c/{ref}/contact",
}


def test_every_route_is_marked_and_only_the_public_ones_are_open(settings: Settings) -> None:
    app = create_app(settings)
    routes = {(route.method, route.resource.canonical): route.handler for route in app.router.routes()}
    assert routes, "no routes"
    for (method, path), handler in routes.items():
        if method == "HEAD":
            continue
        roles = protection(handler)
        if path in PUBLIC_ROUTES:
            assert roles is None, f"{method} {path} should be public"
        else:
            assert roles, f"{method} {path} must say which staff roles may use it"


@pytest.fixture
async def district(engine: AsyncEngine, client: Client) -> dict[str, str]:
    """Two stations with one case each, a handler at each, a supervisor; returns the refs by station."""
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "north", StaffRole.handler, NORTH)
    await add_staff(engine, "boss", StaffRole.supervisor)
    await add_staff(engine, "admin", StaffRole.admin)
    refs = {}
    for station, text in ((SOUTH, SHORT_WEIGHT), (NORTH, NORTH_TEXT)):
        response = await client.post("/api/v1/complaints", json={"text": text, "contact": {"phone": "13800138000"}})
        body = await response.json()
        assert body["station"] == station
        refs[station] = body["ref"]
    return refs


async def test_a_handler_signs_in_and_sees_only_their_stations_cases(client: Client, district: dict[str, str]) -> None:
    response = await sign_in(client, "south")
    assert response.status == 303
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    own = await client.get(f"/api/v1/queue/{district[SOUTH]}")
    assert own.status == 200
    assert (await own.json())["contact"]["phone"] == "13800138000"
    other = await client.get(f"/api/v1/queue/{district[NORTH]}")
    guessed = await client.get("/api/v1/queue/JL20261123-9999")
    assert (other.status, guessed.status) == (404, 404)
    assert await other.json() == await guessed.json()  # indistinguishable from a reference never given out


async def test_a_supervisor_sees_every_station_and_an_admin_works_no_cases(
    engine: AsyncEngine, client: Client, district: dict[str, str]
) -> None:
    boss = await token_for(engine, "boss")
    for ref in district.values():
        response = await client.get(f"/api/v1/queue/{ref}", headers={"Authorization": f"Bearer {boss}"})
        assert response.status == 200
    admin = await token_for(engine, "admin")
    response = await client.get(f"/api/v1/queue/{district[SOUTH]}", headers={"Authorization": f"Bearer {admin}"})
    assert response.status == 403


async def test_a_reporters_contact_is_shown_in_full_only_to_the_station_handling_the_report(
    engine: AsyncEngine, client: Client, district: dict[str, str]
) -> None:
    ref = district[SOUTH]
    south = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    boss = {"Authorization": f"Bearer {await token_for(engine, 'boss')}"}
    contact = (await (await client.get(f"/api/v1/queue/{ref}", headers=boss)).json())["contact"]
    assert contact["phone"] == "13800138000", "a complainant's contact: the supervisor may call back"
    facts = {"action": "reclassify", "intent": "report", "category": "tampered_instrument"}
    assert (await client.post(f"/api/v1/queue/{ref}/actions", json=facts, headers=south)).status == 200

    assert (await (await client.get(f"/api/v1/queue/{ref}", headers=south)).json())["contact"]["phone"] == "13800138000"
    assert (await (await client.get(f"/api/v1/queue/{ref}", headers=boss)).json())["contact"]["phone"] == "138****8000"
    await sign_in(client, "boss")
    page = await (await client.get(f"/queue/{ref}")).text()
    assert "138****8000" in page
    assert "13800138000" not in page
    assert "举报人信息保密" in page
    await sign_in(client, "south")
    page = await (await client.get(f"/queue/{ref}")).text()
    assert 'href="tel:13800138000"' in page
    assert "举报人信息保密" not in page


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer fw_not-a-token", "Basic c291dGg6cGFzcw==", "Token abc"]
)
async def test_the_api_without_a_valid_token_answers_401(
    client: Client, district: dict[str, str], authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get(f"/api/v1/queue/{district[SOUTH]}", headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await response.json())["error"] == "unauthenticated"


async def test_a_revoked_token_stops_working(client: Client, engine: AsyncEngine, district: dict[str, str]) -> None:
    token = await token_for(engine, "south")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get(f"/api/v1/queue/{district[SOUTH]}", headers=headers)).status == 200
    async with for_writing(engine).begin() as connection:
        assert await revoke_tokens(connection, "south", now=NOW) == 1
    assert (await client.get(f"/api/v1/queue/{district[SOUTH]}", headers=headers)).status == 401


async def test_a_browser_action_without_the_csrf_token_is_refused(client: Client, district: dict[str, str]) -> None:
    await sign_in(client, "south")
    url = f"/api/v1/queue/{district[SOUTH]}/actions"
    missing = await client.post(url, json={"action": "accept"})
    wrong = await client.post(url, json={"action": "accept"}, headers={"X-CSRF-Token": "guess"})
    assert (missing.status, wrong.status) == (403, 403)
    assert (await missing.json())["error"] == "csrf"
    case = await (await client.get(f"/api/v1/queue/{district[SOUTH]}")).json()
    assert case["status"] == "received"  # nothing happened


async def test_a_token_client_acts_without_csrf_and_gets_the_case_back(
    client: Client, engine: AsyncEngine, district: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    url = f"/api/v1/queue/{district[SOUTH]}/actions"
    accepted = await client.post(url, json={"action": "accept"}, headers=headers)
    assert accepted.status == 200
    body = await accepted.json()
    assert body["status"] == "accepted"
    assert "start_mediation" in body["allowed_actions"]
    assert body["due_on"] == body["handle_due"]  # the mediation deadline is now the one that counts
    again = await client.post(url, json={"action": "accept"}, headers=headers)
    assert again.status == 409
    incomplete = await client.post(url, json={"action": "decline", "ground": "over_three_years"}, headers=headers)
    assert incomplete.status == 409  # declining is for a case not yet accepted
    north = await client.post(f"/api/v1/queue/{district[NORTH]}/actions", json={"action": "accept"}, headers=headers)
    assert north.status == 404


async def test_signing_in_replaces_any_session_the_browser_already_had(
    client: Client, engine: AsyncEngine, district: dict[str, str]
) -> None:
    await sign_in(client, "south")
    planted = client.session.cookie_jar.filter_cookies(client.make_url("/"))[SESSION_COOKIE].value
    response = await sign_in(client, "south")
    fresh = response.cookies[SESSION_COOKIE].value
    assert fresh != planted
    async with engine.connect() as connection:
        sessions = (await connection.execute(sa.text("SELECT count(*) FROM web_session"))).scalar_one()
    assert sessions == 1  # the old one is gone, so a fixed (planted) session id is worth nothing


async def test_wrong_passwords_are_throttled_and_audited(client: Client, engine: AsyncEngine, district: Any) -> None:
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert (await sign_in(client, "south", "wrong password")).status == 401
    throttled = await sign_in(client, "south")  # even the right password waits now
    assert throttled.status == 429
    assert "15" in await throttled.text()
    async with engine.connect() as connection:
        reasons = [r for (r,) in await connection.execute(sa.text("SELECT reason FROM login_attempt ORDER BY id"))]
    assert reasons == ["bad_password"] * MAX_FAILURES_PER_PAIR + ["throttled"]


async def test_an_unknown_username_is_refused_as_a_wrong_password_is_and_costs_the_same_hashing(
    client: Client, engine: AsyncEngine, district: Any
) -> None:
    unknown, wrong = await sign_in(client, "nobody", PASSWORD), await sign_in(client, "south", "wrong password")
    said = [re.findall(r'role="alert">([^<]+)<', await response.text()) for response in (unknown, wrong)]
    assert len(said[0]) == 1
    assert said[0] == said[1]
    assert unknown.status == wrong.status == 401
    async with engine.connect() as connection:
        reasons = [r for (r,) in await connection.execute(sa.text("SELECT reason FROM login_attempt ORDER BY id"))]
    assert reasons == ["unknown_user", "bad_password"]
    # The unknown name is verified against a stored hash made with the real accounts' parameters, so the two refusals
    # take the same time and do not tell which usernames exist.
    assert extract_parameters(DUMMY_HASH) == extract_parameters(PASSWORD_HASHER.hash("any password at all"))


async def test_a_login_form_without_its_csrf_cookie_is_refused(client: Client, district: Any) -> None:
    response = await client.post(
        "/login", data={"username": "south", "password": "x", "csrf": "made-up"}, allow_redirects=False
    )
    assert response.status == 403


async def test_a_page_asks_an_anonymous_browser_to_sign_in(
    aiohttp_client: Any, settings: Settings, clock: Any, district: Any
) -> None:
    fresh: Client = await aiohttp_client(create_app(settings, clock=clock))
    response = await fresh.post("/logout", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login?next=")


async def test_a_case_is_assigned_only_to_a_colleague_who_can_work_it(
    client: Client, engine: AsyncEngine, district: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {await token_for(engine, 'south')}"}
    url = f"/api/v1/queue/{district[SOUTH]}/actions"
    for stranger in ("north", "admin", "nobody", ""):
        refused = await client.post(url, json={"action": "assign", "assignee": stranger}, headers=headers)
        assert refused.status == 422, stranger
        assert (await refused.json())["error"] in ("bad_assignee", "missing")
    assigned = await client.post(url, json={"action": "assign", "assignee": "boss"}, headers=headers)
    assert assigned.status == 200
    assert [e["facts"] for e in (await assigned.json())["events"] if e["action"] == "assign"] == [{"assignee": "boss"}]


def staff_routes(settings: Settings) -> list[tuple[str, str, Any]]:
    app = create_app(settings)
    return [
        (route.method, route.resource.canonical, route.handler)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None and protection(route.handler) is not None
    ]


def test_every_staff_route_declares_what_it_reaches(settings: Settings) -> None:
    """A route on something its path names (a case, a hotspot, a check…) finds it through the viewer's scope."""
    for method, path, handler in staff_routes(settings):
        reach, roles = reach_of(handler), protection(handler)
        assert reach is not None, f"{method} {path}: declare its reach (@staff(…, reach=…), or @in_scope)"
        if "{" in path and roles is not None and roles & set(CASE_WORKERS):
            assert reach in (Reach.path, Reach.district), f"{method} {path}: find what it names with @in_scope"


def _url(path: str, things: dict[str, str]) -> str:
    def value(found: re.Match[str]) -> str:
        assert found.group(1) in things, f"{path}: give the walk a {found.group(1)} of the south station"
        return things[found.group(1)]

    return re.sub(r"\{(\w+)\}", value, path)


OUTSIDERS = (("north", StaffRole.handler), ("volunteer", StaffRole.volunteer), ("admin", StaffRole.admin))


async def _readable(response: Any) -> str:
    body = await response.read()
    if response.content_type != XLSX_TYPE:
        return str(body.decode("utf-8"))
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    return " ".join(str(value) for row in sheet.iter_rows(values_only=True) for value in row)


async def _call(client: Client, method: str, url: str, token: str, things: dict[str, str]) -> Any:
    # A bearer token needs no CSRF token, so every route is reached with the south station's identifiers posted.
    headers = {"Authorization": f"Bearer {token}"}
    data = things if method == "POST" else None
    return await client.request(method, url, headers=headers, data=data, allow_redirects=False)


async def test_every_staff_route_keeps_the_south_stations_things_from_everyone_outside_it(
    client: Client, engine: AsyncEngine, settings: Settings
) -> None:
    """Walks every staff route with the south station's identifiers: its own handler (or the supervisor) reaches
    each named thing; a north handler gets 404 for each and no south case in any list; a volunteer and an
    administrator get 403 from every route that reads cases."""
    things = await one_of_each_in_the_south(engine, client)
    south_words = ("张记水产", things["ref"], things["code"])
    tokens = {name: await token_for(engine, name) for name in ("south", "north", "boss", "volunteer", "admin")}
    for method, path, handler in staff_routes(settings):
        url, roles, reach = _url(path, things), protection(handler), reach_of(handler)
        assert roles is not None
        if reach is Reach.path:
            owner = "south" if StaffRole.handler in roles else "boss"
            reached = await _call(client, method, url, tokens[owner], {})
            assert reached.status != 404, f"{owner} should reach {method} {url}"
        for name, role in (
            ("north", StaffRole.handler),
            ("volunteer", StaffRole.volunteer),
            ("admin", StaffRole.admin),
        ):
            if reach is Reach.none and method == "POST" and role in roles:
                continue  # the viewer's own account, users or visits: nothing of a station to refuse
            response = await _call(client, method, url, tokens[name], things)
            where = f"{name}: {method} {url}"
            if role not in roles:
                assert response.status == 403, where
            elif reach is Reach.path:
                assert response.status == 404, where
            elif reach is Reach.district:
                assert response.status == 403, where
            else:
                body = await _readable(response)
                assert response.status < 500, where
                assert not [word for word in south_words if word in body], where
                if method == "POST" and reach is Reach.scope:
                    assert response.status >= 400, where
    north = {"Authorization": f"Bearer {tokens['north']}"}
    other = await client.get(f"/queue/{things['ref']}", headers=north)
    guessed = await client.get("/queue/JL20261123-9999", headers=north)
    assert (other.status, await other.text()) == (guessed.status, await guessed.text())
