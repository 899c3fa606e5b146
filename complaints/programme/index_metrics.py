"""What the service knows about an area, as the integrity index's ``auto:`` items read it (complaints/programme/
integrity_index.py): instruments that may be trusted, complete registry records, instruments out of their
verification period, complaints decided on time, fair scales, commitments in force, volunteer visits and what they
answered, monitoring points, and what inspections found. An area is the merchants of its markets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import (
    IndexArea,
    IndexAreaMarket,
    IndexAssessment,
    Inspection,
    MonitoringPoint,
    VolunteerVisit,
)
from complaints.programme.integrity_index import Sheet
from complaints.reporting.reports import Period, build_report
from complaints.scope import Scope
from complaints.workflow import Intent
from lookup.models import Commitment, Instrument, Market, Merchant, Verification, table_of
from lookup.problems import Kind, Problem
from lookup.status import PRESENTATION, instrument_status
from lookup.vocab import InstrumentState, Status

area_t, area_market_t, assessment_t = table_of(IndexArea), table_of(IndexAreaMarket), table_of(IndexAssessment)
market_t, merchant_t, commitment_t = table_of(Market), table_of(Merchant), table_of(Commitment)
instrument_t, verification_t = table_of(Instrument), table_of(Verification)
inspection_t, visit_t, point_t = table_of(Inspection), table_of(VolunteerVisit), table_of(MonitoringPoint)
OUT_OF_PERIOD = frozenset({Status.expired, Status.failed, Status.unverified})


@dataclass(frozen=True, slots=True)
class _Record:
    performed_on: date
    valid_until: date
    passed: bool


@dataclass(frozen=True, slots=True)
class Area:
    id: int
    name: str
    kind: str
    district: str
    market_ids: tuple[int, ...]
    market_names: tuple[str, ...]


async def areas(connection: AsyncConnection) -> list[Area]:
    rows = await connection.execute(
        sa.select(area_t.c.id, area_t.c.name, area_t.c.kind, area_t.c.district, market_t.c.id, market_t.c.name)
        .outerjoin(area_market_t, area_market_t.c.area_id == area_t.c.id)
        .outerjoin(market_t, market_t.c.id == area_market_t.c.market_id)
        .order_by(area_t.c.name, market_t.c.name)
    )
    found: dict[int, Area] = {}
    for area_id, name, kind, district, market_id, market_name in rows:
        area = found.get(area_id) or Area(area_id, name, kind, district, (), ())
        if market_id is not None:
            area = Area(area_id, name, kind, district, (*area.market_ids, market_id), (*area.market_names, market_name))
        found[area_id] = area
    return list(found.values())


class AreaError(Problem, ValueError):
    """An area that cannot be saved as given; ``str()`` says it in both languages (the CLI prints it)."""

    def __str__(self) -> str:
        return f"{self.chinese} ({self.english})"


async def save_area(connection: AsyncConnection, name: str, *, kind: str, district: str, markets: Sequence[str]) -> int:
    """Create or update an area made of the named markets; raises AreaError naming what is wrong."""
    if kind not in {"street", "scenic"}:
        raise AreaError(
            "bad_kind", f"类型只能是 street 或 scenic，不是 {kind!r}", f"kind is street or scenic, not {kind!r}"
        )
    ids = []
    for market in markets:
        market_id = (await connection.execute(sa.select(market_t.c.id).where(market_t.c.name == market))).scalar()
        if market_id is None:
            raise AreaError(
                "unknown_market", f"没有名为“{market}”的市场", f"no market named {market!r}", kind=Kind.not_found
            )
        ids.append(market_id)
    area_id = (await connection.execute(sa.select(area_t.c.id).where(area_t.c.name == name))).scalar()
    if area_id is None:
        inserted = await connection.execute(
            sa.insert(area_t).values(name=name, kind=kind, district=district).returning(area_t.c.id)
        )
        area_id = inserted.scalar_one()
    else:
        await connection.execute(sa.update(area_t).where(area_t.c.id == area_id).values(kind=kind, district=district))
        await connection.execute(sa.delete(area_market_t).where(area_market_t.c.area_id == area_id))
    for market_id in sorted(set(ids)):
        await connection.execute(sa.insert(area_market_t).values(area_id=area_id, market_id=market_id))
    return int(area_id)


def _year(year: int, today: date) -> tuple[date, date]:
    return date(year, 1, 1), min(date(year, 12, 31), today)


def _share(part: int, whole: int) -> Decimal | None:
    return Decimal(part) / Decimal(whole) if whole else None


async def _instruments(connection: AsyncConnection, markets: list[int], today: date) -> dict[str, Decimal | None]:
    """The area's instruments not retired, as of today: the share that may be trusted (合格并在有效期内), the share
    whose registry record is complete (serial number, model and maker; a verification record when compulsory), and
    how many are out of their verification period (expired, failed or never verified)."""
    i, v = instrument_t.c, verification_t.alias("newest").c
    newest = sa.select(v.id).where(v.instrument_id == i.id).order_by(v.performed_on.desc()).limit(1).scalar_subquery()
    latest = verification_t.alias("latest")
    rows = await connection.execute(
        sa.select(i.state, i.mandatory, i.serial_no, i.model, i.manufacturer, latest.c.performed_on,
                  latest.c.valid_until, latest.c.passed)
        .select_from(instrument_t.join(merchant_t, merchant_t.c.id == i.merchant_id)
                     .outerjoin(latest, latest.c.id == newest))
        .where(merchant_t.c.market_id.in_(markets), i.state != InstrumentState.retired)
    )  # fmt: skip
    total = trusted = complete = lapsed = 0
    for state, mandatory, serial_no, model, manufacturer, performed_on, valid_until, passed in rows:
        record = _Record(performed_on, valid_until, passed) if performed_on is not None else None
        status = instrument_status(state=state, mandatory=mandatory, latest_record=record, on=today)
        total += 1
        trusted += PRESENTATION[status].trustworthy
        lapsed += status in OUT_OF_PERIOD
        complete += bool(serial_no and model and manufacturer and (record is not None or not mandatory))
    return {
        "instrument_pass_rate": _share(trusted, total),
        "register_complete": _share(complete, total),
        "untrusted_instruments": Decimal(lapsed) if total else None,
    }


async def _commitments(connection: AsyncConnection, in_area: Any, today: date) -> Decimal | None:
    """Of the area's merchants using compulsory instruments, the share with a commitment in force today."""
    i, c = instrument_t.c, commitment_t.c
    users = sa.select(i.merchant_id).where(
        i.merchant_id.in_(in_area), i.mandatory.is_(True), i.state != InstrumentState.retired
    )
    signed = sa.select(c.merchant_id).where(c.signed_on <= today, sa.or_(c.revoked_on.is_(None), c.revoked_on > today))
    merchants = sa.select(merchant_t.c.id).where(merchant_t.c.id.in_(users))
    whole = (await connection.execute(sa.select(sa.func.count()).select_from(merchants.subquery()))).scalar_one()
    part = (
        await connection.execute(
            sa.select(sa.func.count()).select_from(merchants.where(merchant_t.c.id.in_(signed)).subquery())
        )
    ).scalar_one()
    return _share(part, whole)


