"""Importing an instrument ledger into the registry: idempotent, batched, and honest about every row.

Rows are written in batches, one transaction each. A batch holds whole rows, so a crash or a failed batch
never leaves a merchant without the instruments of its rows, and what earlier batches committed stays; a
re-run of the same file then changes nothing that is already there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lookup.commitment_text import CURRENT_VERSION, TEXTS
from lookup.ledger_read import RowError, parse_row, read_ledger
from lookup.ledger_row import LedgerRow
from lookup.models import Commitment, Instrument, Market, Merchant, Station, Verification, table_of
from lookup.vocab import VerificationKind
from qr.codes import new_code

BATCH_ROWS = 2000

T = TypeVar("T")

station_t, market_t, merchant_t = table_of(Station), table_of(Market), table_of(Merchant)
instrument_t, verification_t, commitment_t = (
    table_of(Instrument),
    table_of(Verification),
    table_of(Commitment),
)


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass
class _Names:
    """Station and market ids by name, kept across the batches of one import."""

    stations: dict[str, int] = field(default_factory=dict)
    markets: dict[str, int] = field(default_factory=dict)


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


async def import_ledger(
    engine: AsyncEngine, path: Path, *, today: date, make_code: Callable[[], str] = new_code
) -> ImportReport:
    """Read, validate and import a ledger file. Raises LedgerFormatError for a file it cannot read."""
    ledger = read_ledger(path)
    report = ImportReport()
    if ledger.ignored_headers:
        report.notices.append("忽略了无法识别的列：" + "、".join(ledger.ignored_headers))

    def valid_rows() -> Iterator[tuple[int, LedgerRow]]:
        for number, raw in ledger.rows():
            parsed = parse_row(raw, today=today)
            if isinstance(parsed, LedgerRow):
                yield number, parsed
            else:
                report.rejected.append(RowError(row=number, reasons=parsed))

    await import_rows(engine, valid_rows(), report=report, make_code=make_code)
    return report


async def import_rows(
    engine: AsyncEngine,
    rows: Iterable[tuple[int, LedgerRow]],
    *,
    report: ImportReport | None = None,
    make_code: Callable[[], str] = new_code,
) -> ImportReport:
    report = report if report is not None else ImportReport()
    names = _Names()
    for batch in _batches(rows, BATCH_ROWS):
        async with engine.begin() as connection:
            batch_import = _BatchImport(connection, names, make_code)
            outcomes = await batch_import.run([row for _, row in batch])
        for outcome in outcomes:
            if outcome == "added":
                report.added += 1
            elif outcome == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
    return report


MERCHANT_FIELDS = ("name", "sector", "market_id", "stall", "address", "station_id")
INSTRUMENT_FIELDS = ("kind", "mandatory", "model", "manufacturer", "pattern_approval")
VERIFICATION_FIELDS = ("valid_until", "passed", "certificate_no", "institution")


def _differs(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return any(current[key] != value for key, value in wanted.items())


class _BatchImport:
    def __init__(self, connection: AsyncConnection, names: _Names, make_code: Callable[[], str]) -> None:
        self.connection = connection
        self.names = names
        self.make_code = make_code

    async def run(self, rows: Sequence[LedgerRow]) -> list[str]:
        changed = [False] * len(rows)
        await self._resolve_places(rows)
        merchant_ids = await self._merchants(rows, changed)
        instrument_ids, added = await self._instruments(rows, merchant_ids, changed)
        await self._verifications(rows, instrument_ids, changed)
        await self._commitments(rows, merchant_ids, changed)
        return ["added" if a else "updated" if c else "unchanged" for a, c in zip(added, changed, strict=True)]

    async def _resolve_places(self, rows: Sequence[LedgerRow]) -> None:
        stations = {row.station: row.district for row in rows if row.station not in self.names.stations}
        if stations:
            self.names.stations.update(await self._ensure(station_t, {n: {"district": d} for n, d in stations.items()}))
        markets = {
            row.market: {"district": row.district, "station_id": self.names.stations[row.station]}
            for row in rows
            if row.market and row.market not in self.names.markets
        }
        if markets:
            self.names.markets.update(await self._ensure(market_t, markets))

    # RETURNING rows are matched back by their natural key (name, credit code, merchant and serial), never by
    # position: asking SQLAlchemy to keep parameter order makes it send one INSERT per row on SQLite.

    async def _ensure(self, table: sa.Table, wanted: dict[str, dict[str, Any]]) -> dict[str, int]:
        """Ids by name, inserting the names not yet in the table (with the given columns)."""
        found = await self.connection.execute(sa.select(table.c.name, table.c.id).where(table.c.name.in_(list(wanted))))
        ids: dict[str, int] = {row.name: row.id for row in found}
        missing = [{"name": name, **values} for name, values in wanted.items() if name not in ids]
        if missing:
            defaults = (
                {"phone": "", "address": ""}
                if table is station_t
                else {"aliases": [], "address": "", "fair_scale_location": ""}
            )
            inserted = await self.connection.execute(
                sa.insert(table).returning(table.c.name, table.c.id),
                [{**defaults, **row} for row in missing],
            )
            ids.update({row.name: row.id for row in inserted})
        return ids

    async def _merchants(self, rows: Sequence[LedgerRow], changed: list[bool]) -> list[int]:
        usccs = list({row.uscc for row in rows})
        found = await self.connection.execute(
            sa.select(merchant_t.c.uscc, merchant_t.c.id, *(merchant_t.c[f] for f in MERCHANT_FIELDS)).where(
                merchant_t.c.uscc.in_(usccs)
            )
        )
        current: dict[str, dict[str, Any]] = {r.uscc: dict(r._mapping) for r in found}
        new: dict[str, dict[str, Any]] = {}
        updates: dict[str, dict[str, Any]] = {}
        for index, row in enumerate(rows):
            wanted = {
                "name": row.merchant,
                "sector": row.sector,
                "market_id": self.names.markets[row.market] if row.market else None,
                "stall": row.stall,
                "address": row.address,
                "station_id": self.names.stations[row.station],
            }
            if row.uscc in current:
                if _differs(current[row.uscc], wanted):
                    current[row.uscc].update(wanted)
                    updates[row.uscc] = current[row.uscc]
                    changed[index] = True
            elif row.uscc in new:
                new[row.uscc].update(wanted)
            else:
                new[row.uscc] = {"uscc": row.uscc, "standing": "ordinary", "contact": "", **wanted}
        if new:
            inserted = await self.connection.execute(
                sa.insert(merchant_t).returning(merchant_t.c.uscc, merchant_t.c.id),
                list(new.values()),
            )
            for uscc, id_ in inserted:
                current[uscc] = {"id": id_, **new[uscc]}
        if updates:
            await self.connection.execute(
                sa.update(merchant_t).where(merchant_t.c.id == sa.bindparam("merchant_id")),
                [{"merchant_id": m["id"], **{f: m[f] for f in MERCHANT_FIELDS}} for m in updates.values()],
            )
        return [current[row.uscc]["id"] for row in rows]

    async def _instruments(
        self, rows: Sequence[LedgerRow], merchant_ids: list[int], changed: list[bool]
    ) -> tuple[list[int], list[bool]]:
        found = await self.connection.execute(
            sa.select(
                instrument_t.c.merchant_id, instrument_t.c.serial_no, instrument_t.c.id,
                *(instrument_t.c[f] for f in INSTRUMENT_FIELDS),
            ).where(instrument_t.c.merchant_id.in_(set(merchant_ids)))
        )  # fmt: skip
        current: dict[tuple[int, str], dict[str, Any]] = {(r.merchant_id, r.serial_no): dict(r._mapping) for r in found}
        new: dict[tuple[int, str], dict[str, Any]] = {}
        updates: dict[tuple[int, str], dict[str, Any]] = {}
        added = [False] * len(rows)
        for index, (row, merchant_id) in enumerate(zip(rows, merchant_ids, strict=True)):
            key = (merchant_id, row.serial_no)
            wanted = {
                "kind": row.kind,
                "mandatory": row.mandatory,
                "model": row.model,
                "manufacturer": row.manufacturer,
                "pattern_approval": row.pattern_approval,
            }
            if key in current:
                if _differs(current[key], wanted):
                    current[key].update(wanted)
                    updates[key] = current[key]
                    changed[index] = True
            elif key in new:
                new[key].update(wanted)
            else:
                new[key] = {
                    "merchant_id": merchant_id,
                    "serial_no": row.serial_no,
                    "state": "in_use",
                    **wanted,
                }
                added[index] = True
        if new:
            codes = await self._fresh_codes(len(new))
            values = [{**instrument, "code": code} for instrument, code in zip(new.values(), codes, strict=True)]
            inserted = await self.connection.execute(
                sa.insert(instrument_t).returning(
                    instrument_t.c.merchant_id,
                    instrument_t.c.serial_no,
                    instrument_t.c.id,
                ),
                values,
            )
            for merchant_id, serial_no, id_ in inserted:
                current[(merchant_id, serial_no)] = {"id": id_}
        if updates:
            await self.connection.execute(
                sa.update(instrument_t).where(instrument_t.c.id == sa.bindparam("instrument_id")),
                [{"instrument_id": i["id"], **{f: i[f] for f in INSTRUMENT_FIELDS}} for i in updates.values()],
            )
        ids = [current[(merchant_id, row.serial_no)]["id"] for row, merchant_id in zip(rows, merchant_ids, strict=True)]
        return ids, added

    async def _fresh_codes(self, count: int) -> list[str]:
        """New codes, none already taken: with 45 random bits a clash is rare, but a unique index would
        otherwise fail the whole batch."""
        codes: set[str] = set()
        while len(codes) < count:
            candidates = {self.make_code() for _ in range(count - len(codes))} - codes
            taken = await self.connection.execute(
                sa.select(instrument_t.c.code).where(instrument_t.c.code.in_(candidates))
            )
            codes |= candidates - set(taken.scalars())
        return list(codes)

    async def _verifications(self, rows: Sequence[LedgerRow], instrument_ids: list[int], changed: list[bool]) -> None:
        wanted_ids = {id_ for row, id_ in zip(rows, instrument_ids, strict=True) if row.verification}
        if not wanted_ids:
            return
        found = await self.connection.execute(
            sa.select(
                verification_t.c.instrument_id, verification_t.c.performed_on, verification_t.c.id,
                *(verification_t.c[f] for f in VERIFICATION_FIELDS),
            ).where(verification_t.c.instrument_id.in_(wanted_ids))
        )  # fmt: skip
        current = {(r.instrument_id, r.performed_on): dict(r._mapping) for r in found}
        new: dict[tuple[int, date], dict[str, Any]] = {}
        updates: dict[tuple[int, date], dict[str, Any]] = {}
        for index, (row, instrument_id) in enumerate(zip(rows, instrument_ids, strict=True)):
            record = row.verification
            if record is None:
                continue
            key = (instrument_id, record.performed_on)
            wanted = {
                "valid_until": record.valid_until,
                "passed": record.passed,
                "certificate_no": record.certificate_no,
                "institution": record.institution,
            }
            if key in current:
                if _differs(current[key], wanted):
                    current[key].update(wanted)
                    updates[key] = current[key]
                    changed[index] = True
            else:
                kind = VerificationKind.verification if row.mandatory else VerificationKind.calibration
                new[key] = {
                    "instrument_id": instrument_id,
                    "performed_on": record.performed_on,
                    "kind": kind,
                    **wanted,
                }
                current[key] = new[key]
                changed[index] = True
        if new:
            await self.connection.execute(sa.insert(verification_t), list(new.values()))
        if updates:
            await self.connection.execute(
                sa.update(verification_t).where(verification_t.c.id == sa.bindparam("verification_id")),
                [{"verification_id": v["id"], **{f: v[f] for f in VERIFICATION_FIELDS}} for v in updates.values()],
            )

    async def _commitments(self, rows: Sequence[LedgerRow], merchant_ids: list[int], changed: list[bool]) -> None:
        signing = {m for row, m in zip(rows, merchant_ids, strict=True) if row.commitment_signed_on}
        if not signing:
            return
        found = await self.connection.execute(
            sa.select(commitment_t.c.merchant_id, commitment_t.c.signed_on).where(
                commitment_t.c.merchant_id.in_(signing)
            )
        )
        known = {(merchant_id, signed_on) for merchant_id, signed_on in found}
        new = []
        for index, (row, merchant_id) in enumerate(zip(rows, merchant_ids, strict=True)):
            key = (merchant_id, row.commitment_signed_on)
            if row.commitment_signed_on is None or key in known:
                continue
            known.add(key)
            changed[index] = True
            new.append({
                "merchant_id": merchant_id,
                "signed_on": row.commitment_signed_on,
                "text_version": CURRENT_VERSION,
                "text": TEXTS[CURRENT_VERSION],
                "revoked_on": None,
            })  # fmt: skip
        if new:
            await self.connection.execute(sa.insert(commitment_t), new)
