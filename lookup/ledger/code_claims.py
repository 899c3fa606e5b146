"""Each of an instrument's other codes (识别编码, GTIN with serial, 资产编号) names one instrument: a ledger row that
gives a code another instrument holds — in the registry, or on an earlier row of the same file — is a row error
naming both instruments, instead of a failed batch at the unique index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.ledger.read import RowError
from lookup.ledger.row import LedgerRow
from lookup.models import Instrument, Merchant, table_of

instrument_t, merchant_t = table_of(Instrument), table_of(Merchant)

CodeKey = tuple[str, ...]  # ("id_code", code), ("gtin", gtin, serial) or ("asset_no", number)
Identity = tuple[str, str]  # (merchant's credit code, serial number): the instrument as the ledger names it


def code_keys(row: LedgerRow) -> list[CodeKey]:
    keys: list[CodeKey] = []
    if row.id_code:
        keys.append(("id_code", row.id_code))
    if row.gtin:
        keys.append(("gtin", row.gtin, row.gs1_serial))
    if row.asset_no:
        keys.append(("asset_no", row.asset_no))
    return keys


def describe_key(key: CodeKey) -> str:
    if key[0] == "gtin":
        return f"商品条码{key[1]}与序列号{key[2]}"
    return f"{'识别编码' if key[0] == 'id_code' else '资产编号'}{key[1]}"


@dataclass(frozen=True, slots=True)
class _Holder:
    identity: Identity
    merchant: str
    row: int | None = None  # the file's row, when the holder came earlier in the same file

    def describe(self) -> str:
        where = f"第{self.row}行的" if self.row else "登记册中"
        return f"{where}“{self.merchant}”出厂编号{self.identity[1]}的器具"


@dataclass
class CodeClaims:
    """The codes claimed so far in one import, kept across its batches."""

    seen: dict[CodeKey, _Holder] = field(default_factory=dict)

    async def keep(
        self, connection: AsyncConnection, batch: Sequence[tuple[int, LedgerRow]], rejected: list[RowError]
    ) -> list[LedgerRow]:
        """The batch's rows whose codes clash with no other instrument; the others go to `rejected`."""
        held = await _registry_holders(connection, [key for _, row in batch for key in code_keys(row)])
        kept: list[LedgerRow] = []
        for number, row in batch:
            identity = (row.uscc, row.serial_no)
            reasons = []
            for key in code_keys(row):
                for holder in (self.seen.get(key), held.get(key)):
                    if holder is not None and holder.identity != identity:
                        reasons.append(
                            f"{describe_key(key)}已属于{holder.describe()}，"
                            f"不能再给“{row.merchant}”出厂编号{row.serial_no}的器具"
                        )
                        break
            if reasons:
                rejected.append(RowError(number, reasons))
                continue
            for key in code_keys(row):
                self.seen[key] = _Holder(identity, row.merchant, number)
            kept.append(row)
        return kept


async def _registry_holders(connection: AsyncConnection, keys: list[CodeKey]) -> dict[CodeKey, _Holder]:
    """The registry's instruments holding any of these codes (one indexed read)."""
    if not keys:
        return {}
    i, m = instrument_t.c, merchant_t.c
    id_codes = [key[1] for key in keys if key[0] == "id_code"]
    gtins = [key[1] for key in keys if key[0] == "gtin"]
    assets = [key[1] for key in keys if key[0] == "asset_no"]
    rows = await connection.execute(
        sa.select(i.id_code, i.gtin, i.gs1_serial, i.asset_no, i.serial_no, m.uscc, m.name)
        .join_from(instrument_t, merchant_t, m.id == i.merchant_id)
        .where(sa.or_(i.id_code.in_(id_codes), i.gtin.in_(gtins), i.asset_no.in_(assets)))
    )
    held: dict[CodeKey, _Holder] = {}
    for row in rows:
        holder = _Holder((row.uscc, row.serial_no), row.name)
        if row.id_code:
            held[("id_code", row.id_code)] = holder
        if row.gtin:
            held[("gtin", row.gtin, row.gs1_serial)] = holder
        if row.asset_no:
            held[("asset_no", row.asset_no)] = holder
    return held
