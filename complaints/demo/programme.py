"""The demo's programme records around its cases: the hotspot's inspection, volunteers' visits, monitoring points'
self-checks. Each is made by the function a handler's or volunteer's page calls."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.demo.cases import HOTSPOT_STALL
from complaints.inspections import InspectionFigures, hotspot_in_scope, record_inspection
from complaints.models import Hotspot
from complaints.programme.monitoring import ITEMS, enrol, file_check, quarter_of, verify_check
from complaints.programme.visits import CHECKS, Visit, as_report, record_visit
from complaints.scope import Scope
from complaints.submission import VOLUNTEER, Contact, Submission
from lookup.models import Instrument, Merchant, table_of
from lookup.scan import read_card
from lookup.vocab import Sector

if TYPE_CHECKING:
    from complaints.demo.seed import Seeder

hotspot_t, instrument_t, merchant_t = table_of(Hotspot), table_of(Instrument), table_of(Merchant)
# (n-th market instrument, days ago, the checklist's "no" answers, notes)
VISITS: tuple[tuple[int, int, tuple[str, ...], str], ...] = (
    (12, 16, (), "摊主配合，承诺书张贴在摊位正面"),
    (25, 9, ("seals_intact",), "电子秤底部铅封被剪断，摊主称不知情"),
    (38, 3, ("commitment_posted", "prices_marked"), "承诺书未张贴，部分菜品未标价"),
)
MONITORED = (3, 15)  # market instruments whose merchants are monitoring points


async def seed_programme(engine: AsyncEngine, seeder: Seeder) -> None:
    await _inspect_hotspot(engine, seeder)
    if seeder.setting.volunteer_id is not None:
        for visit in VISITS:
            await _visit(engine, seeder, *visit)
    await _monitoring(engine, seeder)


async def _inspect_hotspot(engine: AsyncEngine, seeder: Seeder) -> None:
    """The hotspot raised by the complaints about one stall's scale, inspected a few days later and cleared."""
    code = seeder.codes[HOTSPOT_STALL[0]][HOTSPOT_STALL[1]]
    async with engine.begin() as connection:
        merchant_id = (
            await connection.execute(sa.select(instrument_t.c.merchant_id).where(instrument_t.c.code == code))
        ).scalar_one()
        hotspot_id = (
            await connection.execute(
                sa.select(hotspot_t.c.id).where(
                    hotspot_t.c.merchant_id == merchant_id, hotspot_t.c.cleared_at.is_(None)
                )
            )
        ).scalar()
        hotspot = await hotspot_in_scope(connection, hotspot_id, Scope.everything()) if hotspot_id else None
        if hotspot is None:
            return
        now = seeder.clock.at(11, 15)
        figures = InspectionFigures(
            inspected_on=now.date(),
            inspectors=2,
            instruments_checked=3,
            unverified=0,
            tampered=1,
            short_weight_found=True,
            case_opened=True,
            fine_yuan=5000,
            quantity_failed_handled=True,
            quantity_fine_yuan=2000,
            notes="现场查获改装电子秤一台（加装遥控装置），已扣押并立案调查",
        )
        await record_inspection(
            connection,
            hotspot,
            figures,
            recorded_by=seeder.setting.handler_id,
            clear=True,
            today=now.date(),
            now=now,
        )


async def _visit(
    engine: AsyncEngine, seeder: Seeder, nth: int, days_ago: int, faults: tuple[str, ...], notes: str
) -> None:
    """A volunteer's visit to a market stall; what they found wrong becomes a report in the station's queue."""
    setting = seeder.setting
    assert setting.volunteer_id is not None
    code = seeder.codes[Sector.market][nth]
    now = seeder.clock.at(days_ago, 14)
    async with engine.begin() as connection:
        card = await connection.run_sync(read_card, code)
    if card is None:
        return
    visit = Visit(
        volunteer_id=setting.volunteer_id,
        volunteer_name=setting.volunteer_name,
        merchant_id=card.merchant_id,
        merchant_name=card.merchant_name,
        station_id=await _station_of(engine, card.merchant_id),
        visited_on=now.date(),
        checks={item: "no" if item in faults else "yes" for item in CHECKS},
        instruments=(card,),
        notes=notes,
    )
    report = None
    if visit.findings():
        contact = Contact(name=setting.volunteer_name)
        submission = Submission(text=visit.report_text(), channel=VOLUNTEER, code=card.code, contact=contact)
        report = as_report(seeder.prepare(submission, card, now), visit)
    async with engine.begin() as connection:
        await connection.run_sync(functools.partial(record_visit, visit=visit, report=report, now=now))


async def _station_of(engine: AsyncEngine, merchant_id: int) -> int:
    async with engine.connect() as connection:
        query = sa.select(merchant_t.c.station_id).where(merchant_t.c.id == merchant_id)
        return int((await connection.execute(query)).scalar_one())


async def _monitoring(engine: AsyncEngine, seeder: Seeder) -> None:
    """Two monitoring points, each with this quarter's self-check; the handler has verified the first."""
    setting = seeder.setting
    for position, nth in enumerate(MONITORED):
        code = seeder.codes[Sector.market][nth]
        filed_at = seeder.clock.at(8 - 4 * position, 11)
        async with engine.begin() as connection:
            card = await connection.run_sync(read_card, code)
            if card is None:
                continue
            await enrol(connection, card.merchant_id, Scope.everything(), on=filed_at.date() - timedelta(days=60))
            answers: dict[str, Any] = {item: {"ok": item != "staff_trained", "note": ""} for item in ITEMS}
            answers["staff_trained"]["note"] = "新来的两名店员下月参加培训"
            check_id = await file_check(
                connection, card.merchant_id, quarter_of(filed_at.date()), answers, now=filed_at
            )
            if position == 0 and setting.handler_id is not None:
                verified = {item: {"ok": True, "note": ""} for item in ITEMS}
                verified_at = min(filed_at + timedelta(days=2), setting.now)
                await verify_check(connection, check_id, verified, by=setting.handler_id, now=verified_at)
