"""Hotspots: repeated complaints about one merchant ask for a focused inspection (DESIGN.md, "Complaints")."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from complaints.models import Complaint, Hotspot
from complaints.workflow import Intent
from lookup.models import Merchant, table_of

complaint_t, hotspot_t, merchant_t = table_of(Complaint), table_of(Hotspot), table_of(Merchant)


def count_towards_hotspot(
    connection: sa.Connection, *, merchant_id: int, station_id: int | None, now: datetime, complaints: int, days: int
) -> None:
    """Raise (or grow) the merchant's hotspot once enough complaints arrived within the window.

    A complaint and the report split from it are one shopper's one story: only the complaint counts. Complaints
    from before the merchant's last cleared hotspot were answered by that inspection and count no more.

    Intakes about one merchant take turns here: the merchant's row is locked (FOR NO KEY UPDATE on PostgreSQL,
    which a complaint's foreign key check does not wait for; SQLite's writer is alone anyway), so the count is
    read after the previous intake committed and includes it, and only one of them inserts the open row.
    """
    connection.execute(
        sa.select(merchant_t.c.id).where(merchant_t.c.id == merchant_id).with_for_update(key_share=True)
    ).first()
    since = now - timedelta(days=days)
    cleared = connection.execute(
        sa.select(sa.func.max(hotspot_t.c.cleared_at)).where(hotspot_t.c.merchant_id == merchant_id)
    ).scalar()
    counted = sa.and_(
        complaint_t.c.merchant_id == merchant_id,
        complaint_t.c.received_at >= since,
        complaint_t.c.received_at > cleared if cleared is not None else sa.true(),
        sa.or_(
            complaint_t.c.intent == Intent.complaint,
            sa.and_(complaint_t.c.intent == Intent.report, complaint_t.c.linked_id.is_(None)),
        ),
    )
    count = connection.execute(sa.select(sa.func.count()).where(counted)).scalar_one()
    if count < complaints:
        return
    instruments = connection.execute(sa.select(complaint_t.c.instrument_id).where(counted).distinct()).all()
    instrument_id = instruments[0][0] if len(instruments) == 1 else None
    open_hotspot = connection.execute(
        sa.select(hotspot_t.c.id).where(hotspot_t.c.merchant_id == merchant_id, hotspot_t.c.cleared_at.is_(None))
    ).scalar()
    values = {"last_complaint_at": now, "complaint_count": count, "instrument_id": instrument_id}
    if open_hotspot is None:
        connection.execute(
            sa.insert(hotspot_t).values(merchant_id=merchant_id, station_id=station_id, raised_at=now, **values)
        )
    else:
        connection.execute(sa.update(hotspot_t).where(hotspot_t.c.id == open_hotspot).values(**values))
