"""Scan pages made ahead of time (issue 17): what a scan serves is always what a fresh render would show.

Every writer of what a page shows is run between two scans; the second scan must serve exactly the bytes a fresh
render of the registry gives (so it shows the change), on both databases. Dates move too: the day a valid instrument
turns expiring and the day it expires, the midnight the "as of" date moves, and random sequences of both.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.merchants import commitment
from lookup.demo import seed_demo
from lookup.geo.coordinates import Point
from lookup.geo.placing import place_market
from lookup.models import Instrument, Market, Merchant, Station, table_of
from lookup.pages.bulk import render_night, render_past
from lookup.pages.models import HTML, HTML_WITH_LANGUAGE, JSON
from lookup.registry_edits import set_instrument_state, set_standing
from lookup.scan import read_card
from lookup.vocab import InstrumentState, Standing
from tests.support import NOW, code_of, ledger_row, seed, verification
from web.app import create_app
from web.db import create_engine, for_writing
from web.keys import FRESHNESS, SCAN_PAGES
from web.settings import Settings

Client = TestClient[Any, Any]
# (path, language, format): the page in the browser's language, the page chosen with ?lang=, the JSON.
VARIANTS = (("/i/{code}", "zh", HTML), ("/i/{code}?lang=en", "en", HTML_WITH_LANGUAGE),
            ("/api/v1/instruments/{code}", "", JSON))  # fmt: skip


class Clock:
    def __init__(self, moment: datetime = NOW) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set_day(self, day: date) -> None:
        self.moment = datetime.combine(day, NOW.timetz())


async def fresh_render(client: Client, engine: AsyncEngine, code: str, language: str, format: str) -> bytes:
    today, _ = client.app[FRESHNESS]()
    async with engine.connect() as connection:
        card = await connection.run_sync(read_card, code)
    assert card is not None
    body, _ = client.app[SCAN_PAGES].render(card, language, format, today)
    return body


async def stored_pages(engine: AsyncEngine, code: str) -> int:
    async with engine.connect() as connection:
        found = await connection.execute(sa.text("SELECT count(*) FROM rendered_page WHERE code = :c"), {"c": code})
        return int(found.scalar_one())


async def assert_served_fresh(client: Client, engine: AsyncEngine, code: str) -> None:
    for path, language, format in VARIANTS:
        response = await client.get(path.format(code=code))
        assert response.status == 200
        assert await response.read() == await fresh_render(client, engine, code, language, format), path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, clock: Clock) -> Client:
    made: Client = await aiohttp_client(create_app(settings, clock=clock))
    return made


@pytest.fixture
async def code(engine: AsyncEngine) -> str:
    await seed(engine, ledger_row(serial_no="P-1"))
    return await code_of(engine, "P-1")


async def _merchant_id(connection: Any, code: str) -> int:
    i = table_of(Instrument).c
    return int((await connection.execute(sa.select(i.merchant_id).where(i.code == code))).scalar_one())


async def _import_a_failed_verification(engine: AsyncEngine, code: str) -> None:
    await seed(engine, ledger_row(serial_no="P-1", verification=verification(date(2026, 11, 1), date(2027, 10, 31),
                                                                              passed=False)))  # fmt: skip


async def _blacklist(engine: AsyncEngine, code: str) -> None:
    async with for_writing(engine).begin() as connection:
        await set_standing(connection, await _merchant_id(connection, code), Standing.black_list, reason="短斤少两",
                           on=NOW.date())  # fmt: skip


async def _suspend(engine: AsyncEngine, code: str) -> None:
    async with for_writing(engine).begin() as connection:
        await set_instrument_state(connection, code, InstrumentState.suspended)


async def _retire(engine: AsyncEngine, code: str) -> None:
    async with for_writing(engine).begin() as connection:
        await set_instrument_state(connection, code, InstrumentState.retired, on=NOW.date())


async def _revoke_commitment(engine: AsyncEngine, code: str) -> None:
    async with for_writing(engine).begin() as connection:
        await commitment.revoke(connection, await _merchant_id(connection, code), by="merchant", today=NOW.date())


async def _sign_online(engine: AsyncEngine, code: str) -> None:
    async with for_writing(engine).begin() as connection:
        merchant_id = await _merchant_id(connection, code)
        await commitment.revoke(connection, merchant_id, by="merchant", today=NOW.date())
        await commitment.sign(connection, merchant_id, "张三", now=NOW, today=NOW.date())


async def _update(engine: AsyncEngine, table: sa.Table, **values: Any) -> None:
    async with for_writing(engine).begin() as connection:
        await connection.execute(sa.update(table).values(**values))


async def _fair_scale(engine: AsyncEngine, code: str) -> None:
    await _update(engine, table_of(Market), fair_scale_location="北门服务台")


async def _station_phone(engine: AsyncEngine, code: str) -> None:
    await _update(engine, table_of(Station), phone="0591-88888888")


async def _merchant_name(engine: AsyncEngine, code: str) -> None:
    await _update(engine, table_of(Merchant), name="张记海鲜")


async def _market_point(engine: AsyncEngine, code: str) -> None:
    # Not on the page: the stored pages stay, and are still what a render gives.
    async with for_writing(engine).begin() as connection:
        await place_market(connection, 1, Point(26.08, 119.3))


WRITERS: dict[str, tuple[Callable[[AsyncEngine, str], Awaitable[None]], str]] = {
    # writer: (the change, a word the page shows afterwards)
    "ledger import": (_import_a_failed_verification, 'status-word">检定不合格'),
    "standing": (_blacklist, "黑榜"),
    "suspension": (_suspend, 'status-word">已停用'),
    "retirement": (_retire, 'status-word">已报废'),
    "commitment revoked": (_revoke_commitment, "尚未签署"),
    "commitment signed online": (_sign_online, "在线签署"),
    "market's fair scale": (_fair_scale, "北门服务台"),
    "station's phone": (_station_phone, "0591-88888888"),
    "merchant's name": (_merchant_name, "张记海鲜"),
    "market's coordinates": (_market_point, ""),
}


@pytest.mark.parametrize("writer", list(WRITERS))
async def test_every_writer_makes_the_next_scan_show_its_change(
    client: Client, engine: AsyncEngine, code: str, writer: str
) -> None:
    change, shown = WRITERS[writer]
    await assert_served_fresh(client, engine, code)
    assert await stored_pages(engine, code) == len(VARIANTS)
    before = await (await client.get(f"/i/{code}")).text()
    await change(engine, code)
    await assert_served_fresh(client, engine, code)
    after = await (await client.get(f"/i/{code}")).text()
    if shown:
        assert shown not in before
        assert shown in after
    else:
        assert after == before


async def test_loading_the_demo_leaves_no_stale_page(client: Client, engine: AsyncEngine) -> None:
    await seed_demo(engine, today=NOW.date(), base_url="http://fairweigh.test")
    async with engine.connect() as connection:
        codes = (await connection.execute(sa.text("SELECT code FROM instrument ORDER BY id LIMIT 3"))).scalars().all()
    for code in codes:
        await assert_served_fresh(client, engine, code)
    await seed_demo(
        engine, today=NOW.date(), base_url="http://fairweigh.test"
    )  # again: it sets phones, fair scales, standings and suspensions over what is there
    for code in codes:
        await assert_served_fresh(client, engine, code)


async def test_the_status_turns_on_its_days_without_any_write(
    client: Client, engine: AsyncEngine, code: str, clock: Clock
) -> None:
    valid_until = date(2027, 5, 9)  # the ledger row's
    for day, badge in (
        (valid_until - timedelta(days=31), "合格 · 在有效期内"),
        (valid_until - timedelta(days=30), "合格 · 在有效期内"),
        (valid_until - timedelta(days=29), "即将到期"),
        (valid_until - timedelta(days=1), "即将到期"),
        (valid_until, "即将到期"),
        (valid_until + timedelta(days=1), "已过期"),
        (valid_until - timedelta(days=40), "合格 · 在有效期内"),  # a clock set back is not served a later page
    ):
        clock.set_day(day)
        page = await (await client.get(f"/i/{code}")).text()
        assert badge in page, day
        assert f'<span class="date">{day.isoformat()}</span>' in page  # "as of" the day it is served
        await assert_served_fresh(client, engine, code)


async def test_gzip_is_negotiated_and_a_revalidation_is_answered_304(
    client: Client, engine: AsyncEngine, code: str, clock: Clock
) -> None:
    await client.get(f"/i/{code}")  # stored
    zipped = await client.get(f"/i/{code}", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(await zipped.read()) == await fresh_render(client, engine, code, "zh", HTML)
    plain = await client.get(f"/i/{code}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    etag = plain.headers["ETag"]
    assert zipped.headers["ETag"] == etag
    assert (await client.get(f"/i/{code}", headers={"If-None-Match": etag})).status == 304
    clock.moment += timedelta(days=1)  # the next day the page is "as of" another date: a new ETag, a full answer
    next_day = await client.get(f"/i/{code}", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"},
                                auto_decompress=False)  # fmt: skip
    assert next_day.status == 200
    assert next_day.headers["ETag"] != etag
    assert gzip.decompress(await next_day.read()) == await fresh_render(client, engine, code, "zh", HTML)


async def test_a_new_release_serves_the_earlier_pages_until_the_worker_renders_its_own(
    aiohttp_client: Any, settings: Settings, engine: AsyncEngine, code: str
) -> None:
    first = await aiohttp_client(create_app(settings, clock=Clock()))
    await first.get(f"/i/{code}")
    changed = settings.model_copy(update={"fairweigh_hotline": "96315"})
    second = await aiohttp_client(create_app(changed, clock=Clock()))
    assert first.app[SCAN_PAGES].stamp != second.app[SCAN_PAGES].stamp
    # The earlier release's page is served (a release must not make every scan a render and a write) ...
    assert "96315" not in await (await second.get(f"/i/{code}")).text()
    # ... until the worker's pass renders this release's.
    rendered = await render_past(for_writing(engine), second.app[SCAN_PAGES], NOW.date())
    assert rendered >= 1
    assert "96315" in await (await second.get(f"/i/{code}")).text()
    await assert_served_fresh(second, engine, code)


# The property: whatever is edited and whatever day it is, the served page is a fresh render.
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("day"), st.integers(min_value=-400, max_value=400)),
        st.tuples(st.just("verify"), st.integers(min_value=-400, max_value=400), st.booleans()),
        st.tuples(st.just("state"), st.sampled_from([InstrumentState.suspended, InstrumentState.in_use])),
        st.tuples(st.just("standing"), st.sampled_from(list(Standing))),
        st.tuples(st.just("commitment"), st.booleans()),
        st.tuples(st.just("phone"), st.sampled_from(["", "0591-1", "0591-2"])),
    ),
    min_size=1,
    max_size=8,
)


async def _step(engine: AsyncEngine, clock: Clock, code: str, step: tuple[Any, ...]) -> None:
    kind, *args = step
    today = clock.moment.date()
    if kind == "day":
        clock.set_day(NOW.date() + timedelta(days=args[0]))
    elif kind == "verify":
        performed = NOW.date() + timedelta(days=args[0])
        row = verification(performed, performed + timedelta(days=364), passed=args[1])
        await seed(engine, ledger_row(serial_no="P-1", verification=row))
    elif kind == "state":
        async with for_writing(engine).begin() as connection:
            await set_instrument_state(connection, code, args[0])
    elif kind == "standing":
        async with for_writing(engine).begin() as connection:
            await set_standing(connection, await _merchant_id(connection, code), args[0], reason="理由", on=today)
    elif kind == "commitment":
        await (_sign_online if args[0] else _revoke_commitment)(engine, code)
    else:
        await _update(engine, table_of(Station), phone=args[0])


async def _scenario(settings: Settings, steps: list[tuple[Any, ...]]) -> None:
    engine = create_engine(settings.async_database_url)
    clock = Clock()
    client: Client = TestClient(TestServer(create_app(settings, clock=clock)))
    await client.start_server()
    try:
        await seed(engine, ledger_row(serial_no="P-1"))
        code = await code_of(engine, "P-1")
        for step in steps:
            await _step(engine, clock, code, step)
            await assert_served_fresh(client, engine, code)
    finally:
        await client.close()
        await engine.dispose()


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_served_page_is_always_a_fresh_render(settings: Settings, steps: list[tuple[Any, ...]]) -> None:
    asyncio.run(_scenario(settings, steps))


async def test_after_midnight_the_worker_renders_exactly_the_pages_whose_day_passed(
    client: Client, engine: AsyncEngine, clock: Clock
) -> None:
    await seed(engine, ledger_row(serial_no="P-1"), ledger_row(serial_no="E-1", verification=verification(
        date(2025, 12, 11), date(2026, 12, 10))))  # fmt: skip
    steady, expiring = await code_of(engine, "P-1"), await code_of(engine, "E-1")
    for code in (steady, expiring):
        await client.get(f"/i/{code}")
    clock.moment += timedelta(days=1)
    today = clock.moment.date()
    rendered = await render_past(for_writing(engine), client.app[SCAN_PAGES], today)
    assert rendered == 1  # the expiring one counts its days; the valid one stays true until 30 days before its end
    async with engine.connect() as connection:
        days = dict((await connection.execute(sa.text("SELECT code, rendered_on FROM rendered_page"))).all())
    assert str(days[expiring]) == today.isoformat()
    assert str(days[steady]) == NOW.date().isoformat()
    for code in (steady, expiring):
        await assert_served_fresh(client, engine, code)


async def test_the_nightly_pass_also_makes_the_pages_no_scan_has_asked_for(
    client: Client, engine: AsyncEngine, clock: Clock
) -> None:
    await seed(engine, ledger_row(serial_no="P-1"), ledger_row(serial_no="P-2"))
    first, second = await code_of(engine, "P-1"), await code_of(engine, "P-2")
    await client.get(f"/i/{first}")
    await _suspend(engine, first)  # its trigger deletes what the scan stored
    clock.moment += timedelta(days=1)
    past, missing = await render_night(for_writing(engine), client.app[SCAN_PAGES], clock.moment.date())
    assert (past, missing) == (0, 4)  # each instrument's zh page and JSON; an English page waits for its scan
    for code in (first, second):
        assert await stored_pages(engine, code) == 2
        await assert_served_fresh(client, engine, code)
    assert await render_night(for_writing(engine), client.app[SCAN_PAGES], clock.moment.date()) == (0, 0)
