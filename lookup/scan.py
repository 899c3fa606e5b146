"""What a scan reads: one instrument's card, by code.

A scan is the hottest path in the service (thousands a second at a province's peak), and an ORM session
costs more than the query itself. So the two statements below are built from the models once, compiled
for the database's dialect, and run by the composition root on a raw driver connection; this module owns
what is asked and how the answer is read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from lookup.models import Commitment, Instrument, Market, Merchant, Station, Verification, table_of
from lookup.rotation import MeterRotation, RotationPolicy, first_record, rotation
from lookup.status import instrument_status, latest
from lookup.vocab import InstrumentKind, InstrumentState, Sector, Standing, Status, VerificationKind

HISTORY_SHOWN = 5

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class VerificationView:
    kind: VerificationKind
    performed_on: date
    valid_until: date
    passed: bool
    certificate_no: str
    institution: str


@dataclass(frozen=True, slots=True)
class InstrumentCard:
    instrument_id: int
    code: str
    kind: InstrumentKind
    mandatory: bool
    model: str
    serial_no: str
    manufacturer: str
    pattern_approval: str
    state: InstrumentState
    merchant_id: int
    merchant_name: str
    standing: Standing
    sector: Sector
    stall: str
    merchant_address: str
    market_id: int | None
    market_name: str | None
    fair_scale_location: str | None
    station_name: str
    station_phone: str
    commitment_text: str | None
    commitment_signed_on: date | None
    verifications: tuple[VerificationView, ...]  # newest first
    installed_on: date | None = None  # household meters
    commitment_online: bool = False  # signed on the merchant's page (电子承诺书), not on paper

    @property
    def last_verification(self) -> VerificationView | None:
        return latest(self.verifications)

    def rotation(self, policy: RotationPolicy, on: date) -> MeterRotation | None:
        """A household meter's first verification and rotation. Its first verification is the oldest record read:
        the scan reads the last few, and a household meter is verified once, before it is fitted."""
        return rotation(
            self.kind, installed_on=self.installed_on, first=first_record(self.verifications), policy=policy, on=on
        )

    def status(self, on: date) -> Status:
        return instrument_status(
            state=self.state, mandatory=self.mandatory, latest_record=self.last_verification, on=on
        )


def _active_commitment_id() -> sa.ScalarSelect[Any]:
    """The merchant's newest commitment that has not been revoked."""
    newest = table_of(Commitment).alias("newest").c
    return (
        sa.select(newest.id)
        .where(newest.merchant_id == table_of(Merchant).c.id, newest.revoked_on.is_(None))
        .order_by(newest.signed_on.desc(), newest.id.desc())
        .limit(1)
        .correlate(table_of(Merchant))
        .scalar_subquery()
    )


def _cards_select() -> sa.Select[Any]:
    i, m, k, s, c = (
        table_of(Instrument).c,
        table_of(Merchant).c,
        table_of(Market).c,
        table_of(Station).c,
        table_of(Commitment).c,
    )
    return sa.select(
        i.id,
        i.code,
        i.kind,
        i.mandatory,
        i.model,
        i.serial_no,
        i.manufacturer,
        i.pattern_approval,
        i.state,
        m.id,
        m.name,
        m.standing,
        m.sector,
        m.stall,
        m.address,
        k.id,
        k.name,
        k.fair_scale_location,
        s.name,
        s.phone,
        c.text,
        c.signed_on,
        i.installed_on,
        c.signed_at.is_not(None),
    ).select_from(
        table_of(Instrument)
        .join(table_of(Merchant), m.id == i.merchant_id)
        .join(table_of(Station), s.id == m.station_id)
        .outerjoin(table_of(Market), k.id == m.market_id)
        .outerjoin(table_of(Commitment), c.id == _active_commitment_id())
    )


@functools.cache  # built once: building costs about a millisecond, more than running it
def _card_statement() -> sa.Select[Any]:
    return _cards_select().where(table_of(Instrument).c.code == sa.bindparam("code"))


@functools.cache
def _history_statement() -> sa.Select[Any]:
    v = table_of(Verification).c
    return (
        sa.select(v.kind, v.performed_on, v.valid_until, v.passed, v.certificate_no, v.institution)
        .where(v.instrument_id == sa.bindparam("instrument_id"))
        .order_by(v.performed_on.desc(), v.id.desc())  # the id: two records of one day come in one order
        .limit(HISTORY_SHOWN)
    )


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """SQL text for one dialect with its positional parameters; one of them is filled per call."""

    sql: str
    fixed: tuple[Any, ...]
    slot: int

    def parameters(self, value: Any) -> tuple[Any, ...]:
        return (*self.fixed[: self.slot], value, *self.fixed[self.slot + 1 :])


@dataclass(frozen=True, slots=True)
class CompiledScan:
    card: CompiledStatement  # parameter: the code
    history: CompiledStatement  # parameter: the instrument's id


