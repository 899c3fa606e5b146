"""The merchants taking part in ODR and the cases in settlement with them."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lookup.models import UtcDateTime


class OdrMerchant(SQLModel, table=True):
    """A merchant's part in ODR: applied for on their page (``applied_at``) and/or decided by the station (``since``,
    ``decided_by``). A merchant takes part while ``since`` is set."""

    __tablename__ = "odr_merchant"

    merchant_id: int = Field(foreign_key="merchant.id", primary_key=True)
    applied_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    since: date | None = None
    decided_by: str = Field(default="", max_length=50)  # the handler's username


class OdrCase(SQLModel, table=True):
    """A complaint in settlement with the merchant: when it started, by when the merchant must settle, what the
    merchant proposed, and how it ended ("" while open; settled, refused or timed_out)."""

    __tablename__ = "odr_case"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    merchant_id: int = Field(foreign_key="merchant.id", index=True)
    started_at: datetime = Field(sa_type=UtcDateTime)
    due_on: date
    proposal: str = Field(default="", sa_type=sa.Text)
    refund_yuan: float | None = None
    proposed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outcome: str = Field(default="", max_length=20, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
