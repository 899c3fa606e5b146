"""The merchant's links and every use of them, and the reminders queued for a merchant."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lookup.models import UtcDateTime, timestamp_column, utcnow


class MerchantLink(SQLModel, table=True):
    """A merchant's private link to their page. The token in the link is derived from the service's secret, the row
    and its nonce (never stored); a re-issued link revokes the one before, and revoked or expired rows stay."""

    __tablename__ = "merchant_link"

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    nonce: str = Field(max_length=32)
    issued_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    issued_by: str = Field(max_length=50)  # the handler's username
    expires_at: datetime = Field(sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_by: str = Field(default="", max_length=50)


class MerchantLinkUse(SQLModel, table=True):
    """One use of a merchant's link: when, which link, what for (view, sign, withdraw, or refused as revoked or
    expired)."""

    __tablename__ = "merchant_link_use"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(foreign_key="merchant_link.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    action: str = Field(max_length=20)


class VerificationReminder(SQLModel, table=True):
    """A reminder that an instrument's verification expires soon: one per instrument, validity and threshold (30
    and 7 days), whichever worker gets there first (the unique key decides)."""

    __tablename__ = "verification_reminder"
    __table_args__ = (
        sa.UniqueConstraint("instrument_id", "valid_until", "days", name="uq_verification_reminder_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    instrument_id: int = Field(foreign_key="instrument.id")
    valid_until: date
    days: int  # 30 or 7
    queued_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    channel: str = Field(default="", max_length=20)  # "sms", or "" when the merchant has no phone to send it to
