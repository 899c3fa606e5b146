"""Early warning: the rules by hand, the nightly run over histories with known change points (SQLite and
PostgreSQL), the page a station acts from, and the bench's simulation kept honest."""

from __future__ import annotations

import asyncio
import math
import random
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.warnings.rules import (
    CountRule,
    ShareRule,
    beta_binomial_tail,
    count_test,
    negative_binomial_tail,
    poisson_tail,
    share_test,
)
from complaints.warnings.store import warnings_for_digest
from tests.staff_support import NORTH, SOUTH, add_staff, csrf_of, sign_in
from tests.support import NOW, ZONE
from tests.warnings_support import DAY, histories
from web.auth.models import StaffRole
from web.cli.main import main
from web.db import create_engine
from web.nightly import night_due, run_night_once

Client = TestClient[Any, Any]


def test_the_tails_are_the_sums_of_their_distributions() -> None:
    assert poisson_tail(3, 0.5) == pytest.approx(1 - sum(math.exp(-0.5) * 0.5**i / math.factorial(i) for i in range(3)))
    assert poisson_tail(0, 3.0) == 1.0
    r, p = 2.5, 0.5
    pmf = [math.exp(math.lgamma(i + r) - math.lgamma(r) - math.lgamma(i + 1)) * p**r * (1 - p) ** i for i in range(5)]
    assert negative_binomial_tail(5, r, p) == pytest.approx(1 - sum(pmf))

    def beta(a: float, b: float) -> float:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

    exact = 1 - sum(math.comb(40, i) * math.exp(beta(i + 2, 40 - i + 50) - beta(2, 50)) for i in range(5))
    assert beta_binomial_tail(5, 40, 2, 50) == pytest.approx(exact)


def test_a_count_is_judged_by_its_own_history_and_the_district() -> None:
    rule = CountRule()
    quiet = count_test(4, history=1, district_rate=2 / 365, rule=rule)
    assert quiet.significant  # a stall with one complaint last year, four this month
    noisy = count_test(4, history=40, district_rate=2 / 365, rule=rule)
    assert not noisy.significant  # forty last year: four this month is its usual
    assert not count_test(2, history=0, district_rate=0, rule=rule).significant  # two are never a pattern
    assert count_test(3, history=0, district_rate=0, rule=rule).p_value == 0.0  # the first such anywhere
    fading = count_test(3, history=6, district_rate=2 / 365, rule=rule)
    assert not fading.significant
    assert fading.holds  # an open warning is not dropped at the first quieter night
    batch = share_test(10, 10, own_bad=0, own_total=120, district_share=0.05, rule=ShareRule())
    assert batch.significant
    usual = share_test(3, 40, own_bad=30, own_total=480, district_share=0.05, rule=ShareRule())
    assert not usual.significant


