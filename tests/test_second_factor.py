"""The staff second factor over the real app, on SQLite and PostgreSQL: enrolment with a QR code, sign-in with a
code an authenticator app (pyotp here) computes, wrong and replayed codes, one-time recovery codes, a role that
must enrol, and an administrator's reset."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import datetime, timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
import zxingcpp
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import PASSWORD, SOUTH, add_staff, csrf_of, sign_in, two_stations
from tests.support import NOW
from web.app import create_app
from web.auth.access import SESSION_COOKIE
from web.auth.models import StaffRole
from web.auth.second_factor import confirm_enrolment, pending_secret
from web.auth.throttle import MAX_FAILURES_PER_PAIR
from web.cli.demo import seed_demo_district
from web.cli.main import main
from web.db import create_engine, for_writing
from web.settings import Settings

Client = TestClient[Any, Any]


class Clock:
    """The app's clock, moved on by the test (a TOTP code belongs to a 30-second step)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: int = 30) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def moving() -> Clock:
    return Clock()


@pytest.fixture
async def staffed(engine: AsyncEngine) -> None:
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "root", StaffRole.admin)
    await add_staff(engine, "boss", StaffRole.supervisor)


async def browser(aiohttp_client: Any, settings: Settings, clock: Clock) -> Client:
    client: Client = await aiohttp_client(create_app(settings, clock=clock))
    return client


async def enrol(client: Client, clock: Clock) -> tuple[str, list[str]]:
    """Enrol the signed-in account as its owner would: read the secret off the page, confirm with a code.
    Returns (secret, recovery codes)."""
    page = await (await client.get("/account/second-factor")).text()
    assert '<svg role="img"' in page  # the QR code, drawn on the server
    secret = re.search(r"<code>([A-Z2-7 ]{16,})</code>", page)
    assert secret is not None
    key = secret.group(1).replace(" ", "")
    shown = await client.post(
        "/account/second-factor", data={"csrf": csrf_of(page), "code": pyotp.TOTP(key).at(clock.now)}
    )
    assert shown.status == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", await shown.text())
    assert len(codes) == 10
    return key, codes


async def sign_out(client: Client) -> None:
    page = await (await client.get("/account/second-factor")).text()
    assert (await client.post("/logout", data={"csrf": csrf_of(page)}, allow_redirects=False)).status == 303


async def give_code(client: Client, password_step: Any, code: str) -> Any:
    page = await password_step.text()
    assert 'action="/login/code"' in page
    found = re.search(r'name="next" value="([^"]*)"', page)
    assert found is not None
    form = {"csrf": csrf_of(page), "code": code, "next": html.unescape(found.group(1))}  # every field, as a browser
    return await client.post("/login/code", data=form, allow_redirects=False)


def scanned(page: str) -> str:
    """What a phone reads from the page's QR code: its SVG drawn module by module, then decoded by zxing-cpp."""
    found = re.search(r'<svg[^>]*width="(\d+)".*?class="qrline"[^>]* d="([^"]+)"', page, re.DOTALL)
    assert found is not None, "no QR code on the page"
    size = int(found.group(1)) // 4
    image = Image.new("L", (size, size), 255)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", found.group(2)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(int(x), int(x + float(a))):
                image.putpixel((column, int(y)), 0)
            x += float(a)
    decoded = zxingcpp.read_barcodes(image.resize((size * 8, size * 8), Image.Resampling.NEAREST))
    assert len(decoded) == 1
    return str(decoded[0].text)


async def test_the_qr_code_carries_the_secret_an_authenticator_app_needs(client: Client, staffed: None) -> None:
    await sign_in(client, "south")
    page = await (await client.get("/account/second-factor")).text()
    secret = re.search(r"<code>([A-Z2-7 ]{16,})</code>", page)
    assert secret is not None
    uri = scanned(page)
    assert uri.startswith("otpauth://totp/")
    assert pyotp.parse_uri(uri).secret == secret.group(1).replace(" ", "")
    assert pyotp.parse_uri(uri).name == "south"
    assert page == await (await client.get("/account/second-factor")).text(), "a reload shows the same secret"


