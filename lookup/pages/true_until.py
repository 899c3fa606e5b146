"""The last day a page rendered today stays the same (lookup/status.py's rules, read forwards)."""

from __future__ import annotations

from datetime import date

from lookup.rotation import RotationPolicy
from lookup.scan import InstrumentCard
from lookup.status import EXPIRY_WARNING
from lookup.vocab import Status

FOREVER = date(9999, 12, 31)


def true_until(card: InstrumentCard, *, today: date, rotation: RotationPolicy) -> date:
    meter = card.rotation(rotation, today)
    if meter is not None and meter.due is not None:
        return today  # a household meter's page counts the days to its rotation
    status = card.status(today)
    last = card.last_verification
    if status is Status.valid and last is not None:
        # Valid while today <= valid_until - 30 days; expiring from the next day.
        return last.valid_until - EXPIRY_WARNING
    if status is Status.expiring:
        return today  # its page counts the days left
    return FOREVER  # expired, failed, unverified, no record, suspended, retired: no date changes them
