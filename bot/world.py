"""What the dialogue may learn from the service: instruments, the user's own cases, the classifier; and the one
write it makes outside its turn, a rating."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.ports import CardReader, CodeReader, Intake
from complaints.answers import Answer, asks_where_to_reweigh, reweigh_answer
from complaints.case_view import PublicCase, public_case
from complaints.cases import PENDING, add_contact, add_words, ask_withdrawal
from complaints.classify import Classification
from complaints.intake import market_facts
from complaints.models import Complaint, ComplaintContact
from complaints.odr import cases as odr_cases
from complaints.odr import enrolment as odr_enrolment
from complaints.personal_data.erasure import request_erasure_for_chat
from complaints.personal_data.retention import RetentionPolicy
from complaints.photos import MAX_PHOTOS
from complaints.satisfaction import RatingError, add_rating_comment, rate_case
from complaints.submission import Contact
from complaints.tokens import case_token
from complaints.workflow import CaseStatus
from lookup.codes.resolve import Resolution, resolve
from lookup.geo.coordinates import Point
from lookup.geo.nearest import NearMarket, nearest_market
from lookup.models import table_of
from lookup.scan import InstrumentCard
from lookup.typed_code import TypedCode, diagnose

complaint_t, contact_t = table_of(Complaint), table_of(ComplaintContact)

_RATING_OUTCOMES = {"not_found": "not_found", "not_closed": "not_closed", "already_rated": "already"}


class ServiceWorld:
    """The dialogue's :class:`bot.turn.World` over the database, intake and the scan reader."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        writer: AsyncEngine,
        intake: Intake,
        cards: CardReader,
        clock: Callable[[], datetime],
        secret: str,
        base_url: str,
        hotline: str,
        retention: RetentionPolicy,
        codes: CodeReader | None = None,
    ) -> None:
        self._codes = codes
        self._retention = retention
        self._engine = engine
        self._writer = writer  # the engine for transactions that read then write (a rating)
        self._intake = intake
        self._cards = cards
        self._clock = clock
        self._secret = secret
        self._base_url = base_url
        self.hotline = hotline
        self.max_photos = MAX_PHOTOS

    @property
    def today(self) -> date:
        return self._clock().date()

    async def card(self, code: str) -> InstrumentCard | None:
        return await self._cards.card(code)

    async def resolve(self, text: str) -> Resolution:
        """What a typed or scanned code names (lookup/codes/resolve.py: one indexed read)."""
        async with self._engine.connect() as connection:
            return await resolve(connection, text)

    async def mistyped(self, text: str) -> TypedCode:
        """A code that fails its check, with the registry's codes one slip away."""
        async with self._engine.connect() as connection:
            return await diagnose(connection, text)

    async def codes_in_photo(self, channel: str, media: str) -> tuple[str, ...]:
        return await self._codes.codes_in_photo(channel, media) if self._codes is not None else ()

    async def classify(self, text: str) -> tuple[str, str]:
        return await self._intake.classify(text)

    async def place_named(self, text: str) -> str | None:
        return await self._intake.place_named(text)

    async def place_beginning(self, head: str) -> str | None:
        return await self._intake.place_beginning(head)

    async def reading(self, text: str) -> Classification:
        return await self._intake.reading(text)

    async def where_to_reweigh(self, text: str, code: str | None, told: str) -> Answer | None:
        """Where to re-weigh, if ``text`` asks it: the fair scale of the instrument's market, else of the market the
        question names, else of the market the story told so far names (else where fair scales usually are)."""
        if not asks_where_to_reweigh(text):
            return None
        card = await self.card(code) if code else None
        market = None
        if card is None:
            market_id = await self._intake.market_named(text) or await self._intake.market_named(told)
            if market_id is not None:
                async with self._engine.connect() as connection:
                    market = await connection.run_sync(market_facts, market_id)
        return reweigh_answer(card, market, self.hotline)

    def _own(self, channel: str, chat_user: str) -> sa.ColumnElement[bool]:
        return sa.and_(complaint_t.c.channel == channel, contact_t.c.channel_user == chat_user)

    async def _own_case_id(self, connection: AsyncConnection, ref: str, channel: str, chat_user: str) -> int | None:
        """The id of case ``ref`` when this chat user sent it from this chat; None for anybody else's case."""
        owned = (
            sa.select(complaint_t.c.id)
            .join(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
            .where(complaint_t.c.ref == ref, self._own(channel, chat_user))
        )
        found = (await connection.execute(owned)).scalar()
        return int(found) if found is not None else None

    async def case(self, ref: str, channel: str, chat_user: str) -> PublicCase | None:
        """The user's own case: a chat user sees the cases they sent from this chat, and no others."""
        async with self._engine.connect() as connection:
            if await self._own_case_id(connection, ref, channel, chat_user) is None:
                return None
            case = await public_case(connection, ref, case_token(self._secret, ref))
            return await _with_settling(connection, case) if case is not None else None

    async def rate(self, channel: str, chat_user: str, ref: str | None, rating: int) -> tuple[str, str]:
        """Rate the named case, or the user's latest closed and unrated one: (outcome, the case's ref)."""
        query = sa.select(complaint_t.c.ref).join(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
        query = query.where(self._own(channel, chat_user))
        if ref is not None:
            query = query.where(complaint_t.c.ref == ref)
        else:
            query = query.where(complaint_t.c.status == CaseStatus.closed, complaint_t.c.satisfaction.is_(None))
        async with self._writer.begin() as connection:
            found = (await connection.execute(query.order_by(complaint_t.c.id.desc()).limit(1))).scalar()
            if found is None:
                return "not_found", ref or ""
            try:
                await rate_case(connection, found, case_token(self._secret, found), rating, "", self._clock())
            except RatingError as error:
                return _RATING_OUTCOMES.get(error.code, "not_found"), found
        return "thanks", found

    async def remark(self, channel: str, chat_user: str, ref: str, comment: str) -> bool:
        """The comment on the user's rating of their case; False when it cannot be taken (too long, or none due)."""
        query = sa.select(complaint_t.c.ref).join(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
        async with self._writer.begin() as connection:
            found = (
                await connection.execute(query.where(complaint_t.c.ref == ref, self._own(channel, chat_user)))
            ).scalar()
            if found is None:
                return False
            try:
                return await add_rating_comment(connection, found, case_token(self._secret, found), comment)
            except RatingError:
                return False

    async def own_cases(self, channel: str, chat_user: str, *, limit: int = 5) -> list[PublicCase]:
        """The user's own cases from this chat, newest first: never anybody else's."""
        query = (
            sa.select(complaint_t.c.ref)
            .join(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
            .where(self._own(channel, chat_user))
            .order_by(complaint_t.c.id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            refs = list((await connection.execute(query)).scalars())
            cases = [await public_case(connection, ref, case_token(self._secret, ref)) for ref in refs]
            return [await _with_settling(connection, case) for case in cases if case is not None]

    async def recent_case(
        self, channel: str, chat_user: str, within: timedelta, *, lacking: bool = True
    ) -> PublicCase | None:
        """The user's newest case from this chat received within ``within`` that still lacks a fact the receipt
        asked for (name, phone), if any; with ``lacking=False``, the newest one still being handled."""
        query = (
            sa.select(complaint_t.c.ref)
            .join(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
            .where(self._own(channel, chat_user), complaint_t.c.received_at >= self._clock() - within)
            .order_by(complaint_t.c.id.desc())
            .limit(3)  # a complaint and the report split from it
        )
        async with self._engine.connect() as connection:
            for ref in (await connection.execute(query)).scalars():
                case = await public_case(connection, ref, case_token(self._secret, ref))
                if case is not None and (case.missing if lacking else case.status in PENDING):
                    return case
        return None

    async def add_contact(self, channel: str, chat_user: str, ref: str, name: str, phone: str) -> tuple[str, ...]:
        """A name or phone for the user's own case (what was added; nothing for anybody else's case)."""
        async with self._writer.begin() as connection:
            found = await self._own_case_id(connection, ref, channel, chat_user)
            if found is None:
                return ()
            return await add_contact(connection, found, Contact(name=name, phone=phone), now=self._clock())

    async def add_words(self, channel: str, chat_user: str, ref: str, words: str) -> bool:
        """Words joined to the user's own case, while it is handled (False for anybody else's, or an ended one)."""
        async with self._writer.begin() as connection:
            found = await self._own_case_id(connection, ref, channel, chat_user)
            return found is not None and await add_words(connection, found, words, now=self._clock())

    async def ask_withdrawal(self, channel: str, chat_user: str, ref: str) -> bool:
        """The user's wish to withdraw their own case, told to its handler (False as for :meth:`add_words`)."""
        async with self._writer.begin() as connection:
            found = await self._own_case_id(connection, ref, channel, chat_user)
            return found is not None and await ask_withdrawal(connection, found, now=self._clock())

    async def erase(self, channel: str, chat_user: str) -> list[tuple[str, str]]:
        """「删除我的信息」: an erasure request for each case of this chat, as (reference, outcome)."""
        answers = await request_erasure_for_chat(
            self._writer, channel, chat_user, policy=self._retention, now=self._clock()
        )
        return [(answer.ref, answer.outcome.value) for answer in answers]

    async def settling_days(self, code: str | None, text: str, category: str | None) -> int | None:
        """The working days the merchant a complaint routes to (the instrument's, or the one its words name) has to
        settle it first, when that merchant takes part in ODR; None otherwise."""
        if code is not None:
            card = await self._cards.card(code)
            merchant_id = card.merchant_id if card is not None else None
        else:
            merchant_id = await self._intake.merchant_routed(text, category or "")
        if merchant_id is None:
            return None
        async with self._engine.connect() as connection:
            if not await odr_enrolment.taking_part_now(connection, merchant_id):
                return None
        return (await self._intake.deadline_rules()).policy.odr_days

    async def answer_settlement(self, channel: str, chat_user: str, ref: str, *, accept: bool) -> str:
        """The shopper accepts or refuses the merchant's proposal on their own case from this chat, as on the
        status page: settled, refused, not_open (no proposal waits for an answer) or not_found (not their case)."""
        rules = await self._intake.deadline_rules()
        async with self._writer.begin() as connection:
            found = await self._own_case_id(connection, ref, channel, chat_user)
            if found is None:
                return "not_found"
            try:
                return await odr_cases.answer(connection, found, accept=accept, now=self._clock(), rules=rules)
            except odr_cases.OdrError:
                return "not_open"

    async def working_days_left(self, until: date) -> int:
        """Working days from today to ``until`` (negative once it has passed)."""
        return (await self._intake.deadline_rules()).calendar.working_days_between(self.today, until)

    def status_url(self, ref: str) -> str:
        return f"{self._base_url}/c/{ref}?token={case_token(self._secret, ref)}"

    async def market_near(self, latitude: float, longitude: float) -> NearMarket | None:
        """The registered market nearest a shopper's location (GCJ-02), if one is near enough to be meant."""
        async with self._engine.connect() as connection:
            return await nearest_market(connection, Point(latitude, longitude))

    def market_url(self, market_id: int) -> str:
        return f"{self._base_url}/m/{market_id}"


async def _with_settling(connection: AsyncConnection, case: PublicCase) -> PublicCase:
    """A case with the merchant has the merchant's date to settle by as its deadline (no station's deadline runs)."""
    if case.status is not CaseStatus.with_merchant:
        return case
    settling = await odr_cases.of_ref(connection, case.ref)
    return replace(case, deadline=settling.due_on) if settling is not None else case
