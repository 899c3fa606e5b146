"""A case's public event as a chat message, in the language the shopper last used with the bot."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalogue import catalogue
from bot.conversation import Reply
from bot.models import DialogueState
from bot.settling import proposal_notice
from bot.texts import notice_reply
from complaints.outbox.claims import Delivery
from complaints.tokens import case_token
from lookup.models import table_of

state_t = table_of(DialogueState)


async def chat_language(engine: AsyncEngine, channel: str, chat_user: str) -> str:
    async with engine.connect() as connection:
        found = await connection.execute(
            sa.select(state_t.c.language).where(state_t.c.channel == channel, state_t.c.chat_user == chat_user)
        )
        return found.scalar() or "zh"


async def notice_for(engine: AsyncEngine, delivery: Delivery, *, secret: str, base_url: str) -> Reply:
    """What the shopper reads for an outbox message about their case (``delivery.recipient`` must be set)."""
    assert delivery.recipient is not None
    language = await chat_language(engine, delivery.channel, delivery.recipient.channel_user)
    url = f"{base_url}/c/{delivery.ref}?token={case_token(secret, delivery.ref)}"
    payload = {"ref": delivery.ref, **delivery.payload}
    if delivery.kind == "odr_propose":  # the merchant's proposal: with the words that accept or refuse it
        return proposal_notice(payload, catalogue(language), url)
    return notice_reply(delivery.kind, payload, catalogue(language), url)
