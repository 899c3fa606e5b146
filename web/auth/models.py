"""Accounts of the people who work the queue: users, their sessions and API tokens, and the login audit.

Secrets are never stored: a session id and an API token are kept as their SHA-256, a password as its argon2
hash. Sessions live in the database so that any process behind the load balancer serves any request.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lookup.models import UtcDateTime, enum_column, timestamp_column, utcnow


class StaffRole(StrEnum):
    handler = "handler"  # a station's cases only
    supervisor = "supervisor"  # every station of the district
    admin = "admin"  # users and the registry
    volunteer = "volunteer"  # 群众计量监督员: records visits to merchants, sees no cases


class User(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=50, unique=True)
    display_name: str = Field(default="", max_length=100)
    role: StaffRole = Field(sa_column=enum_column(StaffRole))
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    # The second factor (TOTP, RFC 6238): the confirmed secret, a secret shown but not yet confirmed, when it was
    # confirmed, and the last time step a code was taken at (a code is taken once).
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_pending: str | None = Field(default=None, max_length=64)
    totp_enrolled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)


class RecoveryCode(SQLModel, table=True):
    """A one-time recovery code of the second factor, kept as its argon2 hash; used_at set when it is spent."""

    __tablename__ = "staff_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    code_hash: str = Field(max_length=200)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds the secret; the row holds its hash and the CSRF token."""

    __tablename__ = "web_session"

    id_hash: str = Field(max_length=64, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    expires_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False, index=True))


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API (`fairweigh users token`), revocable one by one."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class LoginAttempt(SQLModel, table=True):
    """Every sign-in attempt, for the audit and for throttling guessers (by username and by address)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_username_at", "username", "at"),
        sa.Index("ix_login_attempt_remote_at", "remote", "at"),
        sa.Index("ix_login_attempt_device_at", "device", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    username: str = Field(max_length=50)  # as typed, cut to length
    remote: str = Field(max_length=64)
    succeeded: bool
    # ok, bad_password, unknown_user, throttled, inactive, logout; bad_code, code_ok, recovery_code (the second
    # step); unlocked, factor_reset (an administrator's act, by `actor`); factor_enrolled, recovery_codes_renewed.
    reason: str = Field(default="", max_length=40)
    device: str | None = Field(default=None, max_length=16)  # a known device's id (a hash), when one was shown
    actor: str | None = Field(default=None, max_length=50)  # the administrator who unlocked or reset
