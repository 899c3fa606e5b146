"""Staff accounts: passwords (argon2), sign-in with throttling and an audit row for every attempt, server-side
sessions, and revocable API tokens. Only hashes of secrets are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import Station, table_of
from web.auth.models import ApiToken, StaffRole, User, WebSession
from web.auth.throttle import Device, lock_on, record_attempt

user_t, session_t, token_t = table_of(User), table_of(WebSession), table_of(ApiToken)
station_t = table_of(Station)

SESSION_LIFETIME = timedelta(hours=12)  # a working day; signing in again each morning is expected
SESSION_REFRESH = timedelta(minutes=5)  # how stale last_seen_at may get before a request writes it
MIN_PASSWORD_LENGTH = 10

PASSWORD_HASHER = PasswordHasher()
# Verifying against this when the username is unknown makes both refusals take the same time. It is the hash of a
# random secret nobody kept, made once with PASSWORD_HASHER's parameters (a test holds the two together): hashing
# one at import cost every process ~0.1 s before it could start.
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$g4llzSfrjrX3kwZ5fwVtBg$W7ojcs3anIrEd5IXQl7sj1VG9UJTYBioqCO5cubaufs"


class AccountError(ValueError):
    """A refused account operation; the message says what to change."""


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the one thing every protected route and the access rules look at."""

    user_id: int
    username: str
    display_name: str
    role: StaffRole
    station_id: int | None
    station_name: str | None
    csrf_token: str | None  # None when signed in by bearer token (no cookie, so no CSRF to guard against)
    second_factor: bool = False  # the account has enrolled a second factor


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str, hasher: PasswordHasher = PASSWORD_HASHER) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 (a password needs {MIN_PASSWORD_LENGTH}+ characters)"
        )
    return hasher.hash(password)


async def add_user(
    connection: AsyncConnection,
    username: str,
    role: StaffRole,
    password: str,
    *,
    station: str | None,
    display_name: str = "",
    hasher: PasswordHasher = PASSWORD_HASHER,
) -> int:
    """A new active account. ``hasher`` is argon2 with its default (RFC 9106) parameters; signing in verifies a
    hash by the parameters stored in it, which lets tests make their many accounts with cheap ones."""
    username = username.strip()
    if not username or len(username) > 50 or not username.isprintable() or " " in username:
        raise AccountError(f"用户名不可用 (unusable username): {username!r}")
    station_id = None
    if station:
        station_id = (await connection.execute(sa.select(station_t.c.id).where(station_t.c.name == station))).scalar()
        if station_id is None:
            raise AccountError(f"没有这个监管所 (no such station): {station}")
    if role is StaffRole.handler and station_id is None:
        raise AccountError("处理人员必须属于一个监管所，请用 --station 指定 (a handler needs --station)")
    exists = (await connection.execute(sa.select(user_t.c.id).where(user_t.c.username == username))).scalar()
    if exists is not None:
        raise AccountError(f"用户名已存在 (the username exists): {username}")
    result = await connection.execute(
        sa.insert(user_t)
        .values(
            username=username,
            display_name=display_name or username,
            role=role,
            station_id=station_id,
            password_hash=hash_password(password, hasher),
            active=True,
        )
        .returning(user_t.c.id)
    )
    return int(result.scalar_one())


@dataclass(frozen=True)
class Attempt:
    """What a password attempt came to: ``reason`` is "ok", "second_factor" (the password is right and the account
    asks a code next), or why it was refused; ``retry_at`` says when a throttled attempt may try again."""

    user_id: int | None
    reason: str
    retry_at: datetime | None = None


async def sign_in(
    connection: AsyncConnection,
    username: str,
    password: str,
    *,
    remote: str,
    now: datetime,
    device: Device | None = None,
) -> Attempt:
    """Check a password, throttled (web/auth/throttle.py); every attempt is recorded, success or not."""
    username = username.strip()[:50]
    row = (
        await connection.execute(
            sa.select(user_t.c.id, user_t.c.password_hash, user_t.c.active, user_t.c.totp_secret).where(
                user_t.c.username == username
            )
        )
    ).first()
    user_id = row.id if row is not None else None
    known = device if device is not None and device.user_id == user_id else None
    until = await lock_on(connection, username=username, remote=remote, device=known, user_id=user_id, now=now)
    reason = "ok"
    if until is not None:
        reason = "throttled"
    elif row is None:
        _check(DUMMY_HASH, password)
        reason = "unknown_user"
    elif not _check(row.password_hash, password):
        reason = "bad_password"
    elif not row.active:
        reason = "inactive"
    elif row.totp_secret:
        reason = "second_factor"
    await record_attempt(connection, username, reason, remote=remote, now=now, device=known)
    return Attempt(user_id if reason in ("ok", "second_factor") else None, reason, until)


