"""Household meters: first verification before installation, replacement when the term ends, on the lookup page
and the station's due list."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import html5lib
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from lookup.rotation import RotationFileError, RotationPolicy, RotationState, add_years, load_rotation, rotation
from lookup.status import VerificationLike
from lookup.vocab import InstrumentKind, Sector
from tests.staff_support import NORTH, SOUTH, add_staff, sign_in
from tests.support import TODAY, code_of, ledger_row, make_uscc, seed, verification
from web.auth.models import StaffRole

Client = TestClient[Any, Any]
POLICY = RotationPolicy(years={InstrumentKind.water_meter: 6, InstrumentKind.electricity_meter: 8}, warn_days=90)


def first(performed_on: date, *, passed: bool = True) -> VerificationLike:
    return verification(performed_on, add_years(performed_on, 6), passed=passed)


@pytest.mark.parametrize(
    ("installed_on", "verified_on", "state", "due"),
    [
        (date(2020, 11, 1), date(2020, 10, 1), RotationState.overdue, date(2026, 10, 1)),
        (None, date(2021, 1, 10), RotationState.due_soon, date(2027, 1, 10)),
        (date(2020, 11, 23), None, RotationState.due_soon, date(2026, 11, 23)),  # due today: not yet overdue
        (date(2020, 11, 22), None, RotationState.overdue, date(2026, 11, 22)),
        (date(2024, 1, 1), date(2023, 12, 1), RotationState.in_term, date(2029, 12, 1)),
        (None, None, RotationState.unknown, None),
    ],
)
def test_a_meters_term_runs_from_its_first_verification_or_else_its_installation(
    installed_on: date | None, verified_on: date | None, state: RotationState, due: date | None
) -> None:
    record = first(verified_on) if verified_on else None
    meter = rotation(InstrumentKind.water_meter, installed_on=installed_on, first=record, policy=POLICY, on=TODAY)
    assert meter is not None
    assert (meter.state, meter.due) == (state, due)


def test_a_meter_counts_as_first_verified_only_when_it_passed_before_it_was_fitted() -> None:
    def verified(installed: date | None, on: date, passed: bool = True) -> bool:
        meter = rotation(InstrumentKind.water_meter, installed_on=installed, first=first(on, passed=passed),
                         policy=POLICY, on=TODAY)  # fmt: skip
        assert meter is not None
        return meter.first_verified

    assert verified(date(2024, 3, 1), date(2024, 2, 1))
    assert verified(date(2024, 2, 1), date(2024, 2, 1))  # the same day
    assert not verified(date(2024, 2, 1), date(2024, 3, 1))  # fitted first, verified later
    assert not verified(date(2024, 3, 1), date(2024, 2, 1), passed=False)
    assert verified(None, date(2024, 2, 1))  # no installation date: a passed record is all there is to go by
    assert rotation(InstrumentKind.price_scale, installed_on=None, first=None, policy=POLICY, on=TODAY) is None
    assert rotation(InstrumentKind.gas_meter, installed_on=None, first=None, policy=POLICY, on=TODAY) is None
    assert add_years(date(2024, 2, 29), 6) == date(2030, 2, 28)


def test_the_shipped_terms_and_a_districts_mistakes(tmp_path: Path) -> None:
    shipped = load_rotation()
    assert shipped.years == {InstrumentKind.water_meter: 6, InstrumentKind.electricity_meter: 8,
                             InstrumentKind.gas_meter: 10, InstrumentKind.heat_meter: 3}  # fmt: skip
    path = tmp_path / "terms.toml"
    for body, complaint in (
        ("[years]\nprice_scale = 1\n", "not a household meter kind"),
        ("[years]\nwater_meter = 0\n", "from 1 to 50"),
        ("[years]\nwater_meter = '6'\n", "from 1 to 50"),
        ("warn_days = -1\n[years]\nwater_meter = 6\n", "warn_days"),
        ("warn_days = 30\n", "[years]"),
        ("[years\n", "not valid TOML"),
    ):
        path.write_text(body, encoding="utf-8")
        with pytest.raises(RotationFileError, match=re.escape(complaint)):
            load_rotation(path)


def meter(serial: str, kind: InstrumentKind, *, installed_on: date | None, verified_on: date | None,
          station: str = SOUTH, number: int = 60) -> Any:  # fmt: skip
    return ledger_row(
        station=station, market="", merchant="鼓楼供水公司" if station == SOUTH else "北门供电所",
        uscc=make_uscc(number), sector=Sector.utility, stall="", address="鼓楼区东街1号", kind=kind, serial_no=serial,
        installed_on=installed_on, verification=verification(verified_on, add_years(verified_on, 6)) if verified_on
        else None,
    )  # fmt: skip


@pytest.fixture
async def meters(engine: AsyncEngine) -> dict[str, str]:
    await seed(
        engine,
        meter("W-1", InstrumentKind.water_meter, installed_on=date(2020, 11, 1), verified_on=date(2020, 10, 1)),
        meter("W-2", InstrumentKind.water_meter, installed_on=date(2021, 2, 1), verified_on=date(2021, 1, 10)),
        meter("W-3", InstrumentKind.water_meter, installed_on=date(2024, 1, 2), verified_on=date(2024, 1, 1)),
        meter("G-1", InstrumentKind.gas_meter, installed_on=date(2020, 1, 1), verified_on=date(2020, 3, 1)),
        meter("H-1", InstrumentKind.heat_meter, installed_on=None, verified_on=None),
        meter(
            "E-1",
            InstrumentKind.electricity_meter,
            installed_on=date(2019, 2, 1),
            verified_on=None,
            station=NORTH,
            number=61,
        ),
        ledger_row(serial_no="SC-1", verification=verification(date(2025, 12, 11), date(2026, 12, 10))),
    )
    return {serial: await code_of(engine, serial) for serial in ("W-1", "W-2", "W-3", "G-1", "H-1", "E-1", "SC-1")}


async def test_the_lookup_page_of_a_meter_says_when_it_is_due_for_replacement(
    client: Client, meters: dict[str, str]
) -> None:
    overdue = await (await client.get(f"/i/{meters['W-1']}")).text()
    html5lib.HTMLParser(strict=True).parse(overdue)
    assert "首次检定与到期轮换" in overdue
    assert "2020-10-01 合格（安装前）" in overdue
    assert "<strong>2026-10-01：已超过使用期限 53 天，应予更换</strong>" in overdue
    late = await (await client.get(f"/i/{meters['G-1']}")).text()
    assert "2020-03-01，在安装之后或不合格" in late
    assert "2030-03-01（还有 1194 天）" in late
    english = await (await client.get(f"/i/{meters['W-2']}", params={"lang": "en"})).text()
    assert "2027-01-10: due in 48 days, replacement should be arranged" in english
    unknown = await (await client.get(f"/i/{meters['H-1']}")).text()
    assert "未登记安装日期和检定日期，无法计算" in unknown
    scale = await (await client.get(f"/i/{meters['SC-1']}")).text()
    assert "到期轮换" not in scale


async def test_the_due_list_shows_a_stations_meters_and_instruments_due(
    client: Client, engine: AsyncEngine, meters: dict[str, str]
) -> None:
    await add_staff(engine, "south", StaffRole.handler, SOUTH)
    await add_staff(engine, "boss", StaffRole.supervisor)
    await sign_in(client, "south")
    page = await (await client.get("/due")).text()
    html5lib.HTMLParser(strict=True).parse(page)
    assert "到期轮换的民用计量表（2）" in page  # W-1 overdue, W-2 within 90 days; W-3 and G-1 in term
    assert page.index(meters["W-1"]) < page.index(meters["W-2"])
    assert "已超期 53 天" in page
    assert meters["E-1"] not in page  # another station's
    assert "另有 1 块民用表" in page  # H-1
    assert "需要周期检定的器具（1）" in page
    assert meters["SC-1"] in page
    client.session.cookie_jar.clear()
    await sign_in(client, "boss")
    district = await (await client.get("/due", params={"lang": "en"})).text()
    assert "Household meters due for replacement (3)" in district
    assert meters["E-1"] in district
