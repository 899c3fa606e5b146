"""What the bots keep between messages: every process of a deployment reads and writes the same rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from lookup.models import UtcDateTime, timestamp_column, utcnow


class DialogueState(SQLModel, table=True):
    """One chat user's conversation with the bot: the draft so far, the step, the language.

    ``version`` makes each message's update conditional on the row it read, so two processes handling two
    messages of the same user at once cannot both advance the dialogue from the same state.
    """

    __tablename__ = "dialogue_state"
    # The worker's look for stories left untold (bot/outbound/reminders.py) reads the last day, not every user.
    __table_args__ = (sa.Index("ix_dialogue_state_updated_at", "updated_at"),)

    channel: str = Field(max_length=20, primary_key=True)  # telegram, wechat
    chat_user: str = Field(max_length=100, primary_key=True)  # Telegram chat id, WeChat openid
    version: int = 0
    step: str = Field(default="idle", max_length=20)
    language: str = Field(default="zh", max_length=5)
    draft: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    # A per-user message counter for the current minute: a flood is answered once and then ignored.
    window_start: datetime | None = Field(default=None, sa_type=UtcDateTime)
    window_count: int = 0
    # When the user last wrote to us: WeChat's customer-service messages may be sent for 48 hours after it.
    last_inbound_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class InboundMessage(SQLModel, table=True):
    """A message or event a platform delivered, keyed by the platform's own id: handled once, however often it
    is delivered. ``reply`` is what the first delivery was answered, for a retry that arrives later."""

    __tablename__ = "inbound_message"

    channel: str = Field(max_length=20, primary_key=True)
    message_key: str = Field(max_length=120, primary_key=True)  # update_id, MsgId, or openid + CreateTime
    # Indexed for pruning: a platform redelivers within minutes, so old keys are deleted after a week.
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False, default=utcnow, index=True)
    )
    reply: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)


class ChannelCredential(SQLModel, table=True):
    """A platform credential that every process shares (WeChat's access token): one fetch serves them all,
    and a process that fetches a new one does not invalidate another's."""

    __tablename__ = "channel_credential"

    name: str = Field(max_length=200, primary_key=True)
    value: str = Field(sa_type=sa.Text)
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
