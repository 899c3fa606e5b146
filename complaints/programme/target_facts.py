"""What the targets are computed from: every merchant and instrument of the registry with, for each period asked
about, the facts a target counts (in service at the period's end, verification current then, verifications made in
the period and how many passed, a household meter installed in it and first-verified, still within its term; a
merchant's commitment in force and demonstration standing at the period's end).

The registry is read once per scoreboard and the facts of every period are worked out in one pass, so a year with
its twelve months costs one read. Rules the registry cannot date are read as it stands now: an instrument's
suspension (a suspended instrument is not in service in any period) and a retirement recorded without its day.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Commitment, Instrument, Merchant, Verification, table_of
from lookup.rotation import HOUSEHOLD_METERS, RotationPolicy, first_verified, rotation
from lookup.vocab import InstrumentKind, InstrumentState, Sector, Standing

merchant_t, commitment_t = table_of(Merchant), table_of(Commitment)
instrument_t, verification_t = table_of(Instrument), table_of(Verification)


@dataclass(frozen=True, slots=True)
class Span:
    """Local dates ``start`` … ``end``, both inclusive; ``end`` is never after the day the board is made."""

    start: date
    end: date
    key: str  # 2026, or 2026-05


@dataclass(slots=True)
class MerchantFacts:
    sector: Sector
    grade: str
    station_id: int
    committed: list[bool] = field(default_factory=list)  # per span: a commitment in force at its end
    model: list[bool] = field(default_factory=list)  # per span: a demonstration unit at its end


@dataclass(slots=True)
class InstrumentFacts:
    kind: InstrumentKind
    mandatory: bool
    merchant: MerchantFacts
    in_service: list[bool] = field(default_factory=list)  # per span, at its end
    current: list[bool] = field(default_factory=list)  # per span: the latest verification by its end covers it
    tested: list[int] = field(default_factory=list)  # per span: verifications performed in it
    passed: list[int] = field(default_factory=list)
    installed: list[bool] = field(default_factory=list)  # per span: a household meter installed in it
    in_term: list[bool | None] = field(default_factory=list)  # per span: a household meter within its term
    first_verified: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    spans: tuple[Span, ...]
    merchants: tuple[MerchantFacts, ...]
    instruments: tuple[InstrumentFacts, ...]


@dataclass(frozen=True, slots=True)
class _Record:
    performed_on: date
    valid_until: date
    passed: bool


async def _merchants(connection: AsyncConnection, spans: Sequence[Span]) -> dict[int, MerchantFacts]:
    m, c = merchant_t.c, commitment_t.c
    signed: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for merchant_id, signed_on, revoked_on in await connection.execute(
        sa.select(c.merchant_id, c.signed_on, c.revoked_on)
    ):
        signed[merchant_id].append((signed_on, revoked_on))
    found = {}
    rows = await connection.execute(sa.select(m.id, m.sector, m.grade, m.station_id, m.standing, m.standing_since))
    for merchant_id, sector, grade, station_id, standing, since in rows:
        facts = MerchantFacts(Sector(sector), grade or "", station_id)
        for span in spans:
            facts.committed.append(
                any(on <= span.end and (off is None or off > span.end) for on, off in signed.get(merchant_id, ()))
            )
            facts.model.append(Standing(standing) is Standing.model and (since is None or since <= span.end))
        found[merchant_id] = facts
    return found


async def _records(connection: AsyncConnection) -> dict[int, list[_Record]]:
    v = verification_t.c
    records: dict[int, list[_Record]] = defaultdict(list)
    result = await connection.stream(
        sa.select(v.instrument_id, v.performed_on, v.valid_until, v.passed).order_by(v.instrument_id, v.performed_on)
    )
    async for instrument_id, performed_on, valid_until, passed in result:
        records[instrument_id].append(_Record(performed_on, valid_until, bool(passed)))
    return records


def _in_service(state: str, retired_on: date | None, installed_on: date | None, on: date) -> bool:
    if state == InstrumentState.suspended:
        return False
    if state == InstrumentState.retired and (retired_on is None or retired_on <= on):
        return False
    return installed_on is None or installed_on <= on


def _instrument(
    row: Any, merchant: MerchantFacts, records: list[_Record], spans: Sequence[Span],
    policy: RotationPolicy,
) -> InstrumentFacts:  # fmt: skip
    kind, mandatory, state, retired_on, installed_on = (
        row.kind,
        row.mandatory,
        row.state,
        row.retired_on,
        row.installed_on,
    )
    facts = InstrumentFacts(InstrumentKind(kind), bool(mandatory), merchant)
    days = [record.performed_on for record in records]
    household = facts.kind in HOUSEHOLD_METERS
    first = records[0] if records else None
    facts.first_verified = household and first_verified(installed_on, first)
    for span in spans:
        facts.in_service.append(_in_service(str(state), retired_on, installed_on, span.end))
        newest = bisect.bisect_right(days, span.end)
        facts.current.append(newest > 0 and records[newest - 1].valid_until >= span.end)
        made = records[bisect.bisect_left(days, span.start) : newest]
        facts.tested.append(len(made))
        facts.passed.append(sum(record.passed for record in made))
        facts.installed.append(household and installed_on is not None and span.start <= installed_on <= span.end)
        meter = rotation(facts.kind, installed_on=installed_on, first=first, policy=policy, on=span.end)
        facts.in_term.append(None if meter is None or meter.due is None else meter.due >= span.end)
    return facts


async def load_facts(connection: AsyncConnection, spans: Sequence[Span], *, policy: RotationPolicy) -> Facts:
    """Every merchant and instrument of the registry with its facts for each span."""
    merchants = await _merchants(connection, spans)
    records = await _records(connection)
    i = instrument_t.c
    rows = await connection.execute(
        sa.select(i.id, i.merchant_id, i.kind, i.mandatory, i.state, i.retired_on, i.installed_on)
    )
    instruments = tuple(
        _instrument(row, merchants[row.merchant_id], records.get(row.id, []), spans, policy) for row in rows
    )
    return Facts(tuple(spans), tuple(merchants.values()), instruments)
