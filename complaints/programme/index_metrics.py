"""What the service knows about an area, as the integrity index's ``auto:`` items read it (complaints/
integrity_index.py): instrument pass rate, registration, complaints decided on time, fair scales, volunteer
visits, and what inspections found. An area is the merchants of its markets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import IndexArea, IndexAreaMarket, IndexAssessment, Inspection, VolunteerVisit
from complaints.programme.integrity_index import Sheet
from complaints.reporting.reports import Period, build_report
from complaints.scope import Scope
from complaints.workflow import Intent
from lookup.listing import instrument_entries
from lookup.models import Market, Merchant, table_of
from lookup.problems import Kind, Problem
from lookup.status import PRESENTATION

area_t, area_market_t, assessment_t = table_of(IndexArea), table_of(IndexAreaMarket), table_of(IndexAssessment)
market_t, merchant_t = table_of(Market), table_of(Merchant)
inspection_t, visit_t = table_of(Inspection), table_of(VolunteerVisit)


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


async def _rate(connection: AsyncConnection, area: Area, today: date) -> tuple[Decimal | None, Decimal]:
    trusted = total = 0
    for market in area.market_names:
        async for entry in instrument_entries(connection, on=today, market=market, include_retired=False):
            total += 1
            trusted += PRESENTATION[entry.status].trustworthy
    return (Decimal(trusted) / Decimal(total) if total else None), Decimal(1 if total else 0)


async def metrics(
    connection: AsyncConnection, area: Area, *, year: int, today: date, zone: ZoneInfo
) -> dict[str, Decimal | None]:
    """Every ``auto:`` metric for the area in the year (up to today). None: nothing to measure (no instruments,
    no complaints decided), which scores nothing rather than full marks."""
    start, end = _year(year, today)
    markets = list(area.market_ids)
    pass_rate, registered = await _rate(connection, area, today)
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
    visits = (
        await connection.execute(
            sa.select(sa.func.count()).where(
                visit_t.c.merchant_id.in_(in_area), visit_t.c.visited_on >= start, visit_t.c.visited_on <= end
            )
        )
    ).scalar_one()
    found = (
        await connection.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(inspection_t.c.tampered), 0),
                sa.func.count().filter(inspection_t.c.short_weight_found.is_(True)),
            ).where(
                inspection_t.c.merchant_id.in_(in_area),
                inspection_t.c.inspected_on >= start,
                inspection_t.c.inspected_on <= end,
            )
        )
    ).one()
    return {
        "instrument_pass_rate": pass_rate,
        "instrument_database": registered,
        "disputes_on_time": Decimal(on_time.part) / Decimal(on_time.whole) if on_time.whole else None,
        "fair_scale": Decimal(fair) / Decimal(len(markets)) if markets else None,
        "volunteer_visits": Decimal(visits),
        "tampered_found": Decimal(found[0]),
        "short_weight_found": Decimal(found[1]),
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
) -> dict[str, Decimal | None]:
    """Each item's value: its metric for ``auto:`` items, the assessor's entry for the others."""
    known = await metrics(connection, area, year=year, today=today, zone=zone)
    entered = await assessments(connection, area.id, year)
    return {item.code: known.get(item.metric) if item.metric else entered.get(item.code) for item in sheet.items}


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
