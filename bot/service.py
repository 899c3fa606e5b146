"""One message, handled once: load the dialogue, decide the turn, store everything it did in one transaction.

The transaction begins with the platform's id of the message: a redelivery finds it and gets the first answer
(or nothing, while the first is still being handled), never a second step. Messages of one dialogue take turns
(:class:`DialogueTurns`): a burst (twelve lines typed fast, nine photos picked at once) is decided one message
after another, each on the state the one before left. The dialogue's row is still updated only if nobody changed
it since it was read (``version``); a change in between (two processes on one SQLite file) decides again.
A case the turn submits is stored in the same transaction, with the fetching of its photos queued in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalogue import catalogue
from bot.conversation import Draft, Event, Reply, Step
from bot.dialogue import respond
from bot.models import DialogueState, InboundMessage
from bot.ports import Intake, StateReader
from bot.turn import Turn, World
from complaints.cases import photo_sent_after
from complaints.intake import store
from complaints.new_case import Prepared
from complaints.outbox.enqueue import queue_message
from complaints.submission import Submission
from lookup.models import UtcDateTime, table_of

log = logging.getLogger(__name__)

state_t, inbound_t = table_of(DialogueState), table_of(InboundMessage)

FLOOD_LIMIT = 30  # messages per user per minute: more than anyone types, fewer than a script sends
FLOOD_WINDOW = timedelta(minutes=1)
ATTEMPTS = 5  # decisions retried when another process changed the dialogue in between
PHOTO = "photo"  # the outbox kind that fetches a chat photo into its case
CHAT_REPLY = "chat_reply"  # the outbox kind of answers that could not be given at once (names them, never copies)

# Built once: building a statement costs more than SQLite takes to run it, and these run for every message.
_THIS_USER = sa.and_(state_t.c.channel == sa.bindparam("b_channel"), state_t.c.chat_user == sa.bindparam("b_user"))
_NOW = sa.bindparam("b_now", type_=UtcDateTime())
_FRESH_WINDOW = sa.or_(
    state_t.c.window_start.is_(None), state_t.c.window_start <= sa.bindparam("b_start", type_=UtcDateTime())
)
_COUNT = (
    sa.update(state_t)
    .where(_THIS_USER)
    .values(
        window_start=sa.case((_FRESH_WINDOW, _NOW), else_=state_t.c.window_start),
        window_count=sa.case((_FRESH_WINDOW, 1), else_=state_t.c.window_count + 1),
        last_inbound_at=_NOW,
    )
    .returning(state_t.c.window_count)
)
_ADVANCE = (
    sa.update(state_t)
    .where(_THIS_USER, state_t.c.version == sa.bindparam("b_version"))
    .values(
        version=state_t.c.version + 1,
        step=sa.bindparam("b_step"),
        language=sa.bindparam("b_language"),
        draft=sa.bindparam("b_draft", type_=sa.JSON),
        updated_at=_NOW,
    )
)
_STORED_REPLY = sa.select(inbound_t.c.reply).where(
    inbound_t.c.channel == sa.bindparam("channel"), inbound_t.c.message_key == sa.bindparam("key")
)
_SAVE_REPLY = (
    sa.update(inbound_t)
    .where(inbound_t.c.channel == sa.bindparam("b_channel"), inbound_t.c.message_key == sa.bindparam("b_key"))
    .values(reply=sa.bindparam("b_reply"))
)


@dataclass(frozen=True, slots=True)
class _Loaded:
    step: Step
    language: str
    draft: Draft
    updated_at: datetime | None
    version: int | None  # None: the user has no row yet
    flooding: bool


@dataclass(frozen=True, slots=True)
class Handled:
    replies: list[Reply]
    first: bool  # False: a repeat delivery, answered with what the first one was
    language: str  # the dialogue's language, for the words a channel adds (WeChat's "回复「提交」")


class _Changed(Exception):
    """Another process advanced this dialogue since it was read."""


class DialogueTurns:
    """One message of a dialogue at a time: in this process an asyncio lock per dialogue (first come, first
    served); across processes on PostgreSQL also a transaction-level advisory lock, taken on a connection held for
    the turn, which the database releases if the process dies."""

    def __init__(self, engine: AsyncEngine | None) -> None:
        self._engine = engine if engine is not None and engine.dialect.name == "postgresql" else None
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, channel: str, chat_user: str) -> AsyncIterator[None]:
        key = (channel, chat_user)
        lock, waiting = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, waiting + 1)
        try:
            async with lock:
                if self._engine is None:
                    yield
                    return
                async with self._engine.connect() as connection:
                    await connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(channel, chat_user))))
                    yield
                    await connection.rollback()  # ends the transaction, which releases the lock
        finally:
            lock, waiting = self._locks[key]
            if waiting == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, waiting - 1)


def _lock_key(channel: str, chat_user: str) -> int:
    digest = hashlib.sha256(f"dialogue:{channel}:{chat_user}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class DialogueService:
    """Handles each message once; ``world`` is what the dialogue may ask of the service (bot.world's
    ServiceWorld, built by the composition root)."""

    def __init__(
        self,
        *,
        intake: Intake,
        states: StateReader,
        world: World,
        clock: Callable[[], datetime],
        flood_limit: int = FLOOD_LIMIT,
        engine: AsyncEngine | None = None,
    ) -> None:
        self._turns = DialogueTurns(engine)
        self._states = states
        self._intake = intake
        self._clock = clock
        self._flood_limit = flood_limit
        self.world = world

    async def handle(self, event: Event) -> list[Reply]:
        """The answers to one delivery of one message (a repeat gets the first answer; empty while the first
        is still in hand, or in a flood)."""
        return (await self.receive(event)).replies

    async def receive(self, event: Event) -> Handled:
        """:meth:`handle`, telling a first delivery from a repeat: a channel that sent the first answer itself
        (Telegram) must not send it again, one that answers in the response (WeChat) sends it each time."""
        async with self._turns.turn(event.channel, event.chat_user):
            return await self._decide_and_store(event)

    async def _decide_and_store(self, event: Event) -> Handled:
        for attempt in range(ATTEMPTS):
            loaded = await self._load(event)
            now = self._clock()
            if loaded.flooding:
                turn = Turn(step=loaded.step, language=loaded.language, draft=loaded.draft)
            else:
                turn = await respond(
                    loaded.step, loaded.language, loaded.draft, loaded.updated_at, event, self.world, now
                )
            prepared = None
            if turn.submission is not None:
                prepared = await self._intake.prepare(for_event(turn.submission, event), turn.card)
            work = functools.partial(self._store, event=event, loaded=loaded, turn=turn, prepared=prepared, now=now)
            try:
                return await self._intake.transactions.run(work)
            except _Changed:
                await asyncio.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # noqa: S311 - jitter, not secrecy
        raise RuntimeError(f"dialogue {event.channel} kept changing under message {event.key}")

    async def _load(self, event: Event) -> _Loaded:
        stored = await self._states.dialogue_state(event.channel, event.chat_user)
        if stored is None:
            language = event.language if event.language in {"zh", "en"} else "zh"
            return _Loaded(Step.idle, language, Draft(), None, None, flooding=False)
        window_start = stored.window_start
        in_window = window_start is not None and self._clock() - window_start < FLOOD_WINDOW
        return _Loaded(
            step=stored.step,
            language=stored.language,
            draft=stored.draft,
            updated_at=stored.updated_at,
            version=stored.version,
            flooding=in_window and stored.window_count >= self._flood_limit,
        )

    def _store(
        self,
        connection: sa.Connection,
        *,
        event: Event,
        loaded: _Loaded,
        turn: Turn,
        prepared: Prepared | None,
        now: datetime,
    ) -> Handled:
        keys = {"channel": event.channel, "key": event.key}
        # Stored with the answer it will most likely keep (one statement fewer); a flood or a new case changes it.
        presumed = [] if loaded.flooding or prepared is not None else turn.replies
        first = connection.execute(
            _insert_ignoring_duplicates(connection.dialect.name, "inbound"),
            {
                "channel": event.channel,
                "message_key": event.key,
                "received_at": now,
                "reply": [reply.to_json() for reply in presumed],
            },
        )
        if not first.rowcount:
            stored = connection.execute(_STORED_REPLY, keys).scalar_one_or_none() or []
            return Handled([Reply.from_json(reply) for reply in stored], first=False, language=loaded.language)
        count = self._count(connection, event, now, known=loaded.version is not None)
        if count > self._flood_limit:
            # Over the limit the words are not taken: the shopper is told once, and the rest costs one row each.
            replies = [Reply(catalogue(loaded.language)("flood"))] if count == self._flood_limit + 1 else []
        else:
            replies = self._advance(connection, event, loaded, turn, prepared, now)
        if replies != presumed:
            saved = [reply.to_json() for reply in replies]
            connection.execute(_SAVE_REPLY, {"b_channel": event.channel, "b_key": event.key, "b_reply": saved})
        return Handled(replies, first=True, language=turn.language)

    def _count(self, connection: sa.Connection, event: Event, now: datetime, *, known: bool) -> int:
        """Count the message in the user's current minute (creating the user's row on first contact; rows are
        never deleted, so a row that was read is still there)."""
        if not known:
            connection.execute(
                _insert_ignoring_duplicates(connection.dialect.name, "state"),
                {
                    "channel": event.channel,
                    "chat_user": event.chat_user,
                    "version": 0,
                    "step": Step.idle.value,
                    "language": event.language if event.language in {"zh", "en"} else "zh",
                    "draft": {},
                    "updated_at": now,
                    "window_count": 0,
                },
            )
        counted = connection.execute(
            _COUNT, {"b_channel": event.channel, "b_user": event.chat_user, "b_now": now, "b_start": now - FLOOD_WINDOW}
        )
        return int(counted.scalar_one())

    def _advance(
        self,
        connection: sa.Connection,
        event: Event,
        loaded: _Loaded,
        turn: Turn,
        prepared: Prepared | None,
        now: datetime,
    ) -> list[Reply]:
        changed = connection.execute(
            _ADVANCE,
            {
                "b_channel": event.channel,
                "b_user": event.chat_user,
                "b_version": loaded.version or 0,
                "b_step": turn.step.value,
                "b_language": turn.language,
                "b_draft": turn.draft.to_json(),
                "b_now": now,
            },
        )
        if changed.rowcount != 1:
            raise _Changed
        if prepared is None:
            if turn.photos and turn.photos_for:  # a photo sent after a receipt: into that case
                complaint_id = photo_sent_after(connection, turn.photos_for, now=now)
                if complaint_id is not None:
                    _queue_photos(connection, complaint_id, turn.photos_for, turn.photos, event.channel, now)
            return turn.replies
        receipt = store(connection, prepared=prepared)
        _queue_photos(connection, receipt.complaint_id, receipt.ref, turn.photos, event.channel, now)
        return turn.with_receipt(receipt, self.world)


def _queue_photos(
    connection: sa.Connection, complaint_id: int, ref: str, photos: Sequence[str], channel: str, now: datetime
) -> None:
    """The fetching of each chat photo into its case, queued in the outbox (once per photo and case)."""
    for media in photos:
        queue_message(
            connection,
            complaint_id=complaint_id,
            channel=channel,
            kind=PHOTO,
            key=f"{PHOTO}:{channel}:{ref}:{hashlib.sha256(media.encode()).hexdigest()[:32]}",
            payload={"media": media},
            now=now,
        )


@functools.cache
def _insert_ignoring_duplicates(dialect_name: str, table: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    target = inbound_t if table == "inbound" else state_t
    return dialect.insert(target).on_conflict_do_nothing()


async def queue_answers(
    engine: AsyncEngine, channel: str, keys: Sequence[str], *, to: dict[str, Any], now: datetime
) -> None:
    """Answers a channel could not give at once, into the outbox for its sender. The row names the messages they
    answer (:func:`stored_replies` finds the words in ``inbound_message``) rather than copying words that may
    quote the shopper: it holds no personal data beyond ``to``, the chat to write to."""
    async with engine.begin() as connection:
        await connection.run_sync(queue_answer_rows, channel, keys, to=to, now=now)


def queue_answer_rows(
    connection: sa.Connection, channel: str, keys: Sequence[str], *, to: dict[str, Any], now: datetime
) -> None:
    """:func:`queue_answers` inside a transaction already open (a reminder is queued with its mark)."""
    key, payload = f"{CHAT_REPLY}:{channel}:{keys[0]}", {**to, "answers": list(keys)}
    queue_message(connection, complaint_id=None, channel=channel, kind=CHAT_REPLY, key=key, payload=payload, now=now)


async def stored_replies(engine: AsyncEngine, channel: str, keys: Sequence[str]) -> list[Reply] | None:
    """The answers given to these messages, in order (for a channel that sends them later); None when any of
    them has been forgotten (see :func:`prune_inbound`). The outbox refers to them instead of copying words."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(inbound_t.c.message_key, inbound_t.c.reply).where(
                inbound_t.c.channel == channel, inbound_t.c.message_key.in_(list(keys))
            )
        )
        found: dict[str, list[dict[str, Any]]] = {row.message_key: row.reply for row in rows}
    if set(keys) - set(found):
        return None
    return [Reply.from_json(reply) for key in keys for reply in found[key]]


async def prune_inbound(engine: AsyncEngine, *, before: datetime) -> int:
    """Forget message ids older than ``before`` (platforms redeliver within minutes, not days)."""
    async with engine.begin() as connection:
        result = await connection.execute(sa.delete(inbound_t).where(inbound_t.c.received_at < before))
    return int(result.rowcount)


def for_event(submission: Submission, event: Event) -> Submission:
    contact = replace(submission.contact, channel_user=event.chat_user)
    return replace(submission, channel=event.channel, contact=contact)
