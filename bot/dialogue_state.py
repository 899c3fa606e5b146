"""The dialogue's row as a message first reads it: the statement, and how its row is decoded.

This read comes before anything is decided, once per message, so like a scan it runs on the composition root's
raw-driver reader (web/scan_readers.py) instead of going through the engine. The bot owns what is asked and how
the answer is read; the reader only runs the statement compiled here for its database.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from bot.conversation import Draft, Step
from bot.models import DialogueState
from lookup.models import table_of

state_t = table_of(DialogueState)


@dataclass(frozen=True, slots=True)
class StoredDialogue:
    """One chat user's row: where the dialogue stands, and the message count of the user's current minute."""

    step: Step
    language: str
    draft: Draft
    updated_at: datetime | None
    version: int
    window_start: datetime | None
    window_count: int


@dataclass(frozen=True, slots=True)
class CompiledStateRead:
    """The read as SQL text for one database, and the order its positional parameters take."""

    sql: str
    order: tuple[str, ...]

    def parameters(self, channel: str, chat_user: str) -> tuple[str, ...]:
        values = {"channel": channel, "chat_user": chat_user}
        return tuple(values[name] for name in self.order)


def _statement() -> sa.Select[Any]:
    c = state_t.c
    return sa.select(c.step, c.language, c.draft, c.updated_at, c.version, c.window_start, c.window_count).where(
        c.channel == sa.bindparam("channel"), c.chat_user == sa.bindparam("chat_user")
    )


def compile_state_read(dialect: Dialect) -> CompiledStateRead:
    """The read for a raw driver of ``dialect`` (which must use a positional parameter style)."""
    compiled = _statement().compile(dialect=dialect)
    order = compiled.positiontup
    assert order is not None, f"{dialect.name} must use a positional parameter style"
    return CompiledStateRead(sql=str(compiled), order=tuple(order))


def _moment(value: Any) -> datetime | None:
    """A stored time as the raw drivers give it (SQLite: naive UTC text) as an aware datetime."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stored_dialogue(row: Sequence[Any]) -> StoredDialogue:
    """Decode a row of the compiled read, as sqlite3 (JSON and times as text) or asyncpg hands it back."""
    step, language, draft, updated_at, version, window_start, window_count = row
    return StoredDialogue(
        step=Step(step),
        language=language,
        draft=Draft.from_json(json.loads(draft) if isinstance(draft, str) else draft or {}),
        updated_at=_moment(updated_at),
        version=version,
        window_start=_moment(window_start),
        window_count=window_count,
    )
