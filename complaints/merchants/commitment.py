"""Signing the honest-measurement commitment online (电子承诺书) on the merchant's page, and revoking it.

The signature stores the station's current text (lookup/commitment_text.py), the signer's name, the day and the
moment; from then the lookup page and the merchant record show the commitment as signed online. Revoking one (the
merchant on their page, or a handler) sets the day it ended and who ended it; the row stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.commitment_text import CURRENT_VERSION, TEXTS
from lookup.free_text import clean_line
from lookup.models import Commitment, table_of
from lookup.problems import Kind, Problem

commitment_t = table_of(Commitment)
MAX_SIGNER_CHARS = 50
MERCHANT = "merchant"  # revoked_by when the merchant withdrew it on their page


class CommitmentError(Problem):
    """A signature or revocation that cannot be taken; the messages are for the merchant."""


@dataclass(frozen=True, slots=True)
class InForce:
    id: int
    text: str
    signed_on: date
    signer: str
    signed_at: datetime | None

    @property
    def online(self) -> bool:
        return self.signed_at is not None


def _in_force(merchant_id: int, today: date) -> sa.ColumnElement[bool]:
    c = commitment_t.c
    return sa.and_(
        c.merchant_id == merchant_id,
        c.signed_on <= today,
        sa.or_(c.revoked_on.is_(None), c.revoked_on > today),
    )


async def in_force(connection: AsyncConnection, merchant_id: int, *, today: date) -> InForce | None:
    """The merchant's newest commitment in force today, as the merchant record shows it."""
    c = commitment_t.c
    row = (
        await connection.execute(
            sa.select(c.id, c.text, c.signed_on, c.signer, c.signed_at)
            .where(_in_force(merchant_id, today))
            .order_by(c.signed_on.desc(), c.id.desc())
            .limit(1)
        )
    ).first()
    return InForce(*row) if row is not None else None


def clean_signer(raw: object) -> str:
    name = clean_line(raw) if isinstance(raw, str) else ""
    if not name or len(name) > MAX_SIGNER_CHARS:
        raise CommitmentError(
            "signer",
            f"请填写签署人姓名（最多{MAX_SIGNER_CHARS}个字）。",
            f"Please give the signer's name (at most {MAX_SIGNER_CHARS} characters).",
            field="signer",
        )
    return name


async def sign(connection: AsyncConnection, merchant_id: int, signer: str, *, now: datetime, today: date) -> int:
    """Sign the current text for the merchant; CommitmentError (conflict) while one is in force. Write transaction."""
    if await in_force(connection, merchant_id, today=today) is not None:
        raise CommitmentError(
            "in_force",
            "您已有一份有效的承诺书；如需重新签署，请先撤回。",
            "A commitment of yours is in force already: withdraw it first to sign again.",
            kind=Kind.conflict,
        )
    values = {
        "merchant_id": merchant_id,
        "text_version": CURRENT_VERSION,
        "text": TEXTS[CURRENT_VERSION],
        "signed_on": today,
        "signed_at": now,
        "signer": signer,
        "revoked_by": "",
    }
    inserted = await connection.execute(sa.insert(commitment_t).values(values).returning(commitment_t.c.id))
    return int(inserted.scalar_one())


async def revoke(connection: AsyncConnection, merchant_id: int, *, by: str, today: date) -> int:
    """End the merchant's commitments in force as of today, recording who ended them; how many. Write transaction."""
    result = await connection.execute(
        sa.update(commitment_t).where(_in_force(merchant_id, today)).values(revoked_on=today, revoked_by=by)
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class Past:
    signed_on: date
    online: bool
    signer: str
    revoked_on: date | None
    revoked_by: str


async def history(connection: AsyncConnection, merchant_id: int) -> list[Past]:
    """Every commitment of the merchant, newest first (for the merchant's page and the staff view)."""
    c = commitment_t.c
    rows = await connection.execute(
        sa.select(c.signed_on, c.signed_at.is_not(None), c.signer, c.revoked_on, c.revoked_by)
        .where(c.merchant_id == merchant_id)
        .order_by(c.signed_on.desc(), c.id.desc())
    )
    return [Past(row[0], bool(row[1]), row[2], row[3], row[4]) for row in rows]
