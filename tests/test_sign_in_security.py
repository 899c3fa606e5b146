"""Staff sign-in that a stranger cannot turn against a member of staff: throttling by username and by address,
known devices, administrators' unlocking — over the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.staff_support import PASSWORD, SOUTH, add_staff, csrf_of, two_stations
from web.app import create_app
from web.auth.login import DEVICE_COOKIE
from web.auth.models import StaffRole
from web.auth.throttle import (
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_DEVICE,
    MAX_FAILURES_PER_PAIR,
    MAX_FAILURES_PER_USERNAME,
)
from web.settings import Settings

Client = TestClient[Any, Any]
WINDOW_SECONDS = 15 * 60


async def attempt(client: Client, username: str, password: str = PASSWORD, **headers: str) -> Any:
    """One sign-in as a browser would make it (the form first, for its CSRF token), from the address in
    X-Forwarded-For when one is given."""
    xff = {"X-Forwarded-For": headers["address"]} if "address" in headers else {}
    extra = {"Accept-Language": headers["language"]} if "language" in headers else {}
    form = await (await client.get("/login", headers=xff | extra)).text()
    return await client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf_of(form)},
        headers=xff | extra,
        allow_redirects=False,
    )


@pytest.fixture
async def staffed(engine: AsyncEngine) -> None:
    await two_stations(engine)
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "boss", StaffRole.supervisor)
    await add_staff(engine, "root", StaffRole.admin)


@pytest.fixture
def behind_proxy(settings: Settings) -> Settings:
    """The app behind a reverse proxy on loopback: the client's address is the one the proxy appends."""
    return settings.model_copy(update={"fairweigh_trusted_proxies": "127.0.0.1/32, ::1"})


async def _reasons(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return [r for (r,) in await connection.execute(sa.text("SELECT reason FROM login_attempt ORDER BY id"))]


async def test_a_guesser_at_the_same_address_locks_new_browsers_there_but_not_a_device_that_signed_in_before(
    aiohttp_client: Any, settings: Settings, clock: Any, staffed: None
) -> None:
    def browser() -> Any:
        return aiohttp_client(create_app(settings, clock=clock))

    own: Client = await browser()
    signed_in = await attempt(own, "south")
    assert signed_in.status == 303
    assert DEVICE_COOKIE in signed_in.cookies  # this browser is now known for "south"

    stranger: Client = await browser()  # the same office network: one address
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert (await attempt(stranger, "south", "guess guess guess")).status == 401
    refused = await attempt(stranger, "south")
    assert refused.status == 429
    assert refused.headers["Retry-After"] == str(WINDOW_SECONDS)
    page = await refused.text()
    assert "尝试次数过多，请 15 分钟后再试" in page
    english = await attempt(await browser(), "south", language="en")
    assert english.status == 429
    assert "Too many attempts: try again in 15 minutes" in await english.text()

    await own.post("/logout", data={"csrf": csrf_of(await (await own.get("/queue")).text())})
    again = await attempt(own, "south")
    assert again.status == 303, "a known device signs in although others' guesses locked the username"
    assert (await own.get("/queue")).status == 200


async def test_a_known_device_is_held_to_its_own_count_and_only_for_its_own_user(
    aiohttp_client: Any, settings: Settings, clock: Any, staffed: None
) -> None:
    own: Client = await aiohttp_client(create_app(settings, clock=clock))
    assert (await attempt(own, "south")).status == 303
    # The cookie names "south": for another username this browser is a stranger like any other.
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert (await attempt(own, "boss", "guess guess guess")).status == 401
    assert (await attempt(own, "boss")).status == 429
    # Its own user's guesses from it are counted for it: a stolen cookie buys no more than this.
    for _ in range(MAX_FAILURES_PER_DEVICE):
        assert (await attempt(own, "south", "guess guess guess")).status == 401
    assert (await attempt(own, "south")).status == 429


async def test_a_stranger_elsewhere_locks_only_themself_and_guessing_from_many_addresses_spares_known_devices(
    aiohttp_client: Any, behind_proxy: Settings, clock: Any, staffed: None
) -> None:
    def browser() -> Any:
        return aiohttp_client(create_app(behind_proxy, clock=clock))

    own: Client = await browser()
    assert (await attempt(own, "south", address="198.51.100.10")).status == 303
    stranger: Client = await browser()
    for _ in range(MAX_FAILURES_PER_PAIR):
        assert (await attempt(stranger, "south", "guess guess guess", address="203.0.113.9")).status == 401
    assert (await attempt(stranger, "south", address="203.0.113.9")).status == 429
    # The handler's new phone, on another network, is not held back by one stranger's guesses.
    assert (await attempt(await browser(), "south", address="198.51.100.11")).status == 303

    for number in range(MAX_FAILURES_PER_USERNAME - MAX_FAILURES_PER_PAIR):  # spread over many addresses
        assert (await attempt(stranger, "south", "guess guess guess", address=f"192.0.2.{number}")).status == 401
    refused = await attempt(await browser(), "south", address="198.51.100.12")
    assert refused.status == 429, "now the username is locked for browsers it has not seen"
    assert int(refused.headers["Retry-After"]) == WINDOW_SECONDS
    assert (await attempt(own, "south", address="198.51.100.10")).status == 303, "a known device still signs in"
    guesser: Client = await browser()  # a known device of south's, at the guessers' address: not theirs to lock
    assert (await attempt(own, "south", address="203.0.113.9")).status == 303
    assert (await attempt(guesser, "south", address="203.0.113.9")).status == 429


async def test_an_address_that_guesses_many_usernames_is_locked_and_others_are_not(
    aiohttp_client: Any, behind_proxy: Settings, clock: Any, engine: AsyncEngine, staffed: None
) -> None:
    client: Client = await aiohttp_client(create_app(behind_proxy, clock=clock))
    guesser = "203.0.113.9"
    for number in range(MAX_FAILURES_PER_ADDRESS):
        # Each username guessed fewer times than its own limit; a forged left-hand entry is not believed.
        forged = f"198.51.100.{number}, {guesser}"
        assert (await attempt(client, f"user{number % 4}", "guess guess guess", address=forged)).status == 401
    refused = await attempt(client, "boss", address=guesser)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) == WINDOW_SECONDS
    assert (await attempt(client, "boss", address="198.51.100.77")).status == 303
    async with engine.connect() as connection:
        remotes = {r for (r,) in await connection.execute(sa.text("SELECT DISTINCT remote FROM login_attempt"))}
    assert remotes == {guesser, "198.51.100.77"}