async def _visits(connection: AsyncConnection, in_area: Any, start: date, end: date) -> dict[str, Decimal | None]:
    """Volunteer visits to the area's merchants in the year: how many, and for two checklist items the share of
    the visits that answered them with yes (of those answering yes or no)."""
    rows = await connection.execute(
        sa.select(visit_t.c.checks).where(
            visit_t.c.merchant_id.in_(in_area), visit_t.c.visited_on >= start, visit_t.c.visited_on <= end
        )
    )
    visits, answers = 0, {"units_and_readings_shown": [0, 0], "prices_marked": [0, 0]}
    for (checks,) in rows:
        visits += 1
        for item, tally in answers.items():
            answer = (checks or {}).get(item)
            tally[0] += answer == "yes"
            tally[1] += answer in ("yes", "no")
    return {
        "volunteer_visits": Decimal(visits),
        "visit_units_shown": _share(*answers["units_and_readings_shown"]),
        "visit_prices_marked": _share(*answers["prices_marked"]),
    }


async def _inspections(connection: AsyncConnection, in_area: Any, start: date, end: date) -> dict[str, Decimal]:
    """What the year's inspections of the area's merchants found: inspections that found a tampered instrument, and
    merchants found using instruments out of their period at two inspections or more (told, and not corrected)."""
    i = inspection_t.c
    in_year = sa.and_(i.merchant_id.in_(in_area), i.inspected_on >= start, i.inspected_on <= end)
    tampering = (await connection.execute(sa.select(sa.func.count()).where(in_year, i.tampered > 0))).scalar_one()
    repeated = (
        sa.select(i.merchant_id).where(in_year, i.unverified > 0).group_by(i.merchant_id).having(sa.func.count() >= 2)
    )
    not_corrected = (await connection.execute(sa.select(sa.func.count()).select_from(repeated.subquery()))).scalar_one()
    return {"tampering_found": Decimal(tampering), "unverified_not_corrected": Decimal(not_corrected)}


