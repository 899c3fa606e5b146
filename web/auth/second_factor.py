"""The second factor: a TOTP code (RFC 6238, 6 digits every 30 s, as any authenticator app makes) or a one-time
recovery code, asked after the password of an enrolled account.

Enrolment shows a secret (as a QR code of its otpauth:// URI, drawn here by segno, and as text) that stays pending
until a code made from it is given back; then it becomes the account's factor and ten recovery codes are shown once
and kept only as argon2 hashes. A code is taken once: the time step it was made at is remembered and a code from that
step or an earlier one is refused, so a code seen over a shoulder cannot be replayed. Wrong codes count as wrong
guesses for the sign-in throttle (web/auth/throttle.py). An administrator can reset an account's factor (the account
then signs in with its password alone, and enrols again if its role requires it).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import table_of
from web.auth.models import RecoveryCode, User
from web.auth.throttle import Device, lock_on, record_attempt

user_t, code_t = table_of(User), table_of(RecoveryCode)

ISSUER = "fairweigh 诚信计量"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
# A recovery code is random (10 of 31 letters and digits, about 49 bits), so it is not the hash's cost that protects
# it, as it is for a password a person chose: a light argon2 (8 MiB, one pass) keeps a copy of the database from
# giving the codes away while checking the ten of an account stays quick (the password's hashing takes ~100x more).
_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no script, no style attribute: the CSP allows it)."""
    svg = segno.make_qr(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff", title="otpauth")
    return str(svg).replace("<svg ", '<svg role="img" aria-label="TOTP QR" ', 1)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app that cannot scan."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _new_recovery_code() -> str:
    letters = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{letters[:5]}-{letters[5:]}"


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


async def pending_secret(connection: AsyncConnection, user_id: int) -> str:
    """The secret being enrolled (made now if there is none yet, kept across reloads of the page)."""
    pending = (await connection.execute(sa.select(user_t.c.totp_pending).where(user_t.c.id == user_id))).scalar()
    if pending:
        return str(pending)
    secret = pyotp.random_base32()
    await connection.execute(sa.update(user_t).where(user_t.c.id == user_id).values(totp_pending=secret))
    return secret


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (this one, or one either side for a slow hand or clock) whose code is ``code``."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.generate_otp(step + offset), code):
            return step + offset
    return None


async def confirm_enrolment(connection: AsyncConnection, user_id: int, code: str, *, now: datetime) -> list[str] | None:
    """Make the pending secret the account's factor if ``code`` was made from it; returns the new recovery codes
    (shown once), or None for a wrong code."""
    pending = (await connection.execute(sa.select(user_t.c.totp_pending).where(user_t.c.id == user_id))).scalar()
    step = _matching_step(pending, _normalised(code), now) if pending else None
    if step is None:
        return None
    await connection.execute(
        sa.update(user_t)
        .where(user_t.c.id == user_id)
        .values(totp_secret=pending, totp_pending=None, totp_enrolled_at=now, totp_last_step=step)
    )
    return await new_recovery_codes(connection, user_id)


async def enrol_at_once(connection: AsyncConnection, user_id: int, *, now: datetime) -> str:
    """Give the account a factor without the confirming code (for `serve --demo`, which prints the secret with the
    password so that a reviewer can add it to an authenticator app); returns the secret."""
    secret = pyotp.random_base32()
    await connection.execute(
        sa.update(user_t)
        .where(user_t.c.id == user_id)
        .values(totp_secret=secret, totp_pending=None, totp_enrolled_at=now, totp_last_step=None)
    )
    await new_recovery_codes(connection, user_id)
    return secret


async def new_recovery_codes(connection: AsyncConnection, user_id: int) -> list[str]:
    """Ten fresh recovery codes; the old ones stop working."""
    await connection.execute(sa.delete(code_t).where(code_t.c.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    await connection.execute(
        sa.insert(code_t), [{"user_id": user_id, "code_hash": _hasher.hash(_normalised(code))} for code in codes]
    )
    return codes


async def _take_recovery_code(connection: AsyncConnection, user_id: int, code: str, *, now: datetime) -> bool:
    if len(code) != 10:
        return False
    rows = await connection.execute(
        sa.select(code_t.c.id, code_t.c.code_hash).where(code_t.c.user_id == user_id, code_t.c.used_at.is_(None))
    )
    for row_id, stored in rows.all():
        try:
            _hasher.verify(stored, code)
        except (VerificationError, InvalidHashError):
            continue
        spent = await connection.execute(
            sa.update(code_t).where(code_t.c.id == row_id, code_t.c.used_at.is_(None)).values(used_at=now)
        )
        return bool(spent.rowcount)  # two sign-ins racing on one code: only one spends it
    return False


async def check_code(connection: AsyncConnection, user_id: int, code: str, *, now: datetime) -> str:
    """ "code_ok", "recovery_code" (one spent) or "bad_code"."""
    code = _normalised(code)[:20]
    row = (
        await connection.execute(
            sa.select(user_t.c.totp_secret, user_t.c.totp_last_step).where(user_t.c.id == user_id).with_for_update()
        )
    ).first()
    if row is None or not row.totp_secret:
        return "bad_code"
    step = _matching_step(row.totp_secret, code, now)
    if step is not None and step > (row.totp_last_step or 0):
        await connection.execute(sa.update(user_t).where(user_t.c.id == user_id).values(totp_last_step=step))
        return "code_ok"
    if step is None and await _take_recovery_code(connection, user_id, code, now=now):
        return "recovery_code"
    return "bad_code"


@dataclass(frozen=True)
class CodeStep:
    reason: str  # code_ok, recovery_code, bad_code, throttled
    retry_at: datetime | None = None

    @property
    def passed(self) -> bool:
        return self.reason in ("code_ok", "recovery_code")


async def sign_in_code(
    connection: AsyncConnection, user_id: int, code: str, *, remote: str, device: Device | None, now: datetime
) -> CodeStep:
    """The second step of signing in, throttled and audited as the password is."""
    username = (await connection.execute(sa.select(user_t.c.username).where(user_t.c.id == user_id))).scalar()
    if username is None:
        return CodeStep("bad_code")
    known = device if device is not None and device.user_id == user_id else None
    until = await lock_on(connection, username=username, remote=remote, device=known, user_id=user_id, now=now)
    if until is not None:
        step = CodeStep("throttled", until)
    else:
        step = CodeStep(await check_code(connection, user_id, code, now=now))
    await record_attempt(connection, username, step.reason, remote=remote, now=now, device=known)
    return step


async def recovery_codes_left(connection: AsyncConnection, user_id: int) -> int:
    query = sa.select(sa.func.count()).where(code_t.c.user_id == user_id, code_t.c.used_at.is_(None))
    return int((await connection.execute(query)).scalar_one())


async def reset_factor(connection: AsyncConnection, user_id: int) -> bool:
    """Forget the account's factor and its recovery codes; False if there is no such account."""
    await connection.execute(sa.delete(code_t).where(code_t.c.user_id == user_id))
    changed = await connection.execute(
        sa.update(user_t)
        .where(user_t.c.id == user_id)
        .values(totp_secret=None, totp_pending=None, totp_enrolled_at=None, totp_last_step=None)
    )
    return bool(changed.rowcount)
