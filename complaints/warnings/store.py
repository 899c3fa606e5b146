"""Early warnings kept: the nightly run that turns findings into warnings, the list a station works from, acting on
a warning (an inspection, through a hotspot) or dismissing it, and what a station's digest would say.

A warning is one row per merchant or market, signal and category while it is open: a night that finds the rise
again refreshes its figures; a night that no longer does (chance could explain it, or it fell below the rule's
minimum) marks it ``subsided``. Each night runs once, whichever worker claims it first (``warning_run``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import EarlyWarning, Hotspot, WarningRun
from complaints.scope import Scope
from complaints.warnings.signals import MARKET, MERCHANT, Finding
from lookup.models import Market, Merchant, table_of

warning_t, run_t, hotspot_t = table_of(EarlyWarning), table_of(WarningRun), table_of(Hotspot)
merchant_t, market_t = table_of(Merchant), table_of(Market)
OPEN, ACTED, DISMISSED, SUBSIDED = "open", "acted", "dismissed", "subsided"
MAX_LISTED = 500
FOLLOWED = timedelta(days=7)  # a night or several without a run does not end a rise that was acted on


@dataclass(frozen=True, slots=True)
class NightRun:
    day: date
    ran: bool  # False: another worker had already claimed the night
    raised: int = 0
    refreshed: int = 0
    subsided: int = 0


async def claim_night(connection: AsyncConnection, day: date, *, worker: str, now: datetime) -> bool:
    """Claim the night's run; False when another worker already has. Run it in its own transaction."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(run_t).on_conflict_do_nothing(index_elements=[run_t.c.day])
    result = await connection.execute(
        statement, {"day": day, "started_at": now, "worker": worker[:100], "raised": 0, "refreshed": 0, "subsided": 0}
    )
    return bool(result.rowcount)


def _key(subject: str, subject_id: int, signal: str, category: str) -> tuple[int | None, int | None, str, str]:
    return (subject_id if subject == MERCHANT else None, subject_id if subject == MARKET else None, signal, category)


async def _stations(connection: AsyncConnection) -> dict[tuple[str, int], int]:
    stations: dict[tuple[str, int], int] = {}
    for merchant_id, station_id in await connection.execute(sa.select(merchant_t.c.id, merchant_t.c.station_id)):
        stations[(MERCHANT, merchant_id)] = station_id
    for market_id, station_id in await connection.execute(sa.select(market_t.c.id, market_t.c.station_id)):
        stations[(MARKET, market_id)] = station_id
    return stations


def _figures(finding: Finding, day: date) -> dict[str, Any]:
    return {
        "checked_on": day,
        "observed": finding.test.observed,
        "whole": finding.whole,
        "expected": round(finding.test.expected, 4),
        "p_value": finding.test.p_value,
        "evidence": finding.evidence,
    }


async def apply_findings(
    connection: AsyncConnection, findings: Sequence[Finding], *, day: date, now: datetime
) -> tuple[int, int, int]:
    """Raise, refresh and subside warnings after the night's findings; (raised, refreshed, subsided)."""
    w = warning_t.c
    open_rows = await connection.execute(
        sa.select(w.id, w.merchant_id, w.market_id, w.signal, w.category).where(w.state == OPEN)
    )
    open_ids = {(merchant, market, signal, category): id_ for id_, merchant, market, signal, category in open_rows}
    # A warning acted on or dismissed while its rise goes on is followed, not raised again each night.
    closed_rows = await connection.execute(
        sa.select(w.id, w.merchant_id, w.market_id, w.signal, w.category).where(
            w.state.in_((ACTED, DISMISSED)), w.checked_on >= day - FOLLOWED
        )
    )
    followed = {(merchant, market, signal, category): id_ for id_, merchant, market, signal, category in closed_rows}
    stations = await _stations(connection)
    raised = refreshed = 0
    still_open = set()
    for finding in findings:
        key = _key(finding.subject, finding.subject_id, finding.signal, finding.category)
        if key in open_ids or key in followed:
            if key in open_ids:
                still_open.add(open_ids[key])
                refreshed += 1
            warning_id = open_ids.get(key) or followed[key]
            await connection.execute(sa.update(warning_t).where(w.id == warning_id).values(**_figures(finding, day)))
        elif finding.test.significant:
            merchant_id, market_id, signal, category = key
            await connection.execute(
                sa.insert(warning_t).values(
                    merchant_id=merchant_id, market_id=market_id, signal=signal, category=category,
                    station_id=stations.get((finding.subject, finding.subject_id)), raised_on=day, state=OPEN,
                    **_figures(finding, day),
                )
            )  # fmt: skip
            raised += 1
    gone = [id_ for id_ in open_ids.values() if id_ not in still_open]
    if gone:
        await connection.execute(sa.update(warning_t).where(w.id.in_(gone)).values(state=SUBSIDED, closed_at=now))
    return raised, refreshed, len(gone)


