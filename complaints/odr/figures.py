"""ODR figures for reports and the merchant record: cases sent to merchants, how many they settled, the share
settled of those ended, and the median days a settlement took (from the consumer's consent to their acceptance)."""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint
from complaints.odr.cases import REFUSED, SETTLED, TIMED_OUT, odr_t
from lookup.models import table_of

complaint_t = table_of(Complaint)


@dataclass(frozen=True, slots=True)
class OdrFigures:
    cases: int = 0
    settled: int = 0
    refused: int = 0
    timed_out: int = 0
    open: int = 0
    median_days: float | None = None  # of the settled ones

    @property
    def handed_over(self) -> int:
        return self.refused + self.timed_out

    @property
    def settled_share(self) -> float | None:
        """Settled of those ended (0–1); None when none has ended."""
        ended = self.settled + self.handed_over
        return self.settled / ended if ended else None


async def odr_figures(
    connection: AsyncConnection,
    *,
    merchant_id: int | None = None,
    station_ids: Collection[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> OdrFigures:
    """The figures of the cases sent to merchants in [since, until), of one merchant or some stations' (None: all)."""
    o, c = odr_t.c, complaint_t.c
    query = sa.select(o.outcome, o.started_at, o.ended_at).join(complaint_t, c.id == o.complaint_id)
    if merchant_id is not None:
        query = query.where(o.merchant_id == merchant_id)
    if station_ids is not None:
        query = query.where(c.station_id.in_(sorted(station_ids)))
    if since is not None:
        query = query.where(o.started_at >= since)
    if until is not None:
        query = query.where(o.started_at < until)
    counts = {SETTLED: 0, REFUSED: 0, TIMED_OUT: 0, "": 0}
    days: list[float] = []
    for outcome, started_at, ended_at in await connection.execute(query):
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome == SETTLED and ended_at is not None:
            days.append((ended_at - started_at).total_seconds() / 86400)
    return OdrFigures(
        cases=sum(counts.values()),
        settled=counts[SETTLED],
        refused=counts[REFUSED],
        timed_out=counts[TIMED_OUT],
        open=counts[""],
        median_days=round(statistics.median(days), 1) if days else None,
    )
