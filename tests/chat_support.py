"""Talking to the dialogue service as a platform adapter would: one event per message, each with its own id."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.conversation import Event, EventKind, Reply
from bot.service import DialogueService

_ids = itertools.count(1)


@dataclass
class Chat:
    service: DialogueService
    chat_user: str = "10001"
    channel: str = "telegram"
    language: str | None = None
    said: list[Reply] = field(default_factory=list)

    async def send(self, text: str = "", *, kind: EventKind = EventKind.text, media: str = "", key: str = "") -> str:
        event = Event(
            channel=self.channel,
            chat_user=self.chat_user,
            key=key or f"m{next(_ids)}",
            kind=kind,
            text=text,
            media=media,
            language=self.language,
        )
        replies = await self.service.handle(event)
        self.said.extend(replies)
        return "\n".join(reply.text for reply in replies)

    async def photo(self, media: str) -> str:
        return await self.send(kind=EventKind.photo, media=media)

    def buttons(self) -> list[str]:
        """The data of the last answer's buttons."""
        return [button.data or button.url for row in self.said[-1].buttons for button in row] if self.said else []
