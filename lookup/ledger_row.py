"""One row of an instrument ledger (强检台账) after validation: what the importer writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lookup.vocab import InstrumentKind, Sector


@dataclass(frozen=True, slots=True)
class VerificationEntry:
    performed_on: date
    valid_until: date
    passed: bool
    certificate_no: str
    institution: str


@dataclass(frozen=True, slots=True)
class LedgerRow:
    station: str
    district: str
    market: str  # "" when the merchant is not in a market (a petrol station, a clinic)
    merchant: str
    uscc: str  # validated, upper case
    sector: Sector
    stall: str
    address: str
    kind: InstrumentKind
    model: str
    serial_no: str
    manufacturer: str
    pattern_approval: str
    mandatory: bool
    verification: VerificationEntry | None
    commitment_signed_on: date | None
