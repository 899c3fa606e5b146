"""Complaint-side tables: cases, their private contact details, photos, their append-only timeline, reference
counters, hotspots, the outbox and imported holiday schedules; the programme's tables (visits, the integrity index,
monitoring points, hand-entered target figures, early warnings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from complaints.workflow import CaseStatus, Intent, Role
from lookup.models import UtcDateTime, enum_column, timestamp_column, utcnow


class Priority(StrEnum):
    high = "high"
    normal = "normal"
    low = "low"


class Queue(StrEnum):
    """Where a case waits: its station's queue, or one of the district's intake queues for a person to route."""

    station = "station"
    district_intake = "district_intake"  # measurement matters whose station could not be told
    general_intake = "general_intake"  # not a measurement matter (category `other`)


class Complaint(SQLModel, table=True):
    """A case: whatever a shopper sent, with what the service made of it. Contact details live apart."""

    # The queue lists a station's cases by their nearest deadline and pages by (due_on, id).
    __table_args__ = (
        sa.Index("ix_complaint_station_due", "station_id", "due_on", "id"),
        sa.Index("ix_complaint_queue_due", "queue", "due_on", "id"),
        # The queue's counts per status, type, category, priority and channel read only this index: a station's
        # cases are scattered over the whole table, and reading their rows cost ~400 ms on 100,000 of them.
        sa.Index("ix_complaint_station_facets", "station_id", "status", "intent", "category", "priority", "channel"),
        # Open data (complaints/programme/open_data.py), which anyone may call, reads cases by time received, newest
        # first: on 1,000,000 cases the default Open311 listing took 166 ms without this index and 12 ms with it.
        sa.Index("ix_complaint_received", "received_at", "id"),
        # The queue's text search (complaints/queue/conditions.py): a trigram GIN index on PostgreSQL (migration 0007);
        # on SQLite, which has no such index, an empty placeholder of the same name (WHERE 0), so that models
        # and migrations agree on both databases.
        sa.Index(
            "ix_complaint_text_trgm",
            "text",
            postgresql_using="gin",
            postgresql_ops={"text": "gin_trgm_ops"},
            sqlite_where=sa.false(),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=20, unique=True)  # JL20261123-0001: readable over the phone
    token_hash: str = Field(max_length=64)  # SHA-256 of the complainant's secret; the secret is never stored
    channel: str = Field(max_length=20)
    text: str = Field(sa_type=sa.Text)
    instrument_id: int | None = Field(default=None, foreign_key="instrument.id", index=True)
    merchant_id: int | None = Field(default=None, foreign_key="merchant.id", index=True)
    market_id: int | None = Field(default=None, foreign_key="market.id")
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    queue: Queue = Field(sa_column=enum_column(Queue))
    intent: Intent = Field(sa_column=enum_column(Intent))  # the case's type as handled: the shopper's choice, if any
    # The two readings the type was decided from: the classifier's at intake, and the shopper's own choice of 投诉 or
    # 举报 (None: they did not choose). None for both on cases received before these were kept.
    classifier_intent: Intent | None = Field(default=None, sa_column=enum_column(Intent, nullable=True))
    consumer_intent: Intent | None = Field(default=None, sa_column=enum_column(Intent, nullable=True))
    category: str = Field(max_length=32)
    confidence: float
    classifier_version: str = Field(max_length=40)
    needs_triage: bool = False
    priority: Priority = Field(sa_column=enum_column(Priority, default=Priority.normal))
    status: CaseStatus = Field(sa_column=enum_column(CaseStatus, default=CaseStatus.received, index=True))
    received_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    accept_due: date | None = None
    handle_due: date | None = None  # mediation (complaint) or verification (report)
    deadline_approximate: bool = False  # some year counted had no official holiday schedule
    due_on: date | None = None  # the deadline the station works to now; None once nothing is pending
    # When the case last changed to a status with nothing pending: the retention of its personal data counts from
    # here. None while it is pending, and for a case a release before this column moved out of pending (the
    # nightly purge fills those in from the timeline).
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    linked_id: int | None = Field(default=None, foreign_key="complaint.id")  # the report split from a complaint
    assignee: str | None = Field(default=None, max_length=50, index=True)  # the username of the colleague working it
    # SHA-256 of (channel identity, normalised text): the same consumer sending the same words again is merged.
    dedupe_key: str | None = Field(default=None, max_length=64, index=True)
    satisfaction: int | None = None
    satisfaction_comment: str = Field(default="", max_length=500)


class ComplaintContact(SQLModel, table=True):
    """Who to answer, kept apart from the words so that lists, exports and logs can leave it out whole."""

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    channel_user: str = Field(default="", max_length=100)  # WeChat openid or Telegram chat id
    consent_to_contact: bool = False


class ComplaintPhoto(SQLModel, table=True):
    """A photo sent with a case, already re-encoded (no EXIF, no location). Kept in the database so that every
    process of a deployment sees it and a backup holds the whole case."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    content_type: str = Field(max_length=40)
    width: int
    height: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=sa.LargeBinary)


