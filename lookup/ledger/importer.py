"""Importing an instrument ledger into the registry: idempotent, batched, and honest about every row.

Rows are written in batches, one transaction each. A batch holds whole rows, so a crash or a failed batch
never leaves a merchant without the instruments of its rows, and what earlier batches committed stays; a
re-run of the same file then changes nothing that is already there.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lookup.commitment_text import CURRENT_VERSION, TEXTS
from lookup.ledger.code_claims import CodeClaims
from lookup.ledger.read import RowError, parse_rows, read_ledger
from lookup.ledger.row import LedgerRow
from lookup.legal_use import default_use
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
        for judged in parse_rows(ledger, today=today):
            if isinstance(judged, RowError):
                report.rejected.append(judged)
            else:
                report.notices.extend(f"第{judged[0]}行：{flag}" for flag in judged[1].flags)
                yield judged

    await import_rows(engine, valid_rows(), report=report, make_code=make_code)
    report.rejected.sort(key=lambda error: error.row)  # code clashes are found after the rows are read
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
    claims = CodeClaims()
    for batch in _batches(rows, BATCH_ROWS):
        async with engine.begin() as connection:
            kept = await claims.keep(connection, batch, report.rejected)
            if not kept:
                continue
            batch_import = _BatchImport(connection, names, make_code)
            outcomes = await batch_import.run(kept)
        for outcome in outcomes:
            if outcome == "added":
                report.added += 1
            elif outcome == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
    return report


MERCHANT_FIELDS = (
    "name", "sector", "market_id", "stall", "address", "station_id", "grade", "contact_phone", "contact_person",
)  # fmt: skip
INSTRUMENT_FIELDS = (
    "kind", "mandatory", "model", "manufacturer", "pattern_approval", "installed_on", "legal_use",
    "id_code", "gtin", "gs1_serial", "asset_no",
)  # fmt: skip
CODE_FIELDS = ("id_code", "gtin", "gs1_serial", "asset_no")
VERIFICATION_FIELDS = ("valid_until", "passed", "certificate_no", "institution")

K = TypeVar("K", bound=Hashable)


class _Changes(Generic[K]):
    """What a batch wants of one table, by natural key: rows to insert and rows to update.

    The same key may come several times in a file (a merchant with many instruments, a record listed
    twice); later rows win, and a key that is new stays one insert however often it comes.
    """

    def __init__(self, found: Iterable[tuple[K, dict[str, Any]]]) -> None:
        self.current: dict[K, dict[str, Any]] = dict(found)
        self.new: dict[K, dict[str, Any]] = {}
        self.updates: dict[K, dict[str, Any]] = {}

    def offer(self, key: K, wanted: dict[str, Any], fresh: dict[str, Any]) -> str:
        """ "new" the first time an unknown key comes, "changed" when a known row differs, else "same"."""
        if key in self.current:
            row = self.current[key]
            if all(row[field] == value for field, value in wanted.items()):
                return "same"
            row.update(wanted)
            self.updates[key] = row
            return "changed"
        if key in self.new:
            self.new[key].update(wanted)
            return "same"
        self.new[key] = {**fresh, **wanted}
        return "new"

    async def update(self, connection: AsyncConnection, table: sa.Table, fields: tuple[str, ...]) -> None:
        if self.updates:
            await connection.execute(
                sa.update(table).where(table.c.id == sa.bindparam("row_id")),
                [{"row_id": row["id"], **{f: row[f] for f in fields}} for row in self.updates.values()],
            )


class _BatchImport:
    def __init__(self, connection: AsyncConnection, names: _Names, make_code: Callable[[], str]) -> None:
        self.connection = connection
        self.names = names
        self.make_code = make_code

    async def run(self, rows: Sequence[LedgerRow]) -> list[str]:
        changed = [False] * len(rows)
        await self._resolve_places(rows)
        await self._market_points(rows, changed)
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

    async def _market_points(self, rows: Sequence[LedgerRow], changed: list[bool]) -> None:
        """Markets' coordinates where rows state them (the last row of a market wins); others keep theirs."""
        wanted = {self.names.markets[row.market]: row.market_point for row in rows if row.market_point}
        if not wanted:
            return
        m = market_t.c
        found = await self.connection.execute(sa.select(m.id, m.latitude, m.longitude).where(m.id.in_(list(wanted))))
        current = {row.id: (row.latitude, row.longitude) for row in found}
        moved = {
            market_id: point
            for market_id, point in wanted.items()
            if current.get(market_id) != (point.latitude, point.longitude)
        }
        if moved:
            await self.connection.execute(
                sa.update(market_t).where(m.id == sa.bindparam("market_id")),
                [{"market_id": i, "latitude": p.latitude, "longitude": p.longitude} for i, p in moved.items()],
            )
        for index, row in enumerate(rows):
            changed[index] |= bool(row.market_point) and self.names.markets[row.market] in moved

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
        m = merchant_t.c
        found = await self.connection.execute(
            sa.select(m.uscc, m.id, *(m[f] for f in MERCHANT_FIELDS)).where(m.uscc.in_({row.uscc for row in rows}))
        )
        merchants = _Changes[str]((r.uscc, dict(r._mapping)) for r in found)
        for index, row in enumerate(rows):
            wanted = {
                "name": row.merchant,
                "sector": row.sector,
                "market_id": self.names.markets[row.market] if row.market else None,
                "stall": row.stall,
                "address": row.address,
                "station_id": self.names.stations[row.station],
            }
            if row.grade:
                wanted["grade"] = row.grade
            if row.contact_phone:
                wanted["contact_phone"] = row.contact_phone
            if row.contact_person:
                wanted["contact_person"] = row.contact_person
            fresh = {"uscc": row.uscc, "standing": "ordinary", "contact": "", "grade": ""}
            fresh |= {"contact_phone": "", "contact_person": ""}
            changed[index] |= merchants.offer(row.uscc, wanted, fresh) == "changed"
        if merchants.new:
            inserted = await self.connection.execute(
                sa.insert(merchant_t).returning(m.uscc, m.id), list(merchants.new.values())
            )
            merchants.current.update((uscc, {"id": id_}) for uscc, id_ in inserted)
        await merchants.update(self.connection, merchant_t, MERCHANT_FIELDS)
        return [merchants.current[row.uscc]["id"] for row in rows]

    async def _instruments(
        self, rows: Sequence[LedgerRow], merchant_ids: list[int], changed: list[bool]
    ) -> tuple[list[int], list[bool]]:
        i = instrument_t.c
        found = await self.connection.execute(
            sa.select(i.merchant_id, i.serial_no, i.id, *(i[f] for f in INSTRUMENT_FIELDS)).where(
                i.merchant_id.in_(set(merchant_ids))
            )
        )
        instruments = _Changes[tuple[int, str]](((r.merchant_id, r.serial_no), dict(r._mapping)) for r in found)
        added = [False] * len(rows)
        for index, (row, merchant_id) in enumerate(zip(rows, merchant_ids, strict=True)):
            wanted = {
                "kind": row.kind,
                "mandatory": row.mandatory,
                "model": row.model,
                "manufacturer": row.manufacturer,
                "pattern_approval": row.pattern_approval,
            }
            if row.installed_on is not None:
                wanted["installed_on"] = row.installed_on
            if row.legal_use is not None:
                wanted["legal_use"] = row.legal_use
            wanted |= {name: getattr(row, name) for name in CODE_FIELDS if getattr(row, name)}
            fresh = {
                "merchant_id": merchant_id,
                "serial_no": row.serial_no,
                "state": "in_use",
                "installed_on": None,
                "legal_use": default_use(row.kind),
                **dict.fromkeys(CODE_FIELDS),
            }
            outcome = instruments.offer((merchant_id, row.serial_no), wanted, fresh)
            added[index] = outcome == "new"
            changed[index] |= outcome == "changed"
        if instruments.new:
            codes = await self._fresh_codes(len(instruments.new))
            inserted = await self.connection.execute(
                sa.insert(instrument_t).returning(i.merchant_id, i.serial_no, i.id),
                [{**values, "code": code} for values, code in zip(instruments.new.values(), codes, strict=True)],
            )
            instruments.current.update(((merchant_id, serial), {"id": id_}) for merchant_id, serial, id_ in inserted)
        await instruments.update(self.connection, instrument_t, INSTRUMENT_FIELDS)
        ids = [instruments.current[(m, row.serial_no)]["id"] for row, m in zip(rows, merchant_ids, strict=True)]
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
        v = verification_t.c
        found = await self.connection.execute(
            sa.select(v.instrument_id, v.performed_on, v.id, *(v[f] for f in VERIFICATION_FIELDS)).where(
                v.instrument_id.in_(wanted_ids)
            )
        )
        records = _Changes[tuple[int, date]](((r.instrument_id, r.performed_on), dict(r._mapping)) for r in found)
        for index, (row, instrument_id) in enumerate(zip(rows, instrument_ids, strict=True)):
            record = row.verification
            if record is None:
                continue
            wanted = {
                "valid_until": record.valid_until,
                "passed": record.passed,
                "certificate_no": record.certificate_no,
                "institution": record.institution,
            }
            fresh = {
                "instrument_id": instrument_id,
                "performed_on": record.performed_on,
                "kind": VerificationKind.verification if row.mandatory else VerificationKind.calibration,
            }
            changed[index] |= records.offer((instrument_id, record.performed_on), wanted, fresh) != "same"
        if records.new:
            await self.connection.execute(sa.insert(verification_t), list(records.new.values()))
        await records.update(self.connection, verification_t, VERIFICATION_FIELDS)

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
