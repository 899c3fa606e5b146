"""The consumer's rating of a closed case (DESIGN.md: "gets the result and is asked whether they are satisfied").

Once a case is closed its consumer may rate the handling from 1 to 5, with an optional comment, once. The rating
is stored on the case (``Complaint.satisfaction`` / ``satisfaction_comment``) and a non-public ``rated`` event
is appended to the timeline, so the station sees when it came. It moves nothing: the case stays closed.

The consumer has no account: the case's reference and token (the secret of the status-page link) are the
credential, checked here exactly as the status page checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint, ComplaintEvent
from complaints.tokens import token_matches
from complaints.workflow import CaseStatus, Role
from lookup.free_text import clean_block
from lookup.models import table_of
from lookup.problems import Kind, Problem

complaint_t, event_t = table_of(Complaint), table_of(ComplaintEvent)

LOWEST, HIGHEST = 1, 5
MAX_COMMENT_CHARS = 500  # the column's size
RATED = "rated"


class RatingError(Problem, ValueError):
    """A rating that cannot be taken. ``code``: ``not_found`` (unknown reference or wrong token — the caller
    cannot tell which), ``not_closed`` and ``already_rated`` (conflicts), ``bad_rating``, ``bad_comment``,
    ``comment_too_long`` (bad requests)."""


@dataclass(frozen=True, slots=True)
class Rating:
    rating: int
    comment: str


def clean_rating(raw: object) -> int:
    """The rating as a whole number from 1 to 5 (a form's "4" too); RatingError otherwise."""
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) <= 2:
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not LOWEST <= raw <= HIGHEST:
        raise RatingError(
            "bad_rating",
            f"评分是 {LOWEST} 到 {HIGHEST} 的整数。",
            f"a rating is a whole number from {LOWEST} to {HIGHEST}",
            field="rating",
        )
    return raw


def clean_comment(raw: object) -> str:
    """The comment by the one rule for free text (:func:`lookup.free_text.clean_block`); RatingError when too long."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise RatingError("bad_comment", "评价必须是文字。", "the comment must be text", field="comment")
    text = clean_block(raw)
    if len(text) > MAX_COMMENT_CHARS:
        raise RatingError(
            "comment_too_long",
            f"评价最多 {MAX_COMMENT_CHARS} 个字（现在 {len(text)} 个）。",
            f"the comment is at most {MAX_COMMENT_CHARS} characters ({len(text)})",
            field="comment",
        )
    return text


async def rate_case(
    connection: AsyncConnection, ref: str, token: str, rating: object, comment: object, now: datetime
) -> Rating:
    """Store the consumer's rating of their closed case; raises :class:`RatingError` (nothing written).

    Run it in a write transaction. "Once" holds under concurrent submissions: the rating is written by a single
    UPDATE guarded by ``satisfaction IS NULL``, and only the one that changed the row appends the event.
    """
    row = (
        await connection.execute(
            sa.select(complaint_t.c.id, complaint_t.c.token_hash, complaint_t.c.status, complaint_t.c.satisfaction)
            .where(complaint_t.c.ref == ref)
            .with_for_update()
        )
    ).first()
    if row is None or not token_matches(token, row.token_hash):
        raise RatingError(
            "not_found",
            "找不到这个编号，或链接中的令牌不对。",
            "no case with this reference, or the token is wrong",
            kind=Kind.not_found,
        )
    taken = Rating(clean_rating(rating), clean_comment(comment))
    if row.status != CaseStatus.closed:
        raise RatingError(
            "not_closed", "案件办结后才能评价。", "a case can be rated once it is closed", kind=Kind.conflict
        )
    if row.satisfaction is not None:
        raise RatingError(
            "already_rated", "这个案件已经评价过了。", "this case has been rated already", kind=Kind.conflict
        )
    result = await connection.execute(
        sa.update(complaint_t)
        .where(complaint_t.c.id == row.id, complaint_t.c.satisfaction.is_(None))
        .values(satisfaction=taken.rating, satisfaction_comment=taken.comment)
    )
    if result.rowcount != 1:
        raise RatingError(
            "already_rated", "这个案件已经评价过了。", "this case has been rated already", kind=Kind.conflict
        )
    await connection.execute(
        sa.insert(event_t).values(
            complaint_id=row.id,
            at=now,
            # The consumer is not one of the workflow's roles; the service records what they sent.
            actor_role=Role.system,
            actor_id=None,
            action=RATED,
            from_status=CaseStatus.closed,
            to_status=CaseStatus.closed,
            public=False,
            facts={"rating": taken.rating},
        )
    )
    return taken


async def add_rating_comment(connection: AsyncConnection, ref: str, token: str, comment: object) -> bool:
    """Add the comment to a rating given without one (a chat asks for it after the stars); True when stored.

    Raises :class:`RatingError` for a comment that is too long; a case without a rating, or whose rating has a
    comment already, is left as it is (False).
    """
    text = clean_comment(comment)
    row = (
        await connection.execute(sa.select(complaint_t.c.id, complaint_t.c.token_hash).where(complaint_t.c.ref == ref))
    ).first()
    if row is None or not token_matches(token, row.token_hash) or not text:
        return False
    result = await connection.execute(
        sa.update(complaint_t)
        .where(
            complaint_t.c.id == row.id,
            complaint_t.c.satisfaction.is_not(None),
            complaint_t.c.satisfaction_comment == "",
        )
        .values(satisfaction_comment=text)
    )
    return result.rowcount == 1


async def rating_of(connection: AsyncConnection, ref: str) -> Rating | None:
    """The case's rating, if it has one (the caller has checked the token)."""
    row = (
        await connection.execute(
            sa.select(complaint_t.c.satisfaction, complaint_t.c.satisfaction_comment).where(complaint_t.c.ref == ref)
        )
    ).first()
    if row is None or row.satisfaction is None:
        return None
    return Rating(int(row.satisfaction), row.satisfaction_comment or "")