@dataclass(frozen=True, slots=True)
class WarningView:
    id: int
    merchant_id: int | None
    market_id: int | None
    subject_name: str
    station_id: int | None
    signal: str
    category: str
    raised_on: date
    checked_on: date
    observed: int
    whole: int | None
    expected: float
    p_value: float
    evidence: dict[str, Any]
    state: str
    hotspot_id: int | None


def _in_scope(scope: Scope) -> sa.ColumnElement[bool]:
    if scope.station_ids is None:
        return sa.true()
    return warning_t.c.station_id.in_(sorted(scope.station_ids))


def _select() -> sa.Select[Any]:
    w = warning_t.c
    name = sa.func.coalesce(merchant_t.c.name, market_t.c.name).label("subject_name")
    return (
        sa.select(w.id, w.merchant_id, w.market_id, name, w.station_id, w.signal, w.category, w.raised_on,
                  w.checked_on, w.observed, w.whole, w.expected, w.p_value, w.evidence, w.state, w.hotspot_id)
        .select_from(warning_t.outerjoin(merchant_t, merchant_t.c.id == w.merchant_id)
                     .outerjoin(market_t, market_t.c.id == w.market_id))
    )  # fmt: skip


def _view(row: Any) -> WarningView:
    return WarningView(**row._mapping)


async def open_warnings(connection: AsyncConnection, scope: Scope, *, limit: int = MAX_LISTED) -> list[WarningView]:
    """The scope's open warnings, the least likely by chance first."""
    w = warning_t.c
    statement = _select().where(w.state == OPEN, _in_scope(scope)).order_by(w.p_value, w.id.desc()).limit(limit)
    return [_view(row) for row in await connection.execute(statement)]


async def warning_in_scope(connection: AsyncConnection, warning_id: int, scope: Scope) -> WarningView | None:
    row = (await connection.execute(_select().where(warning_t.c.id == warning_id, _in_scope(scope)))).first()
    return _view(row) if row is not None else None


async def merchants_of_market(connection: AsyncConnection, market_id: int) -> list[tuple[int, str, str]]:
    """(id, name, stall) of a market's merchants, for choosing whom to inspect."""
    m = merchant_t.c
    rows = await connection.execute(
        sa.select(m.id, m.name, m.stall).where(m.market_id == market_id).order_by(m.stall, m.name)
    )
    return [(row.id, row.name, row.stall) for row in rows]


async def act_on(
    connection: AsyncConnection, warning: WarningView, merchant_id: int, *, by: int | None, now: datetime
) -> int:
    """Ask for an inspection of the merchant: its open hotspot, or a new one; the warning is ``acted``. Returns the
    hotspot's id. Run it in a write transaction."""
    h = hotspot_t.c
    hotspot_id = (
        await connection.execute(sa.select(h.id).where(h.merchant_id == merchant_id, h.cleared_at.is_(None)))
    ).scalar()
    if hotspot_id is None:
        station = (
            await connection.execute(sa.select(merchant_t.c.station_id).where(merchant_t.c.id == merchant_id))
        ).scalar_one()
        hotspot_id = (
            await connection.execute(
                sa.insert(hotspot_t)
                .values(merchant_id=merchant_id, station_id=station, raised_at=now, last_complaint_at=now,
                        complaint_count=warning.observed if warning.signal == "complaints" else 0)
                .returning(h.id)
            )
        ).scalar_one()  # fmt: skip
    await connection.execute(
        sa.update(warning_t)
        .where(warning_t.c.id == warning.id)
        .values(state=ACTED, closed_at=now, closed_by=by, hotspot_id=hotspot_id)
    )
    return int(hotspot_id)


async def dismiss(connection: AsyncConnection, warning_id: int, *, by: int | None, now: datetime) -> None:
    await connection.execute(
        sa.update(warning_t)
        .where(warning_t.c.id == warning_id, warning_t.c.state == OPEN)
        .values(state=DISMISSED, closed_at=now, closed_by=by)
    )


async def warnings_for_digest(connection: AsyncConnection, station_id: int, *, since: date) -> list[WarningView]:
    """What a station's digest should tell: the station's warnings raised on or after ``since`` that are still
    open, least likely by chance first. Each links to ``/warnings/{id}``, where the station acts on it."""
    w = warning_t.c
    statement = (
        _select().where(w.state == OPEN, w.station_id == station_id, w.raised_on >= since).order_by(w.p_value, w.id)
    )
    return [_view(row) for row in await connection.execute(statement)]
