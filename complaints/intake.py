"""The one door every channel uses: validate → classify → persist → route → deadlines → outbox.

Everything a message becomes (the case, its contact, photos, timeline, a linked report, a hotspot, an automatic
answer, the notifications and the upstream forward) is written in one transaction: the consumer is told a
reference only once all of it is stored, and a failure stores none of it.

The statements are synchronous SQLAlchemy Core, built once, run by whatever :class:`Transactions` the composition
root passes: building a statement, and on SQLite each hop to aiosqlite's thread, cost more than the database's
own work.

The case's own rows, and the :class:`Prepared` submission they are written from, are in
:mod:`complaints.new_case`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from complaints.answers import MarketFacts, automatic_answer
from complaints.cases import apply_action, reserve_reference
from complaints.classify import Classifier
from complaints.deadlines.working_days import WorkingCalendar
from complaints.duplicates import dedupe_key, join_open_duplicate
from complaints.hotspots import count_towards_hotspot
from complaints.models import Complaint
from complaints.new_case import IntakePolicy, Prepared, insert_case
from complaints.odr import cases as odr_cases
from complaints.odr import enrolment as odr_enrolment
from complaints.outbox.enqueue import UPSTREAM, queue_message
from complaints.outbox.notify import notice_channel
from complaints.receipt import Receipt
from complaints.routing import NameIndex, Route, route_by_instrument, route_by_text
from complaints.submission import Submission, cleaned
from complaints.tokens import case_token, token_hash
from complaints.workflow import MESSAGE, MESSAGE_EN, CaseStatus, Intent, Role
from lookup.models import Market, Merchant, table_of
from lookup.scan import InstrumentCard

complaint_t, merchant_t, market_t = table_of(Complaint), table_of(Merchant), table_of(Market)

# Built once, like the inserts in complaints.new_case: building a statement costs more than running it.
_LINK_CASE = (
    sa.update(complaint_t).where(complaint_t.c.id == sa.bindparam("case_id")).values(linked_id=sa.bindparam("linked"))
)
_NUMBER_CASE = (
    sa.update(complaint_t)
    .where(complaint_t.c.id == sa.bindparam("case_id"))
    .values(ref=sa.bindparam("ref"), token_hash=sa.bindparam("token_hash"))
)
_MERCHANT_STATION = sa.select(merchant_t.c.station_id).where(merchant_t.c.id == sa.bindparam("merchant_id"))
_MARKET_FACTS = sa.select(market_t.c.name, market_t.c.fair_scale_location).where(
    market_t.c.id == sa.bindparam("market_id")
)

T = TypeVar("T")

# A complaint about these is also a violation to enforce whatever remedy is agreed: rigged and unverified
# instruments are offences under the Metrology Law on their own, so the complaint gets a linked report.
VIOLATION_CATEGORIES = frozenset({"tampered_instrument", "fuel_dispenser", "unverified_instrument"})
_ASKS_ENFORCEMENT = re.compile(r"举报|舉報|查处|查處|处罚|處罰|严查|取缔|吊销|立案|\breport\b|\bpunish", re.IGNORECASE)
FORWARDED_INTENTS = frozenset({Intent.complaint, Intent.report})  # inquiries and feedback stay local
CHAT_CHANNELS = frozenset({"telegram", "wechat"})


class Transactions(Protocol):
    """Runs synchronous database work in one write transaction and returns its result.

    The composition root decides how: on PostgreSQL through the async engine (``run_sync``), on SQLite on one
    writer thread with a plain sqlite3 connection — one thread hop per message instead of one per statement, and
    writers queue in order instead of polling SQLite's lock.
    """

    async def run(self, work: Callable[[sa.Connection], T]) -> T: ...


def prepare(
    submission: Submission,
    *,
    classifier: Classifier,
    card: InstrumentCard | None,
    names: NameIndex,
    calendar: WorkingCalendar,
    policy: IntakePolicy,
    secret: str,
    now: datetime,
    zone: ZoneInfo,
) -> Prepared:
    """The work before the transaction (classification); a caller with its own transaction then calls
    :func:`store` inside it, so that the case and the caller's own rows commit together or not at all."""
    submission = cleaned(submission)
    return Prepared(
        submission=submission,
        classification=classifier.classify(submission.account or submission.text),
        card=card,
        names=names,
        calendar=calendar,
        policy=policy,
        secret=secret,
        now=now.astimezone(UTC),
        today=now.astimezone(zone).date(),
    )


def store(connection: sa.Connection, *, prepared: Prepared) -> Receipt:
    """Store the prepared case (see :func:`prepare`) and return what the consumer is told.

    Run it in a transaction that locked for writing before it read (SQLite: BEGIN IMMEDIATE; see
    :class:`Transactions`): a resend is recognised by reading before writing.
    """
    context = prepared
    submission, classification = context.submission, context.classification
    key = dedupe_key(submission)
    if key is not None:
        if connection.dialect.name == "postgresql":
            # Two copies of one message arriving together must not both miss each other's row.
            lock_id = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_id)))
        earlier = join_open_duplicate(
            connection,
            key,
            submission,
            now=context.now,
            days=context.policy.duplicate_days,
            secret=context.secret,
        )
        if earlier is not None:
            return earlier
    intent = Intent(submission.intent or classification.intent)  # the consumer's choice, when they made one
    route = _route(connection, context)
    receipt = insert_case(connection, context, intent, route, dedupe_key=key, linked_id=None)
    receipt = _to_merchant_first(connection, context, intent, route, receipt)
    if intent is Intent.complaint and (
        classification.category in VIOLATION_CATEGORIES or _ASKS_ENFORCEMENT.search(submission.text)
    ):
        report = insert_case(connection, context, Intent.report, route, dedupe_key=None, linked_id=receipt.complaint_id)
        connection.execute(_LINK_CASE, {"case_id": receipt.complaint_id, "linked": report.complaint_id})
    else:
        report = None
    if route.merchant_id is not None and intent in FORWARDED_INTENTS:
        count_towards_hotspot(
            connection,
            merchant_id=route.merchant_id,
            station_id=route.station_id,
            now=context.now,
            complaints=context.policy.hotspot_complaints,
            days=context.policy.hotspot_days,
        )
    receipt = _answer_at_once(connection, context, route, receipt)
    # Numbers last: the day's counter row is locked from here to the commit, and every intake of every process
    # waits for it, so it is held for as short a time as the transaction allows.
    receipt = _assign_reference(connection, context, receipt)
    if report is not None:
        receipt = replace(receipt, linked_ref=_assign_reference(connection, context, report).ref)
    _notify(connection, context, receipt)
    return receipt