class ComplaintEvent(SQLModel, table=True):
    """One entry of a case's timeline. Rows are only ever added."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    actor_role: Role = Field(sa_column=enum_column(Role))
    actor_id: int | None = None  # the user, once accounts exist; None for the service itself
    action: str = Field(max_length=40)
    from_status: CaseStatus = Field(sa_column=enum_column(CaseStatus))
    to_status: CaseStatus = Field(sa_column=enum_column(CaseStatus))
    public: bool
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


class ReferenceCounter(SQLModel, table=True):
    """The last reference number given out on a day; incremented atomically inside the intake transaction."""

    day: date = Field(primary_key=True)
    last: int


class CalendarRule(SQLModel, table=True):
    """One day of an official holiday schedule an administrator imported (`fairweigh calendar import`).

    Stored, not read from a file at start-up, so every process of a deployment counts deadlines alike.
    """

    day: date = Field(primary_key=True)
    year: int = Field(index=True)
    working: bool
    name: str = Field(default="", max_length=100)


class Hotspot(SQLModel, table=True):
    """Repeated complaints about one merchant (3 within 30 days by default): ask for a focused inspection.

    One open row per merchant (a partial unique index holds it); further complaints raise its count. A handler
    clears it after inspecting.
    """

    __table_args__ = (
        sa.Index(
            "uq_hotspot_open_merchant",
            "merchant_id",
            unique=True,
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    # Set when every complaint counted named the same instrument: the inspection knows what to test.
    instrument_id: int | None = Field(default=None, foreign_key="instrument.id")
    raised_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    last_complaint_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    complaint_count: int
    cleared_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after the last attempt; kept for a person to look at


class OutboxMessage(SQLModel, table=True):
    """Something to deliver outside the service: a notification to the consumer or a forward upstream.

    Written in the same transaction as the change it reports, so nothing is told that was not stored and nothing
    stored goes untold. The payload says *what* to send, never to whom: the recipient is read from the case's
    contact at delivery time, so the outbox holds no personal data.
    """

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    channel: str = Field(max_length=20)  # telegram, wechat, sms, email, upstream
    kind: str = Field(max_length=40)  # received, reply, accepted, …, forward
    idempotency_key: str = Field(max_length=100, unique=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: OutboxStatus = Field(sa_column=enum_column(OutboxStatus, default=OutboxStatus.pending))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    # A worker's claim: until this moment no other worker takes the row (FOR UPDATE SKIP LOCKED to claim).
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    claimed_by: str = Field(default="", max_length=64)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # What the other side called the sent message (an SMS provider's receipt id, an e-mail's Message-ID), for
    # asking the provider about it; never personal data.
    receipt: str = Field(default="", max_length=200)


class Inspection(SQLModel, table=True):
    """An on-site inspection of a merchant (often prompted by a hotspot): the figures of the monthly inspection
    report (计量检查月报表) are sums of these."""

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    hotspot_id: int | None = Field(default=None, foreign_key="hotspot.id")
    inspected_on: date = Field(index=True)
    inspectors: int = 1  # 出动检查人次数
    instruments_checked: int = 0  # 检查计量器具数
    unverified: int = 0  # 使用未检定/检定不合格/超检定周期计量器具数
    tampered: int = 0  # 破坏准确度（改装）计量器具数
    short_weight_found: bool = False
    case_opened: bool = False  # 立案
    fine_yuan: int = 0  # 立案处罚罚没款, in yuan (the report shows 万元)
    # The report's closing rows: the merchant was dealt with (处理) after a failed sampling of its instruments
    # (计量器具产品抽查不合格) or of its goods' quantity (商品量不合格), and what that cost it in yuan.
    product_failed_handled: bool = False
    product_fine_yuan: int = 0
    quantity_failed_handled: bool = False
    quantity_fine_yuan: int = 0
    notes: str = Field(default="", sa_type=sa.Text)
    recorded_by: int | None = None  # staff_user.id
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class VolunteerVisit(SQLModel, table=True):
    """A 群众计量监督员's visit to a merchant: what they checked and found. A finding becomes a report in the
    station's queue (``report_id``); the visit itself is never public (it names the volunteer)."""

    __tablename__ = "volunteer_visit"

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(index=True)  # staff_user.id (the account table belongs to web/)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    visited_on: date
    checks: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # item → "yes" | "no" | "n/a"
    instruments: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)  # code, status at the visit
    notes: str = Field(default="", sa_type=sa.Text)
    report_id: int | None = Field(default=None, foreign_key="complaint.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class VisitCodeCheck(SQLModel, table=True):
    """One code a volunteer scanned or typed on a visit, and whether it named an instrument ("一扫清", the GM2D
    item of the monitoring sheet). ``text`` is the code as read (cut to 64), ``code`` our instrument's code."""

    __tablename__ = "visit_code_check"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="volunteer_visit.id", index=True)
    text: str = Field(max_length=64)
    resolved: bool
    outcome: str = Field(max_length=20)  # lookup/codes/resolve.py's Outcome
    code: str | None = Field(default=None, max_length=16)


