"""What the targets are computed from: the registry's merchants and instruments, summed by profile — the station,
sector and grade of the merchant, and for an instrument its kind and whether compulsory verification applies —
with, for each period asked about, what a target counts: instruments in service at the period's end and those whose
verification was current then, verifications made in the period and how many passed, household meters installed in
it and those first-verified, meters within their term; merchants with a commitment in force and demonstration units
at the period's end.

The registry is read once per scoreboard and every period is worked out in the same pass; the targets then add up
the profiles they select, so a year with its twelve months costs one read and a few hundred sums per target. Rules
the registry cannot date are read as it stands now: an instrument's suspension (a suspended instrument is not in
service in any period) and a retirement recorded without its day.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Commitment, Instrument, Merchant, Verification, table_of
from lookup.rotation import HOUSEHOLD_METERS, RotationPolicy, first_verified, rotation
from lookup.vocab import InstrumentKind, InstrumentState, Sector, Standing

merchant_t, commitment_t = table_of(Merchant), table_of(Commitment)
instrument_t, verification_t = table_of(Instrument), table_of(Verification)
# Per span, what an instrument adds to its profile (INSTRUMENT_FIELDS) and a merchant to its (MERCHANT_FIELDS).
INSTRUMENT_FIELDS = ("serving", "current", "tested", "passed", "installed", "first_verified", "term_known", "in_term")
MERCHANT_FIELDS = ("merchants", "committed", "model")


@dataclass(frozen=True, slots=True)
class Span:
    """Local dates ``start`` … ``end``, both inclusive; ``end`` is never after the day the board is made."""

    start: date
    end: date
    key: str  # 2026, or 2026-05


@dataclass(frozen=True, slots=True)
class MerchantProfile:
    station_id: int
    sector: Sector
    grade: str


@dataclass(frozen=True, slots=True)
class InstrumentProfile:
    merchant: MerchantProfile
    kind: InstrumentKind
    mandatory: bool


class Sums(dict[str, list[int]]):
    """Field → per span, the sum over a profile's members."""

    def __init__(self, fields: Sequence[str], spans: int) -> None:
        super().__init__({name: [0] * spans for name in fields})


@dataclass(frozen=True, slots=True)
class Facts:
    spans: tuple[Span, ...]
    merchants: dict[MerchantProfile, Sums]
    instruments: dict[InstrumentProfile, Sums]


@dataclass(frozen=True, slots=True)
class _Record:
    performed_on: date
    valid_until: date
    passed: bool


async def _merchants(
    connection: AsyncConnection, spans: Sequence[Span]
) -> tuple[dict[int, MerchantProfile], dict[MerchantProfile, Sums]]:
    m, c = merchant_t.c, commitment_t.c
    signed: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for merchant_id, signed_on, revoked_on in await connection.execute(
        sa.select(c.merchant_id, c.signed_on, c.revoked_on)
    ):
        signed[merchant_id].append((signed_on, revoked_on))
    profiles: dict[int, MerchantProfile] = {}
    sums: dict[MerchantProfile, Sums] = {}
    rows = await connection.execute(sa.select(m.id, m.sector, m.grade, m.station_id, m.standing, m.standing_since))
    for merchant_id, sector, grade, station_id, standing, since in rows:
        profile = MerchantProfile(station_id, Sector(sector), grade or "")
        profiles[merchant_id] = profile
        tally = sums.get(profile) or sums.setdefault(profile, Sums(MERCHANT_FIELDS, len(spans)))
        model = Standing(standing) is Standing.model
        commitments = signed.get(merchant_id, ())
        for index, span in enumerate(spans):
            tally["merchants"][index] += 1
            tally["committed"][index] += any(
                on <= span.end and (off is None or off > span.end) for on, off in commitments
            )
            tally["model"][index] += model and (since is None or since <= span.end)
    return profiles, sums


async def _records(connection: AsyncConnection) -> dict[int, list[_Record]]:
    v = verification_t.c
    records: dict[int, list[_Record]] = defaultdict(list)
    result = await connection.execute(
        sa.select(v.instrument_id, v.performed_on, v.valid_until, v.passed).order_by(v.instrument_id, v.performed_on)
    )
    for instrument_id, performed_on, valid_until, passed in result:
        records[instrument_id].append(_Record(performed_on, valid_until, bool(passed)))
    return records


def _in_service(state: str, retired_on: date | None, installed_on: date | None, on: date) -> bool:
    if state == InstrumentState.suspended:
        return False
    if state == InstrumentState.retired and (retired_on is None or retired_on <= on):
        return False
    return installed_on is None or installed_on <= on


def _add_instrument(
    tally: Sums, row: Any, records: list[_Record], spans: Sequence[Span], policy: RotationPolicy
) -> None:
    kind, installed_on, state, retired_on = InstrumentKind(row.kind), row.installed_on, str(row.state), row.retired_on
    days = [record.performed_on for record in records]
    serving_sums, current_sums, tested_sums, passed_sums = (
        tally["serving"], tally["current"], tally["tested"], tally["passed"],
    )  # fmt: skip
    for index, span in enumerate(spans):
        serving = _in_service(state, retired_on, installed_on, span.end)
        newest = bisect.bisect_right(days, span.end)
        oldest = bisect.bisect_left(days, span.start)
        serving_sums[index] += serving
        current_sums[index] += serving and newest > 0 and records[newest - 1].valid_until >= span.end
        tested_sums[index] += newest - oldest
        passed_sums[index] += sum(records[n].passed for n in range(oldest, newest))
    if kind in HOUSEHOLD_METERS:
        _add_meter(tally, kind, row, records, spans, policy)


def _add_meter(
    tally: Sums, kind: InstrumentKind, row: Any, records: list[_Record], spans: Sequence[Span], policy: RotationPolicy
) -> None:
    """A household meter's installation, first verification and term, for each span."""
    installed_on, first = row.installed_on, (records[0] if records else None)
    verified_first = first_verified(installed_on, first)
    for index, span in enumerate(spans):
        installed = installed_on is not None and span.start <= installed_on <= span.end
        tally["installed"][index] += installed
        tally["first_verified"][index] += installed and verified_first
        meter = rotation(kind, installed_on=installed_on, first=first, policy=policy, on=span.end)
        if _in_service(str(row.state), row.retired_on, installed_on, span.end) and meter and meter.due is not None:
            tally["term_known"][index] += 1
            tally["in_term"][index] += meter.due >= span.end


async def load_facts(connection: AsyncConnection, spans: Sequence[Span], *, policy: RotationPolicy) -> Facts:
    """The registry's merchants and instruments summed by profile, for each span."""
    merchant_profiles, merchants = await _merchants(connection, spans)
    records = await _records(connection)
    i = instrument_t.c
    rows = await connection.execute(
        sa.select(i.id, i.merchant_id, i.kind, i.mandatory, i.state, i.retired_on, i.installed_on)
    )
    instruments: dict[InstrumentProfile, Sums] = {}
    for row in rows:
        profile = InstrumentProfile(merchant_profiles[row.merchant_id], InstrumentKind(row.kind), bool(row.mandatory))
        tally = instruments.get(profile) or instruments.setdefault(profile, Sums(INSTRUMENT_FIELDS, len(spans)))
        _add_instrument(tally, row, records.get(row.id, []), spans, policy)
    return Facts(tuple(spans), merchants, instruments)