async def metrics(
    connection: AsyncConnection, area: Area, *, year: int, today: date, zone: ZoneInfo
) -> dict[str, Decimal | None]:
    """Every ``auto:`` metric for the area in the year (up to today). None: nothing to measure (no instruments,
    no complaints decided, no visit answering the item), which an assessor's entry may then fill."""
    start, end = _year(year, today)
    markets = list(area.market_ids)
    report = await build_report(
        connection, Scope.everything(), Period(start, end, zone), intent=Intent.complaint, market_ids=markets
    )
    on_time = report.total.on_time
    fair = (
        await connection.execute(
            sa.select(sa.func.count()).where(market_t.c.id.in_(markets), market_t.c.fair_scale_location != "")
        )
    ).scalar_one()
    in_area = sa.select(merchant_t.c.id).where(merchant_t.c.market_id.in_(markets)).scalar_subquery()
    points = (
        await connection.execute(sa.select(sa.func.count()).where(point_t.c.merchant_id.in_(in_area)))
    ).scalar_one()
    return {
        **await _instruments(connection, markets, today),
        "disputes_on_time": _share(on_time.part, on_time.whole),
        "fair_scale": _share(fair, len(markets)),
        "commitment_rate": await _commitments(connection, in_area, today),
        **await _visits(connection, in_area, start, end),
        "monitoring_points": Decimal(points),
        **await _inspections(connection, in_area, start, end),
    }


async def assessments(connection: AsyncConnection, area_id: int, year: int) -> dict[str, Decimal]:
    rows = await connection.execute(
        sa.select(assessment_t.c.item_code, assessment_t.c.value).where(
            assessment_t.c.area_id == area_id, assessment_t.c.year == year
        )
    )
    return {code: Decimal(str(value)) for code, value in rows}


async def values_of(
    connection: AsyncConnection, sheet: Sheet, area: Area, *, year: int, today: date, zone: ZoneInfo
) -> tuple[dict[str, Decimal | None], frozenset[str]]:
    """Each item's value — its metric for an ``auto:`` item that has something to measure, else the assessor's
    entry — and the codes of the items the service measured."""
    known = await metrics(connection, area, year=year, today=today, zone=zone)
    entered = await assessments(connection, area.id, year)
    values: dict[str, Decimal | None] = {}
    measured = set()
    for item in sheet.items:
        counted = known.get(item.metric) if item.metric else None
        if counted is not None:
            measured.add(item.code)
        values[item.code] = counted if counted is not None else entered.get(item.code)
    return values, frozenset(measured)


async def assess(
    connection: AsyncConnection, area_id: int, year: int, values: dict[str, Decimal], *, by: int | None
) -> None:
    """Store an assessor's values (replacing earlier ones for the same items). Run in a write transaction."""
    for code, value in values.items():
        await connection.execute(
            sa.delete(assessment_t).where(
                assessment_t.c.area_id == area_id, assessment_t.c.year == year, assessment_t.c.item_code == code
            )
        )
        await connection.execute(
            sa.insert(assessment_t).values(area_id=area_id, year=year, item_code=code, value=value, assessed_by=by)
        )
