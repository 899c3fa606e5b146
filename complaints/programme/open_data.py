"""Open data: cases as Open311 GeoReport v2 service requests, and daily counts for researchers.

Only public fields leave here: the reference, the category, whether the case is open, the station handling it,
the market (never the merchant, the consumer, the words, a reply or a chat id), and times. A reply could quote
a consumer, so not even the handlers' public replies are published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.cases import PENDING
from complaints.classify.taxonomy import CATEGORIES, CATEGORY_NAMES
from complaints.models import Complaint, ComplaintEvent
from complaints.personal_data import PRIVACY_ACTIONS
from complaints.workflow import CaseStatus, Intent
from lookup.models import Market, Station, table_of

complaint_t, event_t, station_t, market_t = (
    table_of(Complaint),
    table_of(ComplaintEvent),
    table_of(Station),
    table_of(Market),
)
MAX_REQUESTS = 1000  # GeoReport v2: a server may cap a response; 1,000 is the usual cap
DEFAULT_DAYS = 90  # GeoReport v2: without dates, the last 90 days
MAX_DAILY_DAYS = 366


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    ref: str
    category: str
    intent: Intent
    status: CaseStatus
    station: str | None
    market: str | None
    requested: datetime
    updated: datetime
    expected: date | None

    @property
    def is_open(self) -> bool:
        return self.status in PENDING


@dataclass(frozen=True, slots=True)
class RequestQuery:
    start: datetime
    end: datetime
    categories: tuple[str, ...] = ()
    open_only: bool | None = None  # None: both
    refs: tuple[str, ...] = ()


def services() -> list[dict[str, Any]]:
    """The GeoReport service list: one service per category of the taxonomy."""
    return [
        {
            "service_code": code,
            "service_name": CATEGORY_NAMES[code],
            "description": CATEGORY_NAMES[code],
            "metadata": False,
            "type": "realtime",
            "keywords": "计量",
            "group": "计量",
        }
        for code in CATEGORIES
    ]


def _updated() -> sa.ScalarSelect[Any]:
    handling = event_t.c.action.not_in(sorted(PRIVACY_ACTIONS))  # removing personal data is not progress
    return (
        sa.select(sa.func.max(event_t.c.at))
        .where(event_t.c.complaint_id == complaint_t.c.id, handling)
        .scalar_subquery()
    )


async def service_requests(connection: AsyncConnection, query: RequestQuery) -> list[ServiceRequest]:
    statement = (
        sa.select(
            complaint_t.c.ref,
            complaint_t.c.category,
            complaint_t.c.intent,
            complaint_t.c.status,
            complaint_t.c.received_at,
            complaint_t.c.accept_due,
            complaint_t.c.handle_due,
            station_t.c.name.label("station"),
            market_t.c.name.label("market"),
            _updated().label("updated"),
        )
        .outerjoin(station_t, station_t.c.id == complaint_t.c.station_id)
        .outerjoin(market_t, market_t.c.id == complaint_t.c.market_id)
        .order_by(complaint_t.c.received_at.desc(), complaint_t.c.id.desc())
        .limit(MAX_REQUESTS)
    )
    if query.refs:
        statement = statement.where(complaint_t.c.ref.in_(query.refs))
    else:
        statement = statement.where(complaint_t.c.received_at >= query.start, complaint_t.c.received_at <= query.end)
    if query.categories:
        statement = statement.where(complaint_t.c.category.in_(query.categories))
    if query.open_only is not None:
        pending = complaint_t.c.status.in_(sorted(PENDING))
        statement = statement.where(pending if query.open_only else sa.not_(pending))
    found = []
    for row in await connection.execute(statement):
        intent = Intent(row.intent)
        updated = row.updated if row.updated is not None else row.received_at
        found.append(
            ServiceRequest(
                ref=row.ref,
                category=row.category,
                intent=intent,
                status=CaseStatus(row.status),
                station=row.station,
                market=row.market,
                requested=row.received_at,
                updated=_aware(updated),
                expected=row.handle_due if intent is Intent.report else row.accept_due,
            )
        )
    return found


def _aware(moment: Any) -> datetime:
    # MAX() over the event times comes back as the driver gives it: SQLite's is a naive UTC text.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DailyCount:
    day: date
    station: str
    intent: str
    category: str
    received: int
    still_open: int


async def daily_counts(connection: AsyncConnection, start: date, end: date, zone: tzinfo) -> Sequence[DailyCount]:
    """Cases received per local day, station, intent and category, and how many of them are still open."""
    if end < start or (end - start).days >= MAX_DAILY_DAYS:
        raise ValueError(f"a range of 1 to {MAX_DAILY_DAYS} days, start before end")
    lower = datetime.combine(start, time(), zone)
    upper = datetime.combine(end + timedelta(days=1), time(), zone)
    rows = await connection.execute(
        sa.select(
            complaint_t.c.received_at,
            station_t.c.name,
            complaint_t.c.intent,
            complaint_t.c.category,
            complaint_t.c.status,
        )
        .outerjoin(station_t, station_t.c.id == complaint_t.c.station_id)
        .where(complaint_t.c.received_at >= lower, complaint_t.c.received_at < upper)
    )
    tally: dict[tuple[date, str, str, str], list[int]] = {}
    for received_at, station, intent, category, status in rows:
        key = (received_at.astimezone(zone).date(), station or "", str(intent), str(category))
        counts = tally.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += CaseStatus(status) in PENDING
    return [DailyCount(*key, received, still_open) for key, (received, still_open) in sorted(tally.items())]
