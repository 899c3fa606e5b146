"""A station's due list: household meters whose term ends soon or has ended (到期轮换), and instruments whose
verification expires soon or has expired (周期检定)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.legal_use import LegalUse
from lookup.models import Instrument, Market, Merchant, Station, Verification, table_of
from lookup.rotation import HOUSEHOLD_METERS, RotationPolicy, RotationState, rotation
from lookup.status import EXPIRY_WARNING
from lookup.vocab import InstrumentKind, InstrumentState

instrument_t, merchant_t, market_t, station_t, verification_t = (
    table_of(Instrument), table_of(Merchant), table_of(Market), table_of(Station), table_of(Verification),
)  # fmt: skip
MAX_LISTED = 1000  # a longer list is a job for the export of codes, not a page


@dataclass(frozen=True, slots=True)
class DueEntry:
    code: str
    kind: InstrumentKind
    serial_no: str
    merchant_id: int
    merchant: str
    place: str  # market and stall, or the merchant's address
    station: str
    installed_on: date | None
    due: date  # the end of the meter's term, or the verification's validity
    overdue: bool


@dataclass(frozen=True, slots=True)
class DueList:
    meters: tuple[DueEntry, ...]  # household meters due for replacement, soonest first
    meters_unknown: int  # household meters with neither a first verification nor an installation date
    verifications: tuple[DueEntry, ...]  # other instruments due for periodic verification, soonest first


@dataclass(frozen=True, slots=True)
class _Record:
    performed_on: date
    valid_until: date
    passed: bool


def _base(station_ids: frozenset[int] | None, legal_use: LegalUse | None = None) -> tuple[sa.Select[Any], Any]:
    i, m, k, s = instrument_t.c, merchant_t.c, market_t.c, station_t.c
    statement = (
        sa.select(i.id, i.code, i.kind, i.serial_no, i.installed_on, m.id, m.name, m.stall, m.address, k.name, s.name)
        .select_from(
            instrument_t.join(merchant_t, m.id == i.merchant_id)
            .join(station_t, s.id == m.station_id)
            .outerjoin(market_t, k.id == m.market_id)
        )
        .where(i.state != InstrumentState.retired)
    )
    if station_ids is not None:
        statement = statement.where(m.station_id.in_(sorted(station_ids)))
    if legal_use is not None:
        statement = statement.where(i.legal_use == legal_use)
    return statement, i


def _entry(row: Any, due: date, overdue: bool) -> DueEntry:
    _, code, kind, serial_no, installed_on, merchant_id, merchant, stall, address, market, station = row
    place = " ".join(part for part in (market or "", stall) if part) or address
    return DueEntry(code, InstrumentKind(kind), serial_no, merchant_id, merchant, place, station, installed_on, due,
                    overdue)  # fmt: skip


async def _meters(
    connection: AsyncConnection,
    station_ids: frozenset[int] | None,
    policy: RotationPolicy,
    on: date,
    legal_use: LegalUse | None = None,
) -> tuple[list[DueEntry], int]:
    statement, i = _base(station_ids, legal_use)
    kinds = sorted(kind for kind in HOUSEHOLD_METERS if kind in policy.years)
    if not kinds:
        return [], 0
    v = verification_t.alias("first")
    first_id = sa.select(v.c.id).where(v.c.instrument_id == i.id).order_by(v.c.performed_on).limit(1).scalar_subquery()
    first = verification_t.alias("first_record")
    rows = await connection.execute(
        statement.add_columns(first.c.performed_on, first.c.valid_until, first.c.passed)
        .outerjoin(first, first.c.id == first_id)
        .where(i.kind.in_(kinds))
    )
    due, unknown = [], 0
    for row in rows:
        record = _Record(*row[-3:]) if row[-3] is not None else None
        meter = rotation(InstrumentKind(row.kind), installed_on=row.installed_on, first=record, policy=policy, on=on)
        if meter is None or meter.state is RotationState.in_term:
            continue
        if meter.due is None:
            unknown += 1
            continue
        due.append(_entry(row[:11], meter.due, meter.state is RotationState.overdue))
    due.sort(key=lambda entry: (entry.due, entry.code))
    return due[:MAX_LISTED], unknown


async def _verifications(
    connection: AsyncConnection,
    station_ids: frozenset[int] | None,
    policy: RotationPolicy,
    on: date,
    legal_use: LegalUse | None = None,
) -> list[DueEntry]:
    statement, i = _base(station_ids, legal_use)
    v = verification_t.alias("newest")
    newest_id = (
        sa.select(v.c.id).where(v.c.instrument_id == i.id).order_by(v.c.performed_on.desc()).limit(1).scalar_subquery()
    )
    latest = verification_t.alias("latest")
    rotating = [kind for kind in HOUSEHOLD_METERS if kind in policy.years]  # these are replaced, not re-verified
    rows = await connection.execute(
        statement.add_columns(latest.c.valid_until)
        .join(latest, latest.c.id == newest_id)
        .where(
            latest.c.passed.is_(True),
            latest.c.valid_until <= on + EXPIRY_WARNING,
            i.state == InstrumentState.in_use,
            i.kind.not_in(rotating) if rotating else sa.true(),
        )
        .order_by(latest.c.valid_until, i.code)
        .limit(MAX_LISTED)
    )
    return [_entry(row[:11], row[-1], row[-1] < on) for row in rows]


async def due_list(
    connection: AsyncConnection,
    *,
    station_ids: frozenset[int] | None,
    policy: RotationPolicy,
    on: date,
    legal_use: LegalUse | None = None,
) -> DueList:
    """The stations' (or, with None, the district's) due list on ``on``: meters within the policy's warning of
    the end of their term or past it, and other instruments in use within 30 days of their verification's end or
    past it; with ``legal_use``, only the instruments of that field of use (用途)."""
    meters, unknown = await _meters(connection, station_ids, policy, on, legal_use)
    verifications = await _verifications(connection, station_ids, policy, on, legal_use)
    return DueList(tuple(meters), unknown, tuple(verifications))