async def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine, staffed: None
) -> None:
    client: Client = await aiohttp_client(create_app(settings, clock=clock))
    assert (await attempt(client, "south", "guess guess guess", address="203.0.113.9")).status == 401
    async with engine.connect() as connection:
        remote = (await connection.execute(sa.text("SELECT remote FROM login_attempt"))).scalar_one()
    assert remote == "127.0.0.1"


async def test_an_administrator_sees_the_locks_and_lifts_them_and_each_act_is_logged(
    aiohttp_client: Any,
    behind_proxy: Settings,
    clock: Any,
    engine: AsyncEngine,
    staffed: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def browser() -> Any:
        return aiohttp_client(create_app(behind_proxy, clock=clock))

    stranger: Client = await browser()
    guesser = "203.0.113.9"
    for number in range(MAX_FAILURES_PER_USERNAME):
        assert (await attempt(stranger, "south", "guess", address=f"192.0.2.{number % 4}")).status == 401
    for number in range(MAX_FAILURES_PER_ADDRESS):
        assert (await attempt(stranger, f"nobody{number % 10}", "guess", address=guesser)).status == 401
    assert (await attempt(await browser(), "south", address="198.51.100.2")).status == 429
    assert (await attempt(await browser(), "boss", address=guesser)).status == 429

    supervisor: Client = await browser()
    assert (await attempt(supervisor, "boss", address="198.51.100.3")).status == 303
    assert (await supervisor.get("/admin/locks", allow_redirects=False)).status == 403
    admin: Client = await browser()
    assert (await attempt(admin, "root", address="198.51.100.4")).status == 303
    page = await (await admin.get("/admin/locks")).text()
    assert "south" in page
    assert guesser in page
    assert "nobody1" not in page  # two guesses each: under every limit
    assert "仅从" not in page  # south's guesses from 192.0.2.x are listed once, under the whole username
    csrf = csrf_of(page)
    for kind, key in (("username", "south"), ("address", guesser)):
        lifted = await admin.post("/admin/locks/unlock", data={"csrf": csrf, "kind": kind, "key": key})
        assert lifted.status == 200  # back on the list, which is now empty of it
    assert "现在没有被锁定的用户名或地址" in await (await admin.get("/admin/locks")).text()
    assert (await attempt(await browser(), "south", address="198.51.100.2")).status == 303
    assert (await attempt(await browser(), "boss", address=guesser)).status == 303

    async with engine.connect() as connection:
        audit = (
            await connection.execute(
                sa.text("SELECT username, remote, actor FROM login_attempt WHERE reason = 'unlocked' ORDER BY id")
            )
        ).all()
    assert [tuple(row) for row in audit] == [("south", "", "root"), ("", guesser, "root")]
    assert "Sign-in lock on username 'south' lifted by the administrator root" in caplog.text
    forged = await admin.post("/admin/locks/unlock", data={"kind": "username", "key": "south"})
    assert forged.status == 403  # no CSRF token
