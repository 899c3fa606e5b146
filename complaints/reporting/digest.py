"""The morning digest (每日汇总) a station's group reads: yesterday's new cases, the cases due today and overdue,
the hotspots and the early warnings raised yesterday, and the ODR cases that merchants did not settle and that came
to the station yesterday (refused by the consumer, or out of time). It goes to the station's WeCom group robot (channel
``wecom``) or by e-mail.

Queued once per station and day under the idempotency key ``digest:<station id>:<day>``, so any number of
workers looking after the hour queue it once. The text names cases by reference and merchants by name (a
business, not a person); never a complainant. It is written when queued, from the figures of that moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from complaints.cases import PENDING
from complaints.models import Complaint, EarlyWarning, Hotspot
from complaints.odr.cases import REFUSED, TIMED_OUT, odr_t
from complaints.outbox.enqueue import enqueue
from lookup.models import Market, Merchant, Station, table_of

complaint_t, hotspot_t, merchant_t, station_t = (table_of(m) for m in (Complaint, Hotspot, Merchant, Station))
warning_t, market_t = table_of(EarlyWarning), table_of(Market)
# The early warning's signals as the digest names them (complaints/warnings/signals.py; /warnings says the same).
SIGNALS = {
    "complaints": "投诉上升",
    "instruments": "器具过期或不合格增多",
    "volunteer_findings": "监督员发现问题增多",
    "inspection_findings": "检查发现问题增多",
}

WECOM = "wecom"  # the outbox channel of WeCom group robots
LISTED = 10  # references named per line; the rest are counted (a robot's markdown holds 4096 bytes)
# Each line's words in Chinese (what stations read) and English; the figures are filled in by position.
LABELS = {
    "zh": {
        "title": "每日汇总", "new": "昨日新收案件：{} 件", "due": "今日到期：{} 件", "overdue": "已逾期：{} 件",
        "hotspots": "昨日新发热点商户：{} 个", "odr": "商家协商未成转入：{} 件", "warnings": "新预警：{} 条",
        "see": "查看", "queue": "打开待办队列",
    },
    "en": {
        "title": "daily digest", "new": "New cases yesterday: {}", "due": "Due today: {}", "overdue": "Overdue: {}",
        "hotspots": "New hotspot merchants yesterday: {}", "odr": "Not settled by the merchant (ODR), handed over: {}",
        "warnings": "New warnings: {}", "see": "view", "queue": "Open the queue",
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Digest:
    station_id: int
    station: str
    day: date
    new_cases: int
    due_today: tuple[str, ...]
    overdue: tuple[str, ...]
    hotspots: tuple[str, ...]  # the merchants' names
    warnings: tuple[str, ...] = ()  # "subject signal" of each early warning raised yesterday
    odr_handed_over: int = 0  # ODR cases its merchants did not settle, come to the station yesterday

    def text(self, base_url: str, language: str = "zh") -> str:
        """The digest as WeCom markdown (which reads as plain text in an e-mail too)."""
        said = LABELS[language]
        lines = [
            f"**{self.station} {said['title']} {self.day.isoformat()}**",
            f"> {said['new'].format(self.new_cases)}",
            f"> {said['due'].format(len(self.due_today))}{_listed(self.due_today)}",
            f"> {said['overdue'].format(len(self.overdue))}{_listed(self.overdue)}",
            f"> {said['hotspots'].format(len(self.hotspots))}{_listed(self.hotspots)}",
            f"> {said['odr'].format(self.odr_handed_over)}",
        ]
        if self.warnings:
            warned = said["warnings"].format(len(self.warnings))
            lines.append(f"> {warned}{_listed(self.warnings)}（[{said['see']}]({base_url}/warnings)）")
        lines.append(f"[{said['queue']}]({base_url}/queue)")
        return "\n".join(lines)


def _listed(items: Sequence[str]) -> str:
    if not items:
        return ""
    more = f" 等 {len(items)} 项" if len(items) > LISTED else ""
    return "（" + "、".join(items[:LISTED]) + more + "）"


async def station_digest(connection: AsyncConnection, station_id: int, day: date, *, zone: tzinfo) -> Digest:
    """The figures of ``day``'s digest for one station (yesterday being the day before, in local time)."""
    start = datetime.combine(day - timedelta(days=1), time(), zone)
    end = datetime.combine(day, time(), zone)
    mine = complaint_t.c.station_id == station_id
    pending = complaint_t.c.status.in_(sorted(PENDING))
    name = (await connection.execute(sa.select(station_t.c.name).where(station_t.c.id == station_id))).scalar_one()
    new_cases = (
        await connection.execute(
            sa.select(sa.func.count()).where(mine, complaint_t.c.received_at >= start, complaint_t.c.received_at < end)
        )
    ).scalar_one()

    async def refs(condition: sa.ColumnElement[bool]) -> tuple[str, ...]:
        found = await connection.execute(
            sa.select(complaint_t.c.ref)
            .where(mine, pending, condition)
            .order_by(complaint_t.c.due_on, complaint_t.c.id)
        )
        return tuple(found.scalars())

    hotspots = await connection.execute(
        sa.select(merchant_t.c.name)
        .join(hotspot_t, hotspot_t.c.merchant_id == merchant_t.c.id)
        .where(hotspot_t.c.station_id == station_id, hotspot_t.c.raised_at >= start, hotspot_t.c.raised_at < end)
        .order_by(hotspot_t.c.id)
    )
    subject = sa.func.coalesce(merchant_t.c.name, market_t.c.name)
    warnings = await connection.execute(
        sa.select(subject, warning_t.c.signal)
        .select_from(warning_t)
        .outerjoin(merchant_t, merchant_t.c.id == warning_t.c.merchant_id)
        .outerjoin(market_t, market_t.c.id == warning_t.c.market_id)
        .where(warning_t.c.station_id == station_id, warning_t.c.raised_on == day - timedelta(days=1))
        .order_by(warning_t.c.id)
    )
    handed_over = await connection.execute(
        sa.select(sa.func.count())
        .select_from(odr_t)
        .join(complaint_t, complaint_t.c.id == odr_t.c.complaint_id)
        .where(mine, odr_t.c.outcome.in_((REFUSED, TIMED_OUT)), odr_t.c.ended_at >= start, odr_t.c.ended_at < end)
    )
    return Digest(
        station_id=station_id,
        station=name,
        day=day,
        new_cases=int(new_cases),
        due_today=await refs(complaint_t.c.due_on == day),
        overdue=await refs(complaint_t.c.due_on < day),
        hotspots=tuple(hotspots.scalars()),
        warnings=tuple(f"{name} {SIGNALS.get(signal, signal)}" for name, signal in warnings),
        odr_handed_over=int(handed_over.scalar_one()),
    )


