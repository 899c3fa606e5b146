"""The consumer adds the name and phone number a complaint lacks, on their status page (`/c/{ref}?token=…`).

The token of the status link is the credential, checked as the status page checks it. Only what the case lacks is
filled in — nothing already given is changed — and a `contact_added` event (public: the consumer's own timeline
says it came; the handler's names what) records it, so the station sees the case can now be accepted.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint, ComplaintContact, ComplaintEvent
from complaints.submission import Contact
from complaints.tokens import token_matches
from complaints.workflow import CaseStatus, Role
from lookup.models import table_of
from lookup.problems import Kind, Problem

complaint_t, contact_t, event_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintEvent)
CONTACT_ADDED = "contact_added"


class ContactError(Problem, ValueError):
    """``not_found`` (unknown reference or wrong token, alike), ``closed`` (a conflict), ``nothing_new`` (a bad request:
    no name or phone the case lacks)."""


async def add_contact(connection: AsyncConnection, ref: str, token: str, given: Contact, now: datetime) -> list[str]:
    """Fill in what the case's contact lacks from ``given``; the names of the facts added. Run it in a write
    transaction; raises :class:`ContactError` with nothing written."""
    case = (
        await connection.execute(
            sa.select(complaint_t.c.id, complaint_t.c.token_hash, complaint_t.c.status)
            .where(complaint_t.c.ref == ref)
            .with_for_update()
        )
    ).first()
    if case is None or not token_matches(token, case.token_hash):
        raise ContactError("not_found", "找不到这件投诉。", "no such case", kind=Kind.not_found)
    if case.status == CaseStatus.closed:
        raise ContactError("closed", "案件已办结，不再需要补充。", "the case is closed", kind=Kind.conflict)
    held = (await connection.execute(sa.select(contact_t).where(contact_t.c.complaint_id == case.id))).first()
    changes: dict[str, object] = {}
    if given.name and not (held and held.name):
        changes["name"] = given.name
    if given.phone and not (held and held.phone):
        changes["phone"] = given.phone
    if given.consent and (changes or held is None or not held.consent_to_contact):
        changes["consent_to_contact"] = True
    if not {"name", "phone"} & changes.keys():
        raise ContactError(
            "nothing_new", "请填写姓名或电话。", "Please give your name or phone number.", field="name",
            kind=Kind.bad_request,
        )  # fmt: skip
    if held is None:
        await connection.execute(sa.insert(contact_t).values(complaint_id=case.id, **changes))
    else:
        await connection.execute(sa.update(contact_t).where(contact_t.c.complaint_id == case.id).values(**changes))
    added = ["consent" if name == "consent_to_contact" else name for name in changes]
    status = CaseStatus(case.status)
    await connection.execute(
        sa.insert(event_t).values(
            complaint_id=case.id,
            at=now,
            actor_role=Role.system,  # the consumer is none of the workflow's roles; the service records what came
            actor_id=None,
            action=CONTACT_ADDED,
            from_status=status,
            to_status=status,
            public=True,
            facts={CONTACT_ADDED: added},
        )
    )
    return added
