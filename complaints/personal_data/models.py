"""Tables of personal-data care: legal holds, consumers' erasure requests, and the log of staff shown a contact.

None of them holds personal data itself: they name cases and staff accounts by id.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lookup.models import UtcDateTime, timestamp_column, utcnow


class LegalHold(SQLModel, table=True):
    """A supervisor's hold on a case (a lawsuit, an investigation): its personal data is kept until released."""

    __tablename__ = "legal_hold"

    complaint_id: int = Field(foreign_key="complaint.id", primary_key=True)
    reason: str = Field(max_length=500)
    set_by: int | None = None  # staff_user.id (the account table belongs to web/)
    set_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ErasureRequest(SQLModel, table=True):
    """A consumer's request to remove the personal data held for their case, carried out by the nightly purge."""

    __tablename__ = "erasure_request"

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    via: str = Field(max_length=20)  # status_page, telegram, wechat
    requested_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    # Set by the purge that removed the data; None while it waits (for the night, or for a legal hold to end).
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ContactAccess(SQLModel, table=True):
    """One time a staff member was shown, or exported, a consumer's full contact: who, when, which case, how."""

    __tablename__ = "contact_access"
    __table_args__ = (
        sa.Index("ix_contact_access_case", "complaint_id", "at"),
        sa.Index("ix_contact_access_user", "user_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False, index=True))
    user_id: int  # staff_user.id
    complaint_id: int = Field(foreign_key="complaint.id")
    route: str = Field(max_length=40)  # case_page, case_api, case_action_api, export_csv, export_xlsx
    reason: str = Field(default="", max_length=200)  # what an export with contacts was for
