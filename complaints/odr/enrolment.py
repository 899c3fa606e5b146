"""Which merchants take part in ODR: a merchant applies on their page, a station decides (the day and who)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.odr.models import OdrMerchant
from lookup.models import table_of

enrolment_t = table_of(OdrMerchant)


@dataclass(frozen=True, slots=True)
class Enrolment:
    applied_at: datetime | None
    since: date | None
    decided_by: str

    @property
    def taking_part(self) -> bool:
        return self.since is not None


async def enrolment(connection: AsyncConnection, merchant_id: int) -> Enrolment | None:
    e = enrolment_t.c
    row = (
        await connection.execute(sa.select(e.applied_at, e.since, e.decided_by).where(e.merchant_id == merchant_id))
    ).first()
    return Enrolment(*row) if row is not None else None


def taking_part(connection: sa.Connection, merchant_id: int) -> bool:
    """Whether the merchant takes part in ODR (intake's synchronous side)."""
    e = enrolment_t.c
    found = connection.execute(sa.select(e.since).where(e.merchant_id == merchant_id)).first()
    return found is not None and found.since is not None


async def taking_part_now(connection: AsyncConnection, merchant_id: int) -> bool:
    return await connection.run_sync(taking_part, merchant_id)


def _upsert(connection: AsyncConnection, values: Mapping[str, object], changing: tuple[str, ...]) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(enrolment_t).values(**values)
    return statement.on_conflict_do_update(
        index_elements=["merchant_id"], set_={name: statement.excluded[name] for name in changing}
    )


async def apply(connection: AsyncConnection, merchant_id: int, *, now: datetime) -> None:
    """The merchant asks to take part (on their page); the station decides."""
    values = {"merchant_id": merchant_id, "applied_at": now, "since": None, "decided_by": ""}
    await connection.execute(_upsert(connection, values, ("applied_at",)))


async def decide(connection: AsyncConnection, merchant_id: int, *, since: date | None, by: str) -> None:
    """The station marks the merchant as taking part from ``since`` (None: no longer), recording who decided."""
    values = {"merchant_id": merchant_id, "applied_at": None, "since": since, "decided_by": by}
    await connection.execute(_upsert(connection, values, ("since", "decided_by")))