async def _reasons(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return [r for (r,) in await connection.execute(sa.text("SELECT reason FROM login_attempt ORDER BY id"))]


async def test_a_handler_enrols_then_signs_in_with_a_code_and_a_wrong_or_replayed_one_is_refused(
    aiohttp_client: Any, settings: Settings, moving: Clock, engine: AsyncEngine, staffed: None
) -> None:
    client = await browser(aiohttp_client, settings, moving)
    assert (await sign_in(client, "south")).status == 303
    page = await (await client.get("/account/second-factor")).text()
    wrong = await client.post("/account/second-factor", data={"csrf": csrf_of(page), "code": "12345"})
    assert wrong.status == 400
    assert "验证码不对" in await wrong.text()
    secret, _ = await enrol(client, moving)
    assert "两步验证已于" in await (await client.get("/account/second-factor")).text()
    await sign_out(client)

    password_step = await sign_in(client, "south")
    assert password_step.status == 200  # the password alone opens no session
    assert SESSION_COOKIE not in password_step.cookies
    assert (await client.get("/queue", allow_redirects=False)).status == 303
    totp = pyotp.TOTP(secret)
    wrong_code = "000000" if totp.at(moving.now) != "000000" else "111111"
    refused = await give_code(client, password_step, wrong_code)
    assert refused.status == 401
    assert "验证码不对" in await refused.text()
    replayed = await give_code(client, refused, totp.at(moving.now))
    assert replayed.status == 401, "the code taken at enrolment is not taken twice"
    moving.tick()
    accepted = await give_code(client, replayed, totp.at(moving.now))
    assert accepted.status == 303
    assert accepted.headers["Location"] == "/queue"
    assert (await client.get("/queue")).status == 200
    reasons = await _reasons(engine)
    assert reasons[-4:] == ["second_factor", "bad_code", "bad_code", "code_ok"]
    assert "factor_enrolled" in reasons


async def test_a_recovery_code_works_once(
    aiohttp_client: Any, settings: Settings, moving: Clock, staffed: None
) -> None:
    client = await browser(aiohttp_client, settings, moving)
    await sign_in(client, "south")
    _, codes = await enrol(client, moving)
    await sign_out(client)
    assert (await give_code(client, await sign_in(client, "south"), codes[0])).status == 303
    await sign_out(client)
    again = await give_code(client, await sign_in(client, "south"), codes[0])
    assert again.status == 401
    typed = codes[1].upper().replace("-", " ")  # as someone might type it off paper
    assert (await give_code(client, again, typed)).status == 303
    page = await (await client.get("/account/second-factor")).text()
    assert "还剩 8 个未用的恢复码" in page
    renewed = await client.post("/account/second-factor/recovery-codes", data={"csrf": csrf_of(page)})
    fresh = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", await renewed.text())
    assert len(fresh) == 10
    await sign_out(client)
    assert (await give_code(client, await sign_in(client, "south"), codes[2])).status == 401  # the old ones are void
    assert (await give_code(client, await sign_in(client, "south"), fresh[0])).status == 303


async def test_wrong_codes_are_throttled_like_wrong_passwords(
    aiohttp_client: Any, settings: Settings, moving: Clock, staffed: None
) -> None:
    client = await browser(aiohttp_client, settings, moving)
    await sign_in(client, "south")
    secret, _ = await enrol(client, moving)
    await sign_out(client)
    moving.tick()
    step = await sign_in(client, "south")
    right = pyotp.TOTP(secret).at(moving.now)
    for _ in range(MAX_FAILURES_PER_PAIR):
        step = await give_code(client, step, "999999" if right != "999999" else "888888")
        assert step.status == 401
    throttled = await give_code(client, step, right)
    assert throttled.status == 429
    assert int(throttled.headers["Retry-After"]) == 15 * 60


async def test_the_code_step_needs_the_password_step_first(client: Client, staffed: None) -> None:
    form = await (await client.get("/login")).text()
    response = await client.post("/login/code", data={"csrf": csrf_of(form), "code": "123456"})
    assert response.status == 403
    assert "登录已过期" in await response.text()


async def test_a_role_that_must_enrol_is_sent_to_enrol_before_anything_else(
    aiohttp_client: Any, settings: Settings, moving: Clock, staffed: None
) -> None:
    required = settings.model_copy(update={"fairweigh_second_factor_roles": "admin"})
    admin = await browser(aiohttp_client, required, moving)
    assert (await sign_in(admin, "root")).status == 303
    sent = await admin.get("/admin/users", allow_redirects=False)
    assert sent.status == 303
    assert sent.headers["Location"] == "/account/second-factor"
    assert "您的角色必须设置两步验证" in await (await admin.get("/account/second-factor")).text()
    await enrol(admin, moving)
    assert (await admin.get("/admin/users")).status == 200
    handler = await browser(aiohttp_client, required, moving)
    assert (await sign_in(handler, "south")).status == 303
    assert (await handler.get("/queue")).status == 200  # handlers are not required to


async def test_the_browser_api_of_a_role_that_must_enrol_is_closed_until_it_has(
    aiohttp_client: Any, settings: Settings, moving: Clock, staffed: None
) -> None:
    required = settings.model_copy(update={"fairweigh_second_factor_roles": "admin,supervisor"})
    boss = await browser(aiohttp_client, required, moving)
    assert (await sign_in(boss, "boss")).status == 303
    refused = await boss.get("/api/v1/queue")
    assert refused.status == 403
    assert (await refused.json())["error"] == "second_factor_required"
    await enrol(boss, moving)
    assert (await boss.get("/api/v1/queue")).status == 200


async def test_where_to_go_after_signing_in_survives_the_code_step_and_stays_on_this_site(
    aiohttp_client: Any, settings: Settings, moving: Clock, staffed: None
) -> None:
    client = await browser(aiohttp_client, settings, moving)
    await sign_in(client, "south")
    secret, _ = await enrol(client, moving)
    await sign_out(client)
    for wanted, landing in (("/hotspots", "/hotspots"), ("/\t/evil.example/", "/queue"), ("//evil.example", "/queue")):
        moving.tick()
        form = await (await client.get("/login", params={"next": wanted})).text()
        step = await client.post(
            "/login",
            data={"username": "south", "password": PASSWORD, "csrf": csrf_of(form), "next": wanted},
            allow_redirects=False,
        )
        done = await give_code(client, step, pyotp.TOTP(secret).at(moving.now))
        assert done.headers["Location"] == landing, wanted
        await sign_out(client)


async def test_an_administrator_resets_a_lost_factor_and_the_act_is_logged(
    aiohttp_client: Any,
    settings: Settings,
    moving: Clock,
    engine: AsyncEngine,
    staffed: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = await browser(aiohttp_client, settings, moving)
    await sign_in(handler, "south")
    await enrol(handler, moving)
    admin = await browser(aiohttp_client, settings, moving)
    await sign_in(admin, "root")
    page = await (await admin.get("/admin/users")).text()
    assert "已设置" in page
    [reset_url] = re.findall(r'action="(/admin/users/\d+/second-factor/reset)"', page)
    reset = await admin.post(reset_url, data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert reset.status == 303
    assert (await handler.get("/queue", allow_redirects=False)).status == 303  # its session has ended
    assert (await sign_in(handler, "south")).status == 303  # the password alone, until it enrols again
    async with engine.connect() as connection:
        audit = (
            await connection.execute(sa.text("SELECT username, actor FROM login_attempt WHERE reason = 'factor_reset'"))
        ).all()
    assert [tuple(row) for row in audit] == [("south", "root")]
    assert "Second factor of south reset by the administrator root" in caplog.text


def test_the_console_resets_the_factor_of_an_administrator_who_lost_everything(
    monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FAIRWEIGH_SECRET", "cli-test-secret-" + "y" * 32)

    async def enrolled_admin() -> None:
        engine = create_engine(database_url)
        await add_staff(engine, "root", StaffRole.admin)
        async with engine.begin() as connection:
            user_id = (await connection.execute(sa.text("SELECT id FROM staff_user"))).scalar_one()
            assert await confirm_enrolment(connection, user_id, "123456", now=NOW) is None  # nothing pending
            secret = await pending_secret(connection, user_id)
            assert await confirm_enrolment(connection, user_id, pyotp.TOTP(secret).at(NOW), now=NOW)
        await engine.dispose()

    async def state() -> tuple[Any, list[Any]]:
        engine = create_engine(database_url)
        async with engine.connect() as connection:
            secret = (await connection.execute(sa.text("SELECT totp_secret FROM staff_user"))).scalar_one()
            audit = (await connection.execute(sa.text("SELECT reason, actor FROM login_attempt"))).all()
        await engine.dispose()
        return secret, [tuple(row) for row in audit]

    asyncio.run(enrolled_admin())
    assert main(["users", "reset-factor", "root"]) == 0
    assert "已重置 root 的两步验证" in capsys.readouterr().out
    assert asyncio.run(state()) == (None, [("factor_reset", "console")])
    assert main(["users", "reset-factor", "nobody"]) == 2


async def test_the_demo_accounts_that_must_have_a_factor_are_enrolled_and_their_secret_is_printed(
    aiohttp_client: Any, settings: Settings, engine: AsyncEngine, moving: Clock
) -> None:
    required = settings.model_copy(update={"fairweigh_second_factor_roles": "admin,supervisor"})
    _, accounts = await seed_demo_district(for_writing(engine), required)
    printed = {username: (label, password) for username, label, password in accounts}
    assert "TOTP secret" not in printed["demo-handler"][0]
    found = re.search(r"TOTP secret ([A-Z2-7 ]{16,})", printed["demo-admin"][0])
    assert found is not None, printed["demo-admin"]
    assert re.search(r"TOTP secret", printed["demo-supervisor"][0])
    client = await browser(aiohttp_client, required, moving)
    password_step = await sign_in(client, "demo-admin", printed["demo-admin"][1])
    code = pyotp.TOTP(found.group(1).replace(" ", "")).at(moving.now)
    signed_in = await give_code(client, password_step, code)
    assert signed_in.status == 303
    assert (await client.get("/admin/users")).status == 200