def _compile(statement: sa.Select[Any], dialect: Dialect, name: str) -> CompiledStatement:
    compiled = statement.compile(dialect=dialect)
    order = compiled.positiontup
    assert order is not None, f"{dialect.name} must use a positional parameter style"
    return CompiledStatement(sql=str(compiled), fixed=tuple(compiled.params[n] for n in order), slot=order.index(name))


def compile_scan(dialect: Dialect) -> CompiledScan:
    return CompiledScan(
        card=_compile(_card_statement(), dialect, "code"),
        history=_compile(_history_statement(), dialect, "instrument_id"),
    )


def _as_date(value: Any) -> date:
    # sqlite3 hands back SQLAlchemy's ISO text; asyncpg hands back date objects.
    return value if isinstance(value, date) else date.fromisoformat(value)


def _members(enum: type[E]) -> dict[str, E]:
    return {member.value: member for member in enum}


# Dictionary lookups: calling an Enum class costs a microsecond, and a scan converts six values.
_KINDS, _STATES, _STANDINGS, _SECTORS, _RECORD_KINDS = (
    _members(InstrumentKind), _members(InstrumentState), _members(Standing), _members(Sector),
    _members(VerificationKind),
)  # fmt: skip


def card_from_rows(row: Sequence[Any], history: Sequence[Sequence[Any]]) -> InstrumentCard:
    (
        instrument_id, code, kind, mandatory, model, serial_no, manufacturer, pattern_approval, state,
        merchant_id, merchant_name, standing, sector, stall, merchant_address,
        market_id, market_name, fair_scale_location,
        station_name, station_phone,
        commitment_text, commitment_signed_on, installed_on, commitment_online,
    ) = row  # fmt: skip
    return InstrumentCard(
        instrument_id=instrument_id,
        code=code,
        kind=_KINDS[kind],
        mandatory=bool(mandatory),
        model=model,
        serial_no=serial_no,
        manufacturer=manufacturer,
        pattern_approval=pattern_approval,
        state=_STATES[state],
        merchant_id=merchant_id,
        merchant_name=merchant_name,
        standing=_STANDINGS[standing],
        sector=_SECTORS[sector],
        stall=stall,
        merchant_address=merchant_address,
        market_id=market_id,
        market_name=market_name,
        fair_scale_location=fair_scale_location,
        station_name=station_name,
        station_phone=station_phone,
        commitment_text=commitment_text,
        commitment_signed_on=_as_date(commitment_signed_on) if commitment_signed_on is not None else None,
        commitment_online=bool(commitment_online),
        verifications=tuple(
            VerificationView(
                kind=_RECORD_KINDS[v_kind],
                performed_on=_as_date(performed_on),
                valid_until=_as_date(valid_until),
                passed=bool(passed),
                certificate_no=certificate_no,
                institution=institution,
            )
            for v_kind, performed_on, valid_until, passed, certificate_no, institution in history
        ),
        installed_on=_as_date(installed_on) if installed_on is not None else None,
    )


@functools.cache
def _many_statements() -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The card and history statements for many instruments at once, built once (building one costs a
    millisecond, more than running it)."""
    v = table_of(Verification).c
    cards = _cards_select().where(table_of(Instrument).c.code.in_(sa.bindparam("codes", expanding=True)))
    history = (
        sa.select(v.instrument_id, v.kind, v.performed_on, v.valid_until, v.passed, v.certificate_no, v.institution)
        .where(v.instrument_id.in_(sa.bindparam("ids", expanding=True)))
        .order_by(v.instrument_id, v.performed_on.desc(), v.id.desc())
    )
    return cards, history


def read_cards(connection: sa.Connection, codes: Sequence[str]) -> dict[str, InstrumentCard]:
    """The cards of many codes in two statements (the pages rendered in bulk); codes without an instrument are
    left out."""
    if not codes:
        return {}
    cards, history = _many_statements()
    rows = connection.execute(cards, {"codes": list(codes)}).all()
    records: dict[int, list[tuple[Any, ...]]] = {row[0]: [] for row in rows}
    if records:
        for instrument_id, *record in connection.execute(history, {"ids": list(records)}):
            kept = records[instrument_id]
            if len(kept) < HISTORY_SHOWN:
                kept.append(tuple(record))
    return {row[1]: card_from_rows(tuple(row), records[row[0]]) for row in rows}


def read_card(connection: sa.Connection, code: str) -> InstrumentCard | None:
    """The scan of ``code`` over a plain SQLAlchemy connection (seeding and scripts; the web reads through its
    own scan readers, which skip SQLAlchemy on the hot path)."""
    row = connection.execute(_card_statement(), {"code": code}).first()
    if row is None:
        return None
    history = connection.execute(_history_statement(), {"instrument_id": row[0]}).all()
    return card_from_rows(tuple(row), [tuple(entry) for entry in history])
