"""Three weeks of believable cases for `serve --demo`, filed and worked through the real domain functions.

Every case goes in through intake (classification, routing, deadlines, hotspots, linked reports, notices) and
moves only by workflow actions, so its timeline, deadlines and figures are what the service itself would have
made. Every status, channel and category is on show: mediations with outcomes and money recovered, declines on
each statutory ground, ratings, overdue and due-soon cases, a hotspot with its inspection, volunteer visits and
monitoring points' self-checks (:mod:`complaints.demo.programme`). Deterministic and dated relative to ``today``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from complaints.cases import apply_action
from complaints.classify import Classifier
from complaints.deadlines.calendar_store import load_calendar
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.deadlines.working_days import WorkingCalendar
from complaints.demo.cases import CASES, DEMO_HANDLER, DemoCase
from complaints.demo.programme import seed_programme
from complaints.intake import prepare, store
from complaints.models import Complaint
from complaints.new_case import IntakePolicy, Prepared
from complaints.odr import enrolment
from complaints.receipt import Receipt
from complaints.routing import NameIndex, load_name_index
from complaints.satisfaction import rate_case
from complaints.submission import Submission
from complaints.workflow import Role
from lookup.models import Instrument, Merchant, table_of
from lookup.scan import InstrumentCard, read_card
from lookup.vocab import InstrumentState, Sector

complaint_t, instrument_t, merchant_t = table_of(Complaint), table_of(Instrument), table_of(Merchant)


@dataclass(frozen=True)
class DemoSetting:
    """What the demo needs from the composition root."""

    now: datetime  # the demo's present: every case was filed and worked before it
    zone: ZoneInfo
    secret: str
    policy: IntakePolicy
    classifier: Classifier
    handler_id: int | None = None  # the demo handler's account, who works the cases
    volunteer_id: int | None = None  # the demo volunteer's account, who visits merchants
    volunteer_name: str = "群众计量监督员"


@dataclass
class _Clock:
    """Moments of the demo's past: a day some days before ``now``, at an hour of the working day, never later
    than an hour before ``now``."""

    now: datetime
    zone: ZoneInfo
    minute: int = field(default=0)

    def at(self, days_ago: int, hour: int) -> datetime:
        self.minute = (self.minute + 7) % 50
        day = self.now.astimezone(self.zone).date() - timedelta(days=max(days_ago, 0))
        return min(datetime.combine(day, time(hour, self.minute), self.zone), self.now - timedelta(hours=1))


@dataclass
class Seeder:
    """The demo's intake and handler: the registry's names and calendar read once, the demo's clock."""

    setting: DemoSetting
    names: NameIndex
    calendar: WorkingCalendar
    codes: dict[Sector, list[str]]
    clock: _Clock

    @property
    def rules(self) -> DeadlineRules:
        return DeadlineRules(self.calendar, self.setting.policy.deadlines, self.setting.zone)

    def prepare(self, submission: Submission, card: InstrumentCard | None, now: datetime) -> Prepared:
        setting = self.setting
        return prepare(
            submission,
            classifier=setting.classifier,
            card=card,
            names=self.names,
            calendar=self.calendar,
            policy=setting.policy,
            secret=setting.secret,
            now=now,
            zone=setting.zone,
        )


async def seed_demo_cases(engine: AsyncEngine, setting: DemoSetting) -> int:
    """File and work :data:`CASES` into a database without cases, then the programme's records around them
    (:mod:`complaints.demo.programme`); returns how many cases were filed (0 when it had some already).

    ``engine`` must open write transactions that lock before they read (the composition root's ``for_writing``).
    """
    async with engine.connect() as connection:
        if (await connection.execute(sa.select(complaint_t.c.id).limit(1))).first() is not None:
            return 0
        codes = await instruments_by_sector(connection)
        names, calendar = await load_name_index(connection), await load_calendar(connection)
    seeder = Seeder(setting, names, calendar, codes, _Clock(setting.now, setting.zone))
    for number, case in enumerate(CASES, 1):
        code = codes[case.scan[0]][case.scan[1]] if case.scan else None
        async with engine.begin() as connection:
            card = await connection.run_sync(read_card, code) if code else None
            if case.odr and card is not None:  # the merchant took part in ODR from the start of the demo's year
                await enrolment.decide(
                    connection, card.merchant_id, since=date(seeder.setting.now.year, 1, 1), by=DEMO_HANDLER
                )
            intent = "complaint" if case.odr else None
            submission = Submission(
                text=case.text,
                channel=case.channel,
                code=code,
                contact=case.contact(number),
                intent=intent,
                odr=case.odr,
            )
            prepared = seeder.prepare(submission, card, seeder.clock.at(case.days_ago, 9))
            receipt: Receipt = await connection.run_sync(functools.partial(store, prepared=prepared))
        await _play(engine, receipt, case, seeder)
    await seed_programme(engine, seeder)
    return len(CASES)


async def _play(engine: AsyncEngine, receipt: Receipt, case: DemoCase, seeder: Seeder) -> None:
    """The case's story, one workflow action per transaction, then the consumer's rating of a closed case."""
    last = seeder.clock.at(case.days_ago, 9)
    for step, (after, action, facts) in enumerate(case.story):
        last = max(seeder.clock.at(case.days_ago - after, 10 + step % 7), last + timedelta(minutes=1))
        work = functools.partial(
            apply_action,
            complaint_id=receipt.complaint_id,
            action=action,
            role=Role.handler,
            actor_id=seeder.setting.handler_id,
            facts=facts,
            now=last,
            rules=seeder.rules,
        )
        async with engine.begin() as connection:
            await connection.run_sync(work)
    if case.rating is not None:
        rated_at = min(last + timedelta(hours=2), seeder.setting.now)
        async with engine.begin() as connection:
            await rate_case(connection, receipt.ref, receipt.token, case.rating, "", rated_at)


async def instruments_by_sector(connection: AsyncConnection) -> dict[Sector, list[str]]:
    """The codes of the instruments in use, per sector of their merchant, in registry order."""
    rows = await connection.execute(
        sa.select(merchant_t.c.sector, instrument_t.c.code)
        .join(merchant_t, merchant_t.c.id == instrument_t.c.merchant_id)
        .where(instrument_t.c.state == InstrumentState.in_use)
        .order_by(instrument_t.c.id)
    )
    codes: dict[Sector, list[str]] = {sector: [] for sector in Sector}
    for sector, code in rows:
        codes[Sector(sector)].append(code)
    return codes
