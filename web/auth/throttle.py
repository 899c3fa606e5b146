"""Sign-in throttling that a stranger cannot turn against a member of staff.

Wrong guesses (a wrong password, an unknown or switched-off username, a wrong second-factor code) are counted over
the last :data:`THROTTLE_WINDOW` in four ways:

- per username from one client address: :data:`MAX_FAILURES_PER_PAIR` (one guesser locks only themself);
- per username, from any address: :data:`MAX_FAILURES_PER_USERNAME` (guessing spread over many addresses);
- per client address, whatever the username: :data:`MAX_FAILURES_PER_ADDRESS`;
- per known device: :data:`MAX_FAILURES_PER_DEVICE`.

A *known device* is a browser that signed in as this user before: it carries a signed cookie (:func:`device_cookie`)
naming the user and a random device id. It is held only to its own count, so guesses made by others — from any
address, even the same office network — never lock the real user out of a browser they have used; a stolen cookie
buys its thief no more guesses than the device count allows. Anyone else is held to the username and the address
counts. A lock lifts by itself once the guess that made it is older than the window (the answer's Retry-After
says when), or at once when an administrator unlocks the username (with every address it is held from) or the
address (an ``unlocked`` row in the audit, naming the administrator: only guesses after it count).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import table_of
from web.auth.models import LoginAttempt

attempt_t = table_of(LoginAttempt)

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PAIR = 5  # one username from one address
MAX_FAILURES_PER_USERNAME = 20  # one username from anywhere: guessing spread over many addresses
MAX_FAILURES_PER_ADDRESS = 20  # one address, whatever the usernames
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


async def _last_unlock(connection: AsyncConnection, *, username: str | None = None, remote: str | None = None) -> int:
    """The id of the latest unlock of the username or of the address (an unlock row names one, the other empty)."""
    clauses = []
    if username is not None:
        clauses.append(sa.and_(attempt_t.c.username == username, attempt_t.c.remote == ""))
    if remote is not None:
        clauses.append(sa.and_(attempt_t.c.remote == remote, attempt_t.c.username == ""))
    query = sa.select(sa.func.max(attempt_t.c.id)).where(attempt_t.c.reason == UNLOCKED, sa.or_(*clauses))
    return int((await connection.execute(query)).scalar() or 0)


async def _until(
    connection: AsyncConnection, where: sa.ColumnElement[bool], limit: int, *, after: int, now: datetime
) -> datetime | None:
    """When a lock lifts (the ``limit``-th latest guess since ``after`` leaving the window), or None if none holds."""
    query = (
        sa.select(attempt_t.c.at)
        .where(where, attempt_t.c.at >= now - THROTTLE_WINDOW, attempt_t.c.id > after, attempt_t.c.reason.in_(FAILURES))
        .order_by(attempt_t.c.at.desc())
        .limit(limit)
    )
    times = list((await connection.execute(query)).scalars())
    return times[-1] + THROTTLE_WINDOW if len(times) >= limit else None


async def username_lock(connection: AsyncConnection, username: str, *, now: datetime) -> datetime | None:
    after = await _last_unlock(connection, username=username)
    where = attempt_t.c.username == username
    return await _until(connection, where, MAX_FAILURES_PER_USERNAME, after=after, now=now)


async def address_lock(connection: AsyncConnection, remote: str, *, now: datetime) -> datetime | None:
    after = await _last_unlock(connection, remote=remote)
    return await _until(connection, attempt_t.c.remote == remote, MAX_FAILURES_PER_ADDRESS, after=after, now=now)


async def pair_lock(connection: AsyncConnection, username: str, remote: str, *, now: datetime) -> datetime | None:
    after = await _last_unlock(connection, username=username, remote=remote)
    where = sa.and_(attempt_t.c.username == username, attempt_t.c.remote == remote)
    return await _until(connection, where, MAX_FAILURES_PER_PAIR, after=after, now=now)


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
        where = attempt_t.c.device == device.key
        return await _until(connection, where, MAX_FAILURES_PER_DEVICE, after=0, now=now)
    locks = (
        await pair_lock(connection, username, remote, now=now),
        await username_lock(connection, username, now=now),
        await address_lock(connection, remote, now=now),
    )
    return max((until for until in locks if until is not None), default=None)


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
    address: str = ""  # a username held only from this address (its guesses from elsewhere are few)


async def _candidates(
    connection: AsyncConnection, columns: list[sa.ColumnElement[str]], limit: int, *, now: datetime
) -> list[tuple[Any, ...]]:
    query = (
        sa.select(*columns, sa.func.count())
        .where(attempt_t.c.at >= now - THROTTLE_WINDOW, attempt_t.c.reason.in_(FAILURES), columns[0] != "")
        .group_by(*columns)
        .having(sa.func.count() >= limit)
        .order_by(*columns)
    )
    return [tuple(row) for row in (await connection.execute(query)).all()]


async def current_locks(connection: AsyncConnection, *, now: datetime) -> list[Lock]:
    """Every username, username from one address, and address locked now, for the administrators' page."""
    locks: list[Lock] = []
    for username, failures in await _candidates(connection, [attempt_t.c.username], MAX_FAILURES_PER_USERNAME, now=now):
        if (until := await username_lock(connection, username, now=now)) is not None:
            locks.append(Lock("username", username, int(failures), until))
    whole = {lock.key for lock in locks}
    pairs = await _candidates(connection, [attempt_t.c.username, attempt_t.c.remote], MAX_FAILURES_PER_PAIR, now=now)
    for username, remote, failures in pairs:
        if username not in whole and (until := await pair_lock(connection, username, remote, now=now)) is not None:
            locks.append(Lock("username", username, int(failures), until, address=remote))
    for remote, failures in await _candidates(connection, [attempt_t.c.remote], MAX_FAILURES_PER_ADDRESS, now=now):
        if (until := await address_lock(connection, remote, now=now)) is not None:
            locks.append(Lock("address", remote, int(failures), until))
    return locks


async def unlock(connection: AsyncConnection, kind: str, key: str, *, actor: str, now: datetime) -> None:
    """Lift the lock on a username or an address: an audit row naming the administrator, after which only new
    guesses count. The row names the username or the address, never both, so it lifts only what was asked."""
    username, address = (key, "") if kind == "username" else ("", key)
    await record_attempt(connection, username, UNLOCKED, remote=address, now=now, actor=actor)
