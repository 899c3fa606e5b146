"""Who was shown whose contact: one row each time a staff member sees or exports a consumer's full name and phone
(the case page, the API, an export with contacts), read by supervisors per case and per staff member.

Masked contacts (another station's handler, a report's reporter) are not logged: nothing personal was shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint
from complaints.personal_data.models import ContactAccess
from lookup.models import table_of
from lookup.problems import Kind, Problem

complaint_t, access_t = table_of(Complaint), table_of(ContactAccess)

MAX_REASON_CHARS = 200
SHOWN = 200  # rows a page of the log shows


class AccessRoute(StrEnum):
    """How the contact was shown."""

    case_page = "case_page"
    case_api = "case_api"  # GET /api/v1/queue/{ref}
    case_action_api = "case_action_api"  # the case as it stands after an action through the API
    export_csv = "export_csv"
    export_xlsx = "export_xlsx"


class ReasonError(Problem):
    """An export with contacts without a usable reason."""

    kind = Kind.unprocessable


def clean_export_reason(raw: object) -> str:
    """What an export with contacts is for, as the log keeps it. Raises :class:`ReasonError`."""
    if not isinstance(raw, str) or not raw.strip():
        raise ReasonError(
            "missing_reason",
            "导出联系方式须写明用途。",
            "An export with contacts needs a reason (what it is for).",
            field="reason",
        )
    reason = " ".join(raw.split())
    if len(reason) > MAX_REASON_CHARS:
        raise ReasonError(
            "reason_too_long",
            f"用途最多 {MAX_REASON_CHARS} 个字。",
            f"The reason is at most {MAX_REASON_CHARS} characters.",
            field="reason",
        )
    return reason


@dataclass(frozen=True)
class Access:
    at: datetime
    user_id: int
    ref: str
    route: AccessRoute
    reason: str


async def record_contact_access(
    connection: AsyncConnection,
    *,
    user_id: int,
    complaint_ids: Sequence[int],
    route: AccessRoute,
    now: datetime,
    reason: str = "",
) -> None:
    """One row per case whose full contact ``user_id`` is being shown now."""
    if not complaint_ids:
        return
    rows = [
        {"at": now, "user_id": user_id, "complaint_id": complaint_id, "route": route.value, "reason": reason}
        for complaint_id in complaint_ids
    ]
    await connection.execute(sa.insert(access_t), rows)


async def _accesses(connection: AsyncConnection, condition: sa.ColumnElement[bool], limit: int) -> list[Access]:
    rows = await connection.execute(
        sa.select(access_t.c.at, access_t.c.user_id, complaint_t.c.ref, access_t.c.route, access_t.c.reason)
        .join(complaint_t, complaint_t.c.id == access_t.c.complaint_id)
        .where(condition)
        .order_by(access_t.c.at.desc(), access_t.c.id.desc())
        .limit(limit)
    )
    return [Access(row.at, row.user_id, row.ref, AccessRoute(row.route), row.reason) for row in rows]


async def accesses_of_case(connection: AsyncConnection, complaint_id: int, *, limit: int = SHOWN) -> list[Access]:
    """Who was shown this case's contact, newest first."""
    return await _accesses(connection, access_t.c.complaint_id == complaint_id, limit)


async def accesses_by_user(connection: AsyncConnection, user_id: int, *, limit: int = SHOWN) -> list[Access]:
    """Whose contacts this staff member was shown, newest first."""
    return await _accesses(connection, access_t.c.user_id == user_id, limit)