async def warnings_now(engine: AsyncEngine) -> dict[tuple[str, str, str], str]:
    """(subject's name, signal, category) → state."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT COALESCE(m.name, k.name), w.signal, w.category, w.state FROM early_warning w "
                "LEFT JOIN merchant m ON m.id = w.merchant_id LEFT JOIN market k ON k.id = w.market_id"
            )
        )
        return {(name, signal, category): state for name, signal, category, state in rows}


async def test_the_night_warns_of_the_changes_and_of_nothing_else(engine: AsyncEngine) -> None:
    await histories(engine)
    first = await run_night_once(engine, DAY, zone=ZONE, now=NOW, worker="test")
    assert first.ran
    assert await warnings_now(engine) == {
        ("张记水产", "complaints", "short_weight"): "open",
        ("东门粮油", "instruments", ""): "open",
        ("东门市场", "instruments", ""): "open",
        ("北门加油站", "inspection_findings", ""): "open",
    }
    again = await run_night_once(engine, DAY, zone=ZONE, now=NOW, worker="another")
    assert not again.ran  # one run a night, whichever worker comes first
    later = await run_night_once(engine, DAY + timedelta(days=1), zone=ZONE, now=NOW, worker="test")
    assert (later.raised, later.refreshed, later.subsided) == (0, 4, 0)
    async with engine.connect() as connection:
        south = (await connection.execute(sa.text("SELECT id FROM station WHERE name = :n"), {"n": SOUTH})).scalar()
        digest = await warnings_for_digest(connection, south, since=DAY)
    assert {w.subject_name for w in digest} == {"张记水产", "东门粮油", "东门市场"}
    assert digest[0].p_value <= digest[-1].p_value
    quiet = await run_night_once(engine, DAY + timedelta(days=120), zone=ZONE, now=NOW, worker="test")
    assert quiet.subsided >= 2  # the complaints and the inspections fell out of their windows
    states = await warnings_now(engine)
    assert states[("张记水产", "complaints", "short_weight")] == "subsided"
    assert night_due(datetime(2026, 11, 23, 1, 59, tzinfo=ZONE)) is None
    assert night_due(datetime(2026, 11, 23, 2, 0, tzinfo=ZONE)) == DAY


async def test_a_station_acts_on_a_warning_by_asking_for_an_inspection(client: Client, engine: AsyncEngine) -> None:
    await histories(engine)
    await run_night_once(engine, DAY, zone=ZONE, now=NOW, worker="test")
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "north", StaffRole.handler, NORTH)
    await sign_in(client, "south")
    page = await (await client.get("/warnings")).text()
    assert "张记水产" in page
    assert "近 30 天“缺斤短两”投诉 4 件" in page
    assert "北门加油站" not in page  # another station's
    warning_id = int(re.findall(r'href="/warnings/(\d+)">张记水产<', page)[0])
    market_id = int(re.findall(r'href="/warnings/(\d+)">东门市场<', page)[0])
    market = await (await client.get(f"/warnings/{market_id}")).text()
    unchosen = await client.post(f"/warnings/{market_id}/inspect", data={"csrf": csrf_of(market)})
    assert unchosen.status == 400
    assert "请选择要检查的经营者" in await unchosen.text()
    merchant = re.findall(r'<option value="(\d+)">东门粮油', market)[0]
    choice = {"csrf": csrf_of(market), "merchant_id": merchant}
    chosen = await client.post(f"/warnings/{market_id}/inspect", data=choice, allow_redirects=False)
    assert chosen.status == 303
    detail = await (await client.get(f"/warnings/{warning_id}")).text()
    acted = await client.post(f"/warnings/{warning_id}/inspect", data={"csrf": csrf_of(detail)}, allow_redirects=False)
    assert acted.status == 303
    assert acted.headers["Location"].startswith("/hotspots/")
    form = await client.get(acted.headers["Location"])
    assert form.status == 200
    states = await warnings_now(engine)
    assert "acted" in states.values()
    # The rise goes on the next night: it is followed on the acted warning, not raised again.
    await run_night_once(engine, DAY + timedelta(days=1), zone=ZONE, now=NOW, worker="test")
    assert sorted(await warnings_now(engine)) == sorted(states)
    client.session.cookie_jar.clear()
    await sign_in(client, "north")
    assert (await client.get(f"/warnings/{warning_id}")).status == 404
    english = await (await client.get("/warnings", params={"lang": "en"})).text()
    assert "inspections finding more" in english


def test_the_command_compares_a_day_once(
    monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        engine = create_engine(database_url)
        await histories(engine)
        await engine.dispose()

    asyncio.run(prepare())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FAIRWEIGH_SECRET", "warnings-test-secret-" + "w" * 32)
    assert main(["warnings", "run", "--day", DAY.isoformat()]) == 0
    assert "新预警 4，持续 0，消退 0" in capsys.readouterr().out
    assert main(["warnings", "run", "--day", DAY.isoformat()]) == 0
    assert "已比较过" in capsys.readouterr().out
    assert main(["warnings", "run", "--day", "2999-01-01"]) == 2
    assert main(["warnings", "run", "--day", "昨天"]) == 2
    assert "看不懂的日期" in capsys.readouterr().err


def test_the_bench_detects_big_changes_and_keeps_false_alarms_few() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import early_warning

    rng = random.Random(7)
    events, changes = early_warning.complaint_histories(rng, 400)
    outcome = early_warning.run_count_rule(events, changes, 400, CountRule())
    found = len(outcome.detected[4.0])
    assert found >= 0.8 * (found + outcome.missed[4.0])  # four more complaints a month: nearly always seen
    assert outcome.false_alarms / 12 / 400 * 1000 < 10  # false alarms per month per 1,000 merchants
