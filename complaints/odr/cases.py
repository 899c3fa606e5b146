"""A complaint in settlement with the merchant (ODR), from the consumer's consent to its end.

Started at intake, only for a 投诉 (never a 举报) about a merchant taking part whose consumer ticked the consent and
left a phone: the case goes to ``with_merchant``, no regulator's deadline runs, and the merchant sees the consumer's
name and phone on their page. The merchant proposes a settlement; the consumer accepts it (the case is resolved,
settled by the merchant) or refuses it; refused, or out of time (``due_on`` passed), the case is handed over to the
station as a complaint just received, its acceptance deadline counted from the hand-over. Each end is taken once:
the conditional update of ``outcome`` decides between two workers, or a worker and the consumer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.cases import apply_action
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.deadlines.policy import acceptance_deadline
from complaints.deadlines.working_days import Deadline
from complaints.models import Complaint, ComplaintContact
from complaints.odr.models import OdrCase
from complaints.workflow import MESSAGE, REFUND_YUAN, CaseStatus, Intent, Role, clean_facts
from lookup.free_text import clean_block
from lookup.models import table_of
from lookup.problems import Kind, Problem

odr_t, complaint_t, contact_t = table_of(OdrCase), table_of(Complaint), table_of(ComplaintContact)
MAX_PROPOSAL_CHARS = 1000
SETTLED, REFUSED, TIMED_OUT = "settled", "refused", "timed_out"


class OdrError(Problem):
    """A settlement step that cannot be taken now; the messages are for the merchant or the consumer."""

    kind = Kind.unprocessable


@dataclass(frozen=True, slots=True)
class OdrView:
    complaint_id: int
    ref: str
    text: str
    received_at: datetime
    started_at: datetime
    due_on: date
    proposal: str
    refund_yuan: float | None
    proposed_at: datetime | None
    outcome: str
    ended_at: datetime | None
    name: str = ""  # the consumer's, for the merchant only
    phone: str = ""


def start(connection: sa.Connection, complaint_id: int, merchant_id: int, *, now: datetime, due: Deadline) -> None:
    """Send a complaint just received to the merchant first (intake's transaction)."""
    connection.execute(
        sa.insert(odr_t).values(
            complaint_id=complaint_id, merchant_id=merchant_id, started_at=now, due_on=due.due, proposal="", outcome=""
        )
    )
    apply_action(
        connection, complaint_id, "odr_start", role=Role.system, actor_id=None,
        facts={"due_on": due.due.isoformat()}, now=now, notify=False,
    )  # fmt: skip
    connection.execute(
        sa.update(complaint_t).where(complaint_t.c.id == complaint_id).values(accept_due=None, due_on=None)
    )


def _select() -> sa.Select[Any]:
    o, c = odr_t.c, complaint_t.c
    return sa.select(
        o.complaint_id, c.ref, c.text, c.received_at, o.started_at, o.due_on, o.proposal, o.refund_yuan,
        o.proposed_at, o.outcome, o.ended_at,
    ).join(complaint_t, c.id == o.complaint_id)  # fmt: skip


async def of_case(connection: AsyncConnection, complaint_id: int) -> OdrView | None:
    """The case's settlement with the merchant, for the status page and the handler (no contact)."""
    row = (await connection.execute(_select().where(odr_t.c.complaint_id == complaint_id))).first()
    return OdrView(*row) if row is not None else None


async def of_ref(connection: AsyncConnection, ref: str) -> OdrView | None:
    row = (await connection.execute(_select().where(complaint_t.c.ref == ref))).first()
    return OdrView(*row) if row is not None else None


async def of_merchant(connection: AsyncConnection, merchant_id: int) -> list[OdrView]:
    """The merchant's open cases, with the consumer's name and phone: only complaints (never a report) that the
    consumer sent to the merchant with their consent, and only while in settlement."""
    c, k = complaint_t.c, contact_t.c
    rows = await connection.execute(
        _select()
        .add_columns(k.name, k.phone)
        .outerjoin(contact_t, k.complaint_id == c.id)
        .where(
            odr_t.c.merchant_id == merchant_id,
            odr_t.c.outcome == "",
            c.intent == Intent.complaint,
            c.status == CaseStatus.with_merchant,
        )
        .order_by(odr_t.c.due_on, c.id)
    )
    return [_with_contact(row) for row in rows]


def _with_contact(row: Any) -> OdrView:
    return replace(OdrView(*row[:11]), name=row[11] or "", phone=row[12] or "")


async def propose(
    connection: AsyncConnection, merchant_id: int, complaint_id: int, words: object, refund: object, *, now: datetime
) -> None:
    """The merchant's proposal (free text, an optional refund): shown to the consumer, who accepts or refuses."""
    text = clean_block(words)[:MAX_PROPOSAL_CHARS] if isinstance(words, str) else ""
    if not text.strip():
        raise OdrError("proposal", "请写明和解方案。", "Please write the settlement you propose.", field="proposal")
    amount = (
        clean_facts({REFUND_YUAN: refund.strip()})[REFUND_YUAN] if isinstance(refund, str) and refund.strip() else None
    )
    if isinstance(refund, str) and refund.strip() and amount is None:
        raise OdrError("refund", "退款金额请填数字（元）。", "The refund is an amount in yuan.", field="refund")
    o = odr_t.c
    updated = await connection.execute(
        sa.update(odr_t)
        .where(o.complaint_id == complaint_id, o.merchant_id == merchant_id, o.outcome == "")
        .values(proposal=text, refund_yuan=amount, proposed_at=now)
    )
    if updated.rowcount != 1:
        raise OdrError(
            "not_open", "该投诉已不在协商中。", "This complaint is no longer in settlement.", kind=Kind.conflict
        )
    facts: dict[str, object] = {MESSAGE: text} | ({REFUND_YUAN: amount} if amount is not None else {})
    await connection.run_sync(
        lambda sync: apply_action(
            sync, complaint_id, "odr_propose", role=Role.system, actor_id=None, facts=facts, now=now
        )
    )


async def answer(
    connection: AsyncConnection, complaint_id: int, *, accept: bool, now: datetime, rules: DeadlineRules
) -> str:
    """The consumer accepts or refuses the merchant's proposal; the outcome taken."""
    view = await of_case(connection, complaint_id)
    if view is None or view.outcome or view.proposed_at is None:
        raise OdrError(
            "not_open",
            "现在没有待您答复的和解方案。",
            "There is no settlement waiting for your answer.",
            kind=Kind.conflict,
        )
    if not accept:
        await connection.run_sync(hand_over, complaint_id, REFUSED, now=now, rules=rules)
        return REFUSED
    o = odr_t.c
    taken = await connection.execute(
        sa.update(odr_t).where(o.complaint_id == complaint_id, o.outcome == "").values(outcome=SETTLED, ended_at=now)
    )
    if taken.rowcount != 1:
        raise OdrError(
            "not_open", "该投诉已不在协商中。", "This complaint is no longer in settlement.", kind=Kind.conflict
        )
    facts: dict[str, object] = {MESSAGE: view.proposal}
    if view.refund_yuan is not None:
        facts[REFUND_YUAN] = view.refund_yuan
    await connection.run_sync(
        lambda sync: apply_action(
            sync, complaint_id, "odr_settle", role=Role.system, actor_id=None, facts=facts, now=now, rules=rules
        )
    )
    return SETTLED


def hand_over(
    connection: sa.Connection, complaint_id: int, reason: str, *, now: datetime, rules: DeadlineRules
) -> bool:
    """Hand the case to the station as a complaint just received, its acceptance deadline counted from today; False
    when someone already ended the settlement."""
    o = odr_t.c
    taken = connection.execute(
        sa.update(odr_t).where(o.complaint_id == complaint_id, o.outcome == "").values(outcome=reason, ended_at=now)
    )
    if taken.rowcount != 1:
        return False
    apply_action(
        connection, complaint_id, "odr_hand_over", role=Role.system, actor_id=None, facts={"reason": reason},
        now=now, rules=rules,
    )  # fmt: skip
    deadline = acceptance_deadline(rules.calendar, rules.policy, now.astimezone(rules.zone).date())
    connection.execute(
        sa.update(complaint_t)
        .where(complaint_t.c.id == complaint_id)
        .values(accept_due=deadline.due, due_on=deadline.due, deadline_approximate=deadline.approximate)
    )
    return True


async def hand_over_due(connection: AsyncConnection, *, now: datetime, rules: DeadlineRules) -> int:
    """Hand over every case whose merchant did not settle in time (its ``due_on`` has passed); how many this run
    handed over. Write transaction; a case another worker handed over first is skipped."""
    today = now.astimezone(rules.zone).date()
    o = odr_t.c
    due = (
        (
            await connection.execute(
                sa.select(o.complaint_id).where(o.outcome == "", o.due_on < today).order_by(o.due_on)
            )
        )
        .scalars()
        .all()
    )
    handed = 0
    for complaint_id in due:
        handed += await connection.run_sync(hand_over, complaint_id, TIMED_OUT, now=now, rules=rules)
    return handed
