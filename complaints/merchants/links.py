"""The merchant's private link (商家专属链接): issued, re-issued and revoked by a handler of their station; every
use logged.

The merchant has no account. Their link carries ``<link id>-<signature>``: an HMAC of the service's secret over
the link's row, its merchant and its nonce, so a link cannot be guessed or altered (forged: 403), and a handler can
show an active link again without the token being stored. Revoked and expired links stay in the table and are
refused as such (410), so the merchant is told to ask for a new one rather than that the link never existed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.merchants.models import MerchantLink, MerchantLinkUse
from lookup.models import table_of
from lookup.problems import Kind, Problem

link_t, use_t = table_of(MerchantLink), table_of(MerchantLinkUse)

LINK_DAYS = 365  # a link lasts a year; the handler re-issues it (the ledger is renewed yearly too)
# A row id PostgreSQL's INTEGER holds (at most nine digits), then the signature.
_TOKEN = re.compile(r"([1-9][0-9]{0,8})-([0-9a-f]{32})")


class LinkError(Problem):
    """A merchant link that cannot be used: forged (refused), or revoked or expired (``gone``)."""

    kind = Kind.refused

    def __init__(self, code: str, chinese: str, english: str, *, gone: bool, merchant_id: int | None = None) -> None:
        super().__init__(code, chinese, english)
        self.gone = gone
        self.merchant_id = merchant_id


FORGED = ("forged", "这个链接无效：请使用监管所发给您的完整链接。",
          "This link is not valid: use the whole link your station sent you.")  # fmt: skip
REVOKED = ("revoked", "这个链接已被监管所作废，请联系监管所领取新链接。",
           "Your station has revoked this link: ask them for a new one.")  # fmt: skip
EXPIRED = ("expired", "这个链接已过期，请联系监管所领取新链接。",
           "This link has expired: ask your station for a new one.")  # fmt: skip


def link_token(secret: str, link_id: int, merchant_id: int, nonce: str) -> str:
    message = f"merchant-link:{link_id}:{merchant_id}:{nonce}".encode()
    return f"{link_id}-{hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]}"


@dataclass(frozen=True, slots=True)
class Link:
    id: int
    merchant_id: int
    token: str
    issued_at: datetime
    issued_by: str
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def _link(secret: str, row: sa.Row[tuple[object, ...]]) -> Link:
    m = row._mapping
    return Link(
        id=m["id"],
        merchant_id=m["merchant_id"],
        token=link_token(secret, m["id"], m["merchant_id"], m["nonce"]),
        issued_at=m["issued_at"],
        issued_by=m["issued_by"],
        expires_at=m["expires_at"],
        revoked_at=m["revoked_at"],
        revoked_by=m["revoked_by"],
    )


async def revoke(connection: AsyncConnection, merchant_id: int, *, by: str, now: datetime) -> int:
    """Revoke the merchant's links still in force; how many were. Write transaction."""
    result = await connection.execute(
        sa.update(link_t)
        .where(link_t.c.merchant_id == merchant_id, link_t.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    return int(result.rowcount or 0)


async def issue(connection: AsyncConnection, secret: str, merchant_id: int, *, by: str, now: datetime) -> Link:
    """A new link for the merchant, revoking the one before (a re-issue). Write transaction."""
    await revoke(connection, merchant_id, by=by, now=now)
    values = {
        "merchant_id": merchant_id,
        "nonce": secrets.token_hex(16),
        "issued_at": now,
        "issued_by": by,
        "expires_at": now + timedelta(days=LINK_DAYS),
        "revoked_by": "",
    }
    row = (await connection.execute(sa.insert(link_t).values(values).returning(*link_t.c))).one()
    return _link(secret, row)


async def links_of(connection: AsyncConnection, secret: str, merchant_id: int) -> list[Link]:
    """The merchant's links, newest first."""
    rows = await connection.execute(
        sa.select(link_t).where(link_t.c.merchant_id == merchant_id).order_by(link_t.c.id.desc())
    )
    return [_link(secret, row) for row in rows]


@dataclass(frozen=True, slots=True)
class Use:
    link_id: int
    at: datetime
    action: str


async def uses_of(connection: AsyncConnection, merchant_id: int, *, limit: int = 20) -> list[Use]:
    """The latest uses of the merchant's links, newest first."""
    rows = await connection.execute(
        sa.select(use_t.c.link_id, use_t.c.at, use_t.c.action)
        .join(link_t, link_t.c.id == use_t.c.link_id)
        .where(link_t.c.merchant_id == merchant_id)
        .order_by(use_t.c.at.desc(), use_t.c.id.desc())
        .limit(limit)
    )
    return [Use(*row) for row in rows]


async def log_use(connection: AsyncConnection, link_id: int, action: str, *, now: datetime) -> None:
    await connection.execute(sa.insert(use_t).values(link_id=link_id, at=now, action=action))


async def open_link(
    connection: AsyncConnection, secret: str, token: str, *, action: str, now: datetime
) -> Link | LinkError:
    """The link the token names, its use logged; or the LinkError to answer when it is forged, revoked or expired
    (returned, not raised, so that the refused use of a real link stays logged). Write transaction."""
    match = _TOKEN.fullmatch(token)
    row = None
    if match is not None:
        row = (await connection.execute(sa.select(link_t).where(link_t.c.id == int(match[1])))).first()
    link = _link(secret, row) if row is not None else None
    if link is None or not hmac.compare_digest(link.token, token):
        return LinkError(*FORGED, gone=False)
    if not link.usable(now):
        refusal = REVOKED if link.revoked_at is not None else EXPIRED
        await log_use(connection, link.id, refusal[0], now=now)
        return LinkError(*refusal, gone=True, merchant_id=link.merchant_id)
    await log_use(connection, link.id, action, now=now)
    return link
