"""The registry tables: stations, markets, merchants, commitments, instruments, verification records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lookup.legal_use import LegalUse
from lookup.vocab import InstrumentKind, InstrumentState, Sector, Standing, VerificationKind

E = TypeVar("E", bound=StrEnum)

# Named constraints keep migrations identical on SQLite and PostgreSQL and let later migrations drop them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def enum_column(
    enum: type[E], *, default: E | None = None, index: bool = False, nullable: bool = False
) -> sa.Column[E]:
    """A VARCHAR holding an enum's values.

    Not a native PostgreSQL ENUM: adding a value to one needs a migration that cannot run inside a
    transaction, and the vocabularies here will grow (new instrument kinds, new standings).
    """
    return sa.Column(
        sa.Enum(enum, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        nullable=nullable,
        default=default,
        index=index,
    )


def table_of(model: type[SQLModel]) -> sa.Table:
    """A table model's Core table, for bulk statements that skip the ORM."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]  # SQLModel sets it in the metaclass


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment, stored in UTC and read back with its offset, on every database.

    SQLite keeps no offset: without this, a time written in Beijing and one written in UTC would compare eight
    hours apart. Naive datetimes are refused on the way in, because nobody can tell which zone they meant.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a stored time needs its time zone: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp_column() -> sa.Column[datetime]:
    return sa.Column(UtcDateTime(), nullable=False, default=utcnow)


class Station(SQLModel, table=True):
    """市场监管所: the station with jurisdiction over merchants and markets."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    district: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=200)


class Market(SQLModel, table=True):
    """集贸市场 / 商圈 / 景区."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    # Other names shoppers use ("南门菜场" for "南门农贸市场"); complaint routing matches them in text.
    aliases: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    address: str = Field(default="", max_length=200)
    district: str = Field(default="", max_length=100)
    station_id: int = Field(foreign_key="station.id", index=True)
    fair_scale_location: str = Field(default="", max_length=200)
    # Where it is, in GCJ-02 degrees (lookup/geo/coordinates.py), from the ledger or the admin page; None: not known.
    latitude: float | None = None
    longitude: float | None = None


class Merchant(SQLModel, table=True):
    """经营者, identified by its unified social credit code."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    uscc: str = Field(max_length=18, unique=True)
    sector: Sector = Field(sa_column=enum_column(Sector))
    market_id: int | None = Field(default=None, foreign_key="market.id", index=True)
    stall: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=200)
    station_id: int = Field(foreign_key="station.id", index=True)
    standing: Standing = Field(sa_column=enum_column(Standing, default=Standing.ordinary))
    # Public, on the merchant's record and the red and black lists: when and why a supervisor set the standing.
    standing_since: date | None = None
    standing_reason: str = Field(default="", max_length=500)
    # A restaurant's grade (餐饮等级 A, B or C) where the district records it; "" when it does not. The district
    # targets count restaurants of grade B and above (餐饮店（B级以上）).
    grade: str = Field(default="", max_length=10)
    # Private: never shown on a public page.
    contact: str = Field(default="", max_length=200)
    # Private, from the ledger's optional columns (联系电话, 负责人): for staff, and where the merchant's link is sent.
    contact_phone: str = Field(default="", max_length=40)
    contact_person: str = Field(default="", max_length=100)


class Commitment(SQLModel, table=True):
    """诚信计量承诺书. The text is copied at signing: what a merchant signed does not change later."""

    # A scan asks for the merchant's newest commitment; ordered by date in the index, SQLite reads it off the
    # index (rowid, that is id, being the index's implicit last column) instead of sorting on every scan.
    __table_args__ = (sa.Index("ix_commitment_merchant_signed", "merchant_id", "signed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchant.id")
    text_version: str = Field(max_length=40)
    text: str
    signed_on: date
    revoked_on: date | None = None
    # Signed online on the merchant's page (电子承诺书): the moment and the signer's name; None and "" on paper.
    signed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    signer: str = Field(default="", max_length=100)
    # Who revoked it: a staff member's username, or "merchant" when the merchant withdrew it on their page.
    revoked_by: str = Field(default="", max_length=50)


class Instrument(SQLModel, table=True):
    """计量器具, identified within its merchant by serial number and in public by its code."""

    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "serial_no", name="uq_instrument_merchant_serial"),
        # The other codes an instrument carries (lookup/codes/rules.py): each names at most one instrument.
        # NULL where none is recorded; both databases let any number of NULLs share a unique index.
        sa.Index("ix_instrument_id_code", "id_code", unique=True),
        sa.Index("ix_instrument_gtin_serial", "gtin", "gs1_serial", unique=True),
        sa.Index("ix_instrument_asset_no", "asset_no", unique=True),
        # A nameplate serial typed alone (several merchants' instruments may share one).
        sa.Index("ix_instrument_serial_no", "serial_no"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=10, unique=True)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    kind: InstrumentKind = Field(sa_column=enum_column(InstrumentKind))
    mandatory: bool = True
    model: str = Field(default="", max_length=200)
    serial_no: str = Field(max_length=200)
    manufacturer: str = Field(default="", max_length=200)
    pattern_approval: str = Field(default="", max_length=200)
    state: InstrumentState = Field(sa_column=enum_column(InstrumentState, default=InstrumentState.in_use))
    # Household meters (民用水、电、气、热表): the day the meter was installed, from which with its first
    # verification its rotation falls due (lookup/rotation.py). None for other instruments or when not recorded.
    installed_on: date | None = None
    # The day the instrument was retired, so that a month before it still counts it (None: in service, or retired
    # before the day was recorded).
    retired_on: date | None = None
    # 用途: the field of compulsory verification it serves (lookup/legal_use.py); the kind's default unless stated.
    legal_use: LegalUse = Field(sa_column=enum_column(LegalUse, default=LegalUse.trade_settlement))
    # 识别编码 (GB/T 36377-2018), a GTIN-14 with the instrument's GS1 serial (AI 01 + AI 21), a meter's asset number
    # (资产编号): from the ledger's optional columns, normalised (lookup/codes/rules.py); None when not recorded.
    id_code: str | None = Field(default=None, max_length=64)
    gtin: str | None = Field(default=None, max_length=14)
    gs1_serial: str | None = Field(default=None, max_length=20)
    asset_no: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class Verification(SQLModel, table=True):
    """检定 / 校准 record. One per instrument and date: a re-imported ledger adds only new dates."""

    __table_args__ = (sa.UniqueConstraint("instrument_id", "performed_on", name="uq_verification_instrument_date"),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="instrument.id")
    kind: VerificationKind = Field(sa_column=enum_column(VerificationKind))
    performed_on: date
    valid_until: date
    passed: bool
    certificate_no: str = Field(default="", max_length=200)
    institution: str = Field(default="", max_length=200)


def newest_verification_id(instrument_id: sa.ColumnElement[int]) -> sa.ScalarSelect[int]:
    """The id of an instrument's newest verification record (latest performed, then latest entered), for a query that
    joins each instrument to the record its status is read from."""
    newest = table_of(Verification).alias("newest")
    return (
        sa.select(newest.c.id)
        .where(newest.c.instrument_id == instrument_id)
        .order_by(newest.c.performed_on.desc(), newest.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
