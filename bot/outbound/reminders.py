"""A story left untold: one reminder, half an hour after the shopper stopped, that nothing was submitted yet.

A shopper who tells what happened and puts the phone away believes they have complained; until they say 好了 and
answer the questions, nothing reaches a station. So a dialogue that stopped in the middle of a story (any step
between the first words and the summary) gets one reminder on its channel: the story's opening words, the
question that still stands with its buttons, and the way out (取消). Never a second for the same story, never
after the 24 hours at which the dialogue pauses (bot.dialogue.PAUSE_AFTER), and nothing when only a code was
scanned and no story told.

The reminder is written like a late answer (bot.service.queue_answers): its words in ``inbound_message`` under a
key of its own, and an outbox row naming that key for the channel's sender, in the transaction that marks the
story reminded. The mark is conditional on the dialogue's ``version``, so a shopper who writes meanwhile wins: their
message is answered as usual and the reminder is not sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalogue import BotCatalogue, catalogue
from bot.conversation import Button, Draft, Reply, Step
from bot.dialogue import PAUSE_AFTER
from bot.models import DialogueState, InboundMessage
from bot.service import queue_answer_rows
from bot.texts import preview, prompt
from complaints.photos import MAX_PHOTOS
from lookup.models import table_of

log = logging.getLogger(__name__)

state_t, inbound_t = table_of(DialogueState), table_of(InboundMessage)

REMIND_AFTER = timedelta(minutes=30)
BATCH = 200  # dialogues looked at per statement; a pass reads batches until none is due
# Every step of a story in progress. Not idle (nothing told), paused (it has its own question on return), remark
# (a rating's comment is optional).
STORY_STEPS = tuple(step.value for step in Step if step not in {Step.idle, Step.paused, Step.remark})

Address = Callable[[str], dict[str, Any]]  # a chat user as the channel's sender finds them in a late answer


def reminder(step: Step, draft: Draft, t: BotCatalogue) -> list[Reply]:
    """What a shopper who stopped at ``step`` is reminded of; empty when there is nothing to remind of."""
    if step.value not in STORY_STEPS or draft.reminded or not (draft.texts or draft.photos):
        return []
    told = preview(draft.account) if draft.texts else t("reminder.photos", count=len(draft.photos))
    cancel = Button(t("button.cancel"), data="cancel")
    if step is Step.account:
        done = Button(t("button.done"), data="done")
        return [Reply(t("reminder.story", preview=told), ((done, cancel),))]
    if step is Step.confirm:  # the summary shows the story whole
        first = Reply(t("reminder.summary"), ((cancel,),))
    else:
        first = Reply(t("reminder.question", preview=told), ((cancel,),))
    question = prompt(step, draft, t, max_photos=MAX_PHOTOS)
    return [first] if question is None else [first, question]


def _due(channels: tuple[str, ...], now: datetime) -> sa.Select[Any]:
    c = state_t.c
    reminded = sa.func.coalesce(c.draft["reminded"].as_boolean(), sa.false())
    return (
        sa.select(c.channel, c.chat_user, c.version, c.step, c.language, c.draft)
        .where(
            c.updated_at <= now - REMIND_AFTER,
            c.updated_at > now - PAUSE_AFTER,
            c.step.in_(STORY_STEPS),
            c.channel.in_(channels),
            reminded.is_(sa.false()),
        )
        .order_by(c.updated_at)
        .limit(BATCH)
    )


async def remind_unfinished(
    engine: AsyncEngine, writer: AsyncEngine, *, now: datetime, addresses: Mapping[str, Address]
) -> int:
    """One pass: remind every dialogue due a reminder on a channel in ``addresses``; returns how many were sent.

    The due dialogues are read on ``engine``; each is marked on ``writer``, the engine for transactions that read
    then write (IMMEDIATE on SQLite). Several workers may run passes at once: each dialogue is marked by exactly
    one of them (the ``version`` condition)."""
    channels = tuple(sorted(addresses))
    if not channels:
        return 0
    sent = 0
    while True:
        async with engine.connect() as connection:
            rows = (await connection.execute(_due(channels, now))).all()
        marked = 0
        for row in rows:
            outcome = await _remind(writer, row, now=now, address=addresses[row.channel])
            marked += outcome is not None
            sent += bool(outcome)
        if len(rows) < BATCH or not marked:
            return sent


async def _remind(writer: AsyncEngine, row: sa.Row[Any], *, now: datetime, address: Address) -> bool | None:
    """Mark one dialogue reminded and queue its reminder; True when one was queued, False when there was nothing
    to remind of (marked all the same, so it is not read again), None when the shopper wrote meanwhile."""
    draft = Draft.from_json(row.draft or {})
    replies = reminder(Step(row.step), draft, catalogue(row.language))
    draft.reminded = True
    c = state_t.c
    async with writer.begin() as connection:
        changed = await connection.execute(
            sa.update(state_t)
            .where(c.channel == row.channel, c.chat_user == row.chat_user, c.version == row.version)
            .values(version=row.version + 1, draft=draft.to_json())
        )
        if changed.rowcount != 1:
            return None
        if not replies:
            return False
        key = f"reminder:{row.chat_user}:{row.version}"
        await connection.execute(
            sa.insert(inbound_t).values(
                channel=row.channel, message_key=key, received_at=now, reply=[reply.to_json() for reply in replies]
            )
        )
        await connection.run_sync(queue_answer_rows, row.channel, [key], to=address(row.chat_user), now=now)
    log.info("reminded a %s dialogue left at %s of a story not yet submitted", row.channel, row.step)
    return True
