"""The consumer adds the name and phone number a complaint lacks, on their status page (`/c/{ref}?token=…`).

The token of the status link is the credential, checked as the status page checks it. Only what the case lacks is
filled in — nothing already given is changed — and a `contact_added` event (public: the consumer's own timeline
says it came; the handler's names what) records it, so the station sees the case can now be accepted.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.cases import PENDING
from complaints.cases import add_contact as add_case_contact
from complaints.models import Complaint
from complaints.submission import Contact
from complaints.tokens import token_matches
from complaints.workflow import CaseStatus
from lookup.models import table_of
from lookup.problems import Kind, Problem

complaint_t = table_of(Complaint)


class ContactError(Problem, ValueError):
    """``not_found`` (unknown reference or wrong token, alike), ``closed`` (a conflict), ``nothing_new`` (a bad request:
    no name or phone the case lacks)."""


async def add_contact(connection: AsyncConnection, ref: str, token: str, given: Contact, now: datetime) -> list[str]:
    """Fill in what the case's contact lacks from ``given`` (:func:`complaints.cases.add_contact`, as a name or phone
    sent in the chat is); the names of the facts added. Run it in a write transaction; raises :class:`ContactError`
    with nothing written."""
    case = (
        await connection.execute(
            sa.select(complaint_t.c.id, complaint_t.c.token_hash, complaint_t.c.status).where(complaint_t.c.ref == ref)
        )
    ).first()
    if case is None or not token_matches(token, case.token_hash):
        raise ContactError("not_found", "找不到这件投诉。", "no such case", kind=Kind.not_found)
    if CaseStatus(case.status) not in PENDING:
        raise ContactError("closed", "案件已办结，不再需要补充。", "the case is closed", kind=Kind.conflict)
    added = await add_case_contact(connection, case.id, given, now=now, public=True)
    if not added:
        raise ContactError(
            "nothing_new", "请填写姓名或电话。", "Please give your name or phone number.", field="name",
            kind=Kind.bad_request,
        )  # fmt: skip
    return list(added)