async def record_logout(connection: AsyncConnection, username: str, *, remote: str, now: datetime) -> None:
    await record_attempt(connection, username, "logout", remote=remote, now=now)


def _check(stored: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def open_session(connection: AsyncConnection, user_id: int, *, now: datetime) -> str:
    """A new session (always new: a session id known before sign-in is never promoted); returns its secret."""
    secret = secrets.token_urlsafe(32)
    await connection.execute(
        sa.insert(session_t).values(
            id_hash=digest(secret),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return secret


async def close_session(connection: AsyncConnection, secret: str) -> None:
    await connection.execute(sa.delete(session_t).where(session_t.c.id_hash == digest(secret)))


def _viewer_select() -> sa.Select[tuple[int, str, str, str, int | None, str | None, datetime | None]]:
    return sa.select(
        user_t.c.id,
        user_t.c.username,
        user_t.c.display_name,
        user_t.c.role,
        user_t.c.station_id,
        station_t.c.name,
        user_t.c.totp_enrolled_at,
    ).outerjoin(station_t, station_t.c.id == user_t.c.station_id)


async def viewer_for_session(connection: AsyncConnection, secret: str, *, now: datetime) -> Viewer | None:
    row = (
        await connection.execute(
            _viewer_select()
            .add_columns(session_t.c.csrf_token, session_t.c.last_seen_at, session_t.c.id_hash)
            .join(session_t, session_t.c.user_id == user_t.c.id)
            .where(session_t.c.id_hash == digest(secret), session_t.c.expires_at > now, user_t.c.active.is_(True))
        )
    ).first()
    if row is None:
        return None
    if now - row.last_seen_at > SESSION_REFRESH:
        await connection.execute(
            sa.update(session_t)
            .where(session_t.c.id_hash == row.id_hash)
            .values(last_seen_at=now, expires_at=now + SESSION_LIFETIME)
        )
    return Viewer(row[0], row[1], row[2], StaffRole(row[3]), row[4], row[5], row.csrf_token, row[6] is not None)


async def issue_token(connection: AsyncConnection, username: str, *, label: str, now: datetime) -> str:
    user_id = (await connection.execute(sa.select(user_t.c.id).where(user_t.c.username == username))).scalar()
    if user_id is None:
        raise AccountError(f"没有这个用户 (no such user): {username}")
    token = "fw_" + secrets.token_urlsafe(32)
    await connection.execute(
        sa.insert(token_t).values(user_id=user_id, token_hash=digest(token), label=label, created_at=now)
    )
    return token


async def revoke_tokens(connection: AsyncConnection, username: str, *, now: datetime) -> int:
    user_id = (await connection.execute(sa.select(user_t.c.id).where(user_t.c.username == username))).scalar()
    if user_id is None:
        raise AccountError(f"没有这个用户 (no such user): {username}")
    result = await connection.execute(
        sa.update(token_t).where(token_t.c.user_id == user_id, token_t.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(result.rowcount)


async def viewer_for_token(connection: AsyncConnection, token: str) -> Viewer | None:
    row = (
        await connection.execute(
            _viewer_select()
            .add_columns(token_t.c.token_hash)
            .join(token_t, token_t.c.user_id == user_t.c.id)
            .where(token_t.c.token_hash == digest(token), token_t.c.revoked_at.is_(None), user_t.c.active.is_(True))
        )
    ).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest(token)):
        return None
    return Viewer(row[0], row[1], row[2], StaffRole(row[3]), row[4], row[5], None, row[6] is not None)


async def add_demo_accounts(connection: AsyncConnection) -> list[tuple[str, str, str]]:
    """For `serve --demo` on a database without staff: a handler for the first station, a district supervisor and
    an administrator, with fresh random passwords. Returns (username, what they are, password) to print once."""
    if (await connection.execute(sa.select(sa.func.count()).select_from(user_t))).scalar_one():
        return []
    first_station = (await connection.execute(sa.select(station_t.c.name).order_by(station_t.c.id).limit(1))).scalar()
    accounts: list[tuple[str, str, str]] = []
    for username, role, station, label in (
        ("demo-handler", StaffRole.handler, first_station, first_station),
        ("demo-supervisor", StaffRole.supervisor, None, "区局督办 · district supervisor"),
        ("demo-admin", StaffRole.admin, None, "管理员 · administrator: accounts, sign-in locks"),
    ):
        if role is StaffRole.handler and station is None:
            continue
        password = secrets.token_urlsafe(12)
        await add_user(connection, username, role, password, station=station)
        accounts.append((username, label or "", password))
    return accounts