async def queue_digests(
    engine: AsyncEngine,
    day: date,
    *,
    zone: tzinfo,
    now: datetime,
    base_url: str,
    robots: Sequence[str] = (),
    mailboxes: Mapping[str, str] | None = None,
) -> int:
    """Queue ``day``'s digest for every station with a robot (its name in ``robots``) or an address in
    ``mailboxes`` (station name → address); returns how many were queued now (0 when all already were)."""
    mailboxes = mailboxes or {}
    queued = 0
    async with engine.begin() as connection:
        stations = (
            await connection.execute(sa.select(station_t.c.id, station_t.c.name).order_by(station_t.c.id))
        ).all()
        for station_id, name in stations:
            if name not in robots and name not in mailboxes:
                continue
            digest = await station_digest(connection, station_id, day, zone=zone)
            text = digest.text(base_url)
            if name in robots:
                payload = {"station": name, "text": text}
                key = f"digest:{station_id}:{day.isoformat()}"
                queued += await enqueue(
                    connection, complaint_id=None, channel=WECOM, kind="digest", key=key, payload=payload, now=now
                )
            if name in mailboxes:
                subject = f"{name} 每日汇总 {day.isoformat()}"
                payload = {"to": mailboxes[name], "subject": subject, "text": text}
                key = f"digest-mail:{station_id}:{day.isoformat()}"
                queued += await enqueue(
                    connection, complaint_id=None, channel="email", kind="digest", key=key, payload=payload, now=now
                )
    return queued