def _to_merchant_first(
    connection: sa.Connection, context: Prepared, intent: Intent, route: Route, receipt: Receipt
) -> Receipt:
    """A complaint whose consumer agreed, with a phone, that the ODR merchant settle first goes to the merchant."""
    submission = context.submission
    if not (submission.odr and intent is Intent.complaint and submission.contact.phone):
        return receipt
    if route.merchant_id is None or not odr_enrolment.taking_part(connection, route.merchant_id):
        return receipt
    due = context.calendar.add_working_days(context.today, context.policy.deadlines.odr_days)
    odr_cases.start(connection, receipt.complaint_id, route.merchant_id, now=context.now, due=due)
    return replace(receipt, status=CaseStatus.with_merchant, deadline=due.due, deadline_approximate=due.approximate)


def _assign_reference(connection: sa.Connection, context: Prepared, receipt: Receipt) -> Receipt:
    ref = reserve_reference(connection, context.today)
    token = case_token(context.secret, ref)
    connection.execute(_NUMBER_CASE, {"case_id": receipt.complaint_id, "ref": ref, "token_hash": token_hash(token)})
    return replace(receipt, ref=ref, token=token)


def _route(connection: sa.Connection, context: Prepared) -> Route:
    category, card = context.classification.category, context.card
    if card is None:
        place = context.submission.place
        routed = route_by_text(place, category, context.names) if place else None
        if routed is not None and routed.station_id is not None:  # the place the consumer confirmed names one
            return routed
        return route_by_text(context.submission.text, category, context.names)
    station_id = connection.execute(_MERCHANT_STATION, {"merchant_id": card.merchant_id}).scalar_one()
    return route_by_instrument(
        category,
        instrument_id=card.instrument_id,
        merchant_id=card.merchant_id,
        market_id=card.market_id,
        station_id=station_id,
    )


def _answer_at_once(connection: sa.Connection, context: Prepared, route: Route, receipt: Receipt) -> Receipt:
    """Feedback is acknowledged; an inquiry whose answer the service knows is answered. The consumer hears of
    either in the acknowledgement `_notify` queues, so the workflow step queues nothing itself."""
    answer = None
    if receipt.intent is Intent.feedback:
        action, facts = "acknowledge", {}
    elif receipt.intent is Intent.inquiry:
        answer = automatic_answer(
            context.submission.text,
            context.card,
            on=context.today,
            policy=context.policy.deadlines,
            hotline=context.policy.hotline,
            market=market_facts(connection, route.market_id) if context.card is None else None,
        )
        if answer is None:
            return receipt
        action, facts = "answer", {MESSAGE: answer.chinese, MESSAGE_EN: answer.english}
    else:
        return receipt
    step = apply_action(
        connection, receipt.complaint_id, action, role=Role.system, actor_id=None, facts=facts, now=context.now,
        notify=False,
    )  # fmt: skip
    return replace(receipt, status=step.status, answer=answer)


def market_facts(connection: sa.Connection, market_id: int | None) -> MarketFacts | None:
    """The market the words named, for a question about its fair scale (「南门市场公平秤在哪」)."""
    if market_id is None:
        return None
    row = connection.execute(_MARKET_FACTS, {"market_id": market_id}).one_or_none()
    return MarketFacts(row.name, row.fair_scale_location) if row is not None else None


def _notify(connection: sa.Connection, context: Prepared, receipt: Receipt) -> None:
    """Queue the consumer's acknowledgement on the channel they used, and the forward upstream."""
    contact, channel = context.submission.contact, context.submission.channel
    reach = notice_channel(channel, contact.channel_user, contact.phone, contact.consent)
    payload = {"ref": receipt.ref, "status": receipt.status.value}
    if receipt.answer is not None:
        payload |= {"answer": receipt.answer.chinese, "answer_en": receipt.answer.english}
    # A chat user was answered in the conversation itself, with the reference: a second message would repeat it.
    if reach is not None and not (contact.channel_user and channel in CHAT_CHANNELS):
        queue_message(
            connection,
            complaint_id=receipt.complaint_id,
            channel=reach,
            kind="received",
            key=f"{receipt.ref}:received",
            payload=payload,
            now=context.now,
        )
    if context.policy.forward_upstream and receipt.intent in FORWARDED_INTENTS:
        queue_message(
            connection,
            complaint_id=receipt.complaint_id,
            channel=UPSTREAM,
            kind="forward",
            key=f"{receipt.ref}:forward",
            payload={"ref": receipt.ref},
            now=context.now,
        )