class IndexArea(SQLModel, table=True):
    """A street, business district or scenic area scored by the integrity index; its markets make it up."""

    __tablename__ = "index_area"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(max_length=20)  # street | scenic
    district: str = Field(default="", max_length=100)


class IndexAreaMarket(SQLModel, table=True):
    __tablename__ = "index_area_market"

    area_id: int = Field(foreign_key="index_area.id", primary_key=True)
    market_id: int = Field(foreign_key="market.id", primary_key=True)


class IndexAssessment(SQLModel, table=True):
    """An assessor's value for one item of the sheet, for one area and year (the item codes are the sheet's)."""

    __tablename__ = "index_assessment"

    area_id: int = Field(foreign_key="index_area.id", primary_key=True)
    year: int = Field(primary_key=True)
    item_code: str = Field(max_length=60, primary_key=True)
    value: Decimal = Field(sa_type=sa.Numeric(12, 4))
    note: str = Field(default="", max_length=500)
    assessed_by: int | None = None  # staff_user.id
    assessed_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class MonitoringPoint(SQLModel, table=True):
    """诚信计量监测点: a merchant who volunteered to file the quarterly self-check."""

    __tablename__ = "monitoring_point"

    merchant_id: int = Field(foreign_key="merchant.id", primary_key=True)
    station_id: int = Field(foreign_key="station.id", index=True)
    since: date


class SelfCheck(SQLModel, table=True):
    """A monitoring point's quarterly self-check, and the handler's verification of each item."""

    __tablename__ = "self_check"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    quarter: str = Field(max_length=7)  # 2026-Q4
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # item → {"ok": bool, "note": str}
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    verified: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)  # item → {"ok": bool, "note": str}
    verified_by: int | None = None  # staff_user.id
    verified_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class TargetEntry(SQLModel, table=True):
    """A district's figure for a target the service cannot compute (complaints/programme/targets.toml, measure
    ``manual``), for a year (``2026``) or a month (``2026-05``), with who entered it."""

    __tablename__ = "target_entry"

    target_code: str = Field(max_length=60, primary_key=True)
    period: str = Field(max_length=7, primary_key=True)
    value: Decimal = Field(sa_type=sa.Numeric(14, 4))
    note: str = Field(default="", max_length=500)
    entered_by: int | None = None  # staff_user.id
    entered_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class EarlyWarning(SQLModel, table=True):
    """A rise the nightly early-warning run found significant for a merchant or a market (complaints/warnings/).

    One open row per subject, signal and category; each night that finds it again refreshes its figures. A station
    acts on it (an inspection, through a hotspot) or dismisses it; a rise that is no longer significant subsides.
    """

    __tablename__ = "early_warning"
    __table_args__ = (sa.Index("ix_early_warning_open", "state", "station_id"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int | None = Field(default=None, foreign_key="merchant.id", index=True)
    market_id: int | None = Field(default=None, foreign_key="market.id", index=True)
    station_id: int | None = Field(default=None, foreign_key="station.id")
    signal: str = Field(max_length=30)  # complaints | instruments | volunteer_findings | inspection_findings
    category: str = Field(default="", max_length=32)  # the complaint category; "" for the other signals
    raised_on: date
    checked_on: date  # the last night that found the rise significant
    observed: int
    whole: int | None = None  # instruments counted, for a share; None for a count
    expected: float
    p_value: float
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    state: str = Field(default="open", max_length=20)  # open | acted | dismissed | subsided
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_by: int | None = None  # staff_user.id
    hotspot_id: int | None = Field(default=None, foreign_key="hotspot.id")


class WarningRun(SQLModel, table=True):
    """One night's early-warning run: the row is the claim, so that of several workers only one runs it."""

    __tablename__ = "warning_run"

    day: date = Field(primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    worker: str = Field(default="", max_length=100)
    raised: int = 0
    refreshed: int = 0
    subsided: int = 0
