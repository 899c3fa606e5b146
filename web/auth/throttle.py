"""Sign-in throttling that a stranger cannot turn against a member of staff.

Wrong guesses (a wrong password, an unknown or switched-off username, a wrong second-factor code) are counted over
the last :data:`THROTTLE_WINDOW` in three ways:

- per username, from any address: :data:`MAX_FAILURES_PER_USERNAME`;
- per client address, whatever the username: :data:`MAX_FAILURES_PER_ADDRESS`;
- per known device: :data:`MAX_FAILURES_PER_DEVICE`.

A *known device* is a browser that signed in as this user before: it carries a signed cookie (:func:`device_cookie`)
naming the user and a random device id. It is held only to its own count, so guesses made by others — from any
address, even the same office network — never lock the real user out of a browser they have used; a stolen cookie
buys its thief no more guesses than the device count allows. Anyone else is held to the username and the address
counts. A lock lifts by itself once the guess that made it is older than the window (the answer's Retry-After
says when), or at once when an administrator unlocks the username or the address (an ``unlocked`` row in the audit,
naming the administrator: only guesses after it count).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import table_of
from web.auth.models import LoginAttempt

attempt_t = table_of(LoginAttempt)

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20
MAX_FAILURES_PER_DEVICE = 5
DEVICE_LIFETIME = timedelta(days=90)
FAILURES = ("bad_password", "unknown_user", "inactive", "bad_code")
UNLOCKED = "unlocked"


@dataclass(frozen=True)
class Device:
    """A browser that signed in as ``user_id`` before; ``key`` names it in the audit (a hash of its id)."""

    user_id: int
    key: str


def _signature(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), f"known-device:{payload}".encode(), hashlib.sha256).hexdigest()[:32]


def device_cookie(secret: str, user_id: int, *, now: datetime) -> str:
    """A fresh known-device cookie for ``user_id``: user id, random device id, issue time, signature."""
    payload = f"{user_id}.{secrets.token_urlsafe(16)}.{int(now.timestamp())}"
    return f"{payload}.{_signature(secret, payload)}"


def read_device(secret: str, cookie: str | None, *, now: datetime) -> Device | None:
    """The device a cookie names, if its signature holds and it is younger than :data:`DEVICE_LIFETIME`."""
    if not cookie or len(cookie) > 200:
        return None
    payload, _, signature = cookie.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        return None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    if now.timestamp() - int(parts[2]) > DEVICE_LIFETIME.total_seconds():
        return None
    return Device(int(parts[0]), hashlib.sha256(parts[1].encode()).hexdigest()[:16])


async def _last_unlock(connection: AsyncConnection, column: sa.ColumnElement[str], value: str) -> int:
    query = sa.select(sa.func.max(attempt_t.c.id)).where(column == value, attempt_t.c.reason == UNLOCKED)
    return int((await connection.execute(query)).scalar() or 0)


async def locked_until(
    connection: AsyncConnection, column: sa.ColumnElement[str], value: str, limit: int, *, now: datetime
) -> datetime | None:
    """When the lock on ``value`` lifts (the ``limit``-th latest guess leaving the window), or None if unlocked."""
    after = await _last_unlock(connection, column, value) if column is not attempt_t.c.device else 0
    query = (
        sa.select(attempt_t.c.at)
        .where(
            column == value,
            attempt_t.c.at >= now - THROTTLE_WINDOW,
            attempt_t.c.id > after,
            attempt_t.c.reason.in_(FAILURES),
        )
        .order_by(attempt_t.c.at.desc())
        .limit(limit)
    )
    times = list((await connection.execute(query)).scalars())
    return times[-1] + THROTTLE_WINDOW if len(times) >= limit else None


async def lock_on(
    connection: AsyncConnection,
    *,
    username: str,
    remote: str,
    device: Device | None,
    user_id: int | None,
    now: datetime,
) -> datetime | None:
    """When the lock that refuses this attempt lifts, or None: a known device of this user answers for itself."""
    if device is not None and user_id is not None and device.user_id == user_id:
        return await locked_until(connection, attempt_t.c.device, device.key, MAX_FAILURES_PER_DEVICE, now=now)
    by_username = await locked_until(connection, attempt_t.c.username, username, MAX_FAILURES_PER_USERNAME, now=now)
    by_address = await locked_until(connection, attempt_t.c.remote, remote, MAX_FAILURES_PER_ADDRESS, now=now)
    return max((until for until in (by_username, by_address) if until is not None), default=None)


async def record_attempt(
    connection: AsyncConnection,
    username: str,
    reason: str,
    *,
    remote: str,
    now: datetime,
    device: Device | None = None,
    actor: str | None = None,
) -> None:
    await connection.execute(
        sa.insert(attempt_t).values(
            at=now,
            username=username[:50],
            remote=remote[:64],
            succeeded=reason not in (*FAILURES, "throttled"),
            reason=reason,
            device=device.key if device is not None else None,
            actor=actor,
        )
    )


@dataclass(frozen=True)
class Lock:
    kind: str  # "username" or "address"
    key: str
    failures: int
    until: datetime


async def current_locks(connection: AsyncConnection, *, now: datetime) -> list[Lock]:
    """Every username and address locked now, for the administrators' page."""
    locks: list[Lock] = []
    for kind, column, limit in (
        ("username", attempt_t.c.username, MAX_FAILURES_PER_USERNAME),
        ("address", attempt_t.c.remote, MAX_FAILURES_PER_ADDRESS),
    ):
        candidates = await connection.execute(
            sa.select(column, sa.func.count())
            .where(attempt_t.c.at >= now - THROTTLE_WINDOW, attempt_t.c.reason.in_(FAILURES), column != "")
            .group_by(column)
            .having(sa.func.count() >= limit)
            .order_by(column)
        )
        for key, failures in candidates.all():
            until = await locked_until(connection, column, key, limit, now=now)
            if until is not None:
                locks.append(Lock(kind, key, int(failures), until))
    return locks


async def unlock(connection: AsyncConnection, kind: str, key: str, *, actor: str, now: datetime) -> None:
    """Lift the lock on a username or an address: an audit row naming the administrator, after which only new
    guesses count. The row names the username or the address, never both, so it lifts only what was asked."""
    username, address = (key, "") if kind == "username" else ("", key)
    await record_attempt(connection, username, UNLOCKED, remote=address, now=now, actor=actor)
