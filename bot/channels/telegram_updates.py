"""A Telegram update, read as the JSON it is: the dialogue events it carries, where to answer, a tap to acknowledge.

Reading the JSON directly rather than building python-telegram-bot's ``Update`` took a seventh of a webhook call
off (py-spy, bench/telegram_webhook.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.conversation import Event, EventKind
from lookup.geo.coordinates import from_wgs84

CHANNEL = "telegram"
PRIVATE = "private"  # the type of a one-to-one chat


def answer_address(chat: int | str, sent: int = 0) -> dict[str, Any]:
    """Where the outbox's sender writes answers given later (bot.service.queue_answers): the chat, and how many of
    the answers were sent already."""
    return {"chat_id": int(chat), "sent": sent}


class MalformedUpdate(ValueError):
    """A body that is JSON but not a Telegram update."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """What one update asks of us: the events for the dialogue, where to answer, a button tap to acknowledge."""

    update_id: int
    chat_id: int | None = None
    events: tuple[Event, ...] = ()
    callback_id: str | None = None


def inbound_of(data: object) -> Inbound:
    """The events of an update (parsed JSON). Only private chats are served: a complaint carries a name and a
    phone number, which have no place in a group. Updates other than messages and button taps need no answer.

    Only what we answer is read: an update of a kind we never asked for, or that a newer Bot API shaped
    differently, is acknowledged rather than refused (Telegram would redeliver a refusal for hours)."""
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise MalformedUpdate("not a Telegram update (no integer update_id)")
    update_id: int = data["update_id"]
    key = str(update_id)
    if "callback_query" in data:
        query = _object(data, "callback_query")
        query_id, user = _text(query, "id"), _object(query, "from")
        message = query.get("message")
        chat = _object(message, "chat") if isinstance(message, dict) else None
        tapped = query.get("data")
        if not isinstance(tapped, str) or not tapped or (chat is not None and chat.get("type") != PRIVATE):
            return Inbound(update_id, callback_id=query_id)
        chat_id = _integer(chat if chat is not None else user, "id")
        event = Event(CHANNEL, str(chat_id), key, EventKind.text, text=tapped, language=_language_of(user))
        return Inbound(update_id, chat_id, (event,), query_id)
    if "message" not in data:
        return Inbound(update_id)
    message = _object(data, "message")
    chat = _object(message, "chat")
    chat_id = _integer(chat, "id")
    if chat.get("type") != PRIVATE:
        return Inbound(update_id)
    sender = message.get("from")
    hint = _language_of(sender) if isinstance(sender, dict) else None
    located = _location_event(message, str(chat_id), key, hint)
    if located is not None:
        return Inbound(update_id, chat_id, (located,))
    events = tuple(
        Event(CHANNEL, str(chat_id), event_key, kind, text=text, media=media, language=hint)
        for event_key, kind, text, media in _message_events(message, key)
    )
    return Inbound(update_id, chat_id, events)


def _object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise MalformedUpdate(f"not a Telegram update ({name} is not an object)")
    return value


def _integer(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if type(value) is not int:
        raise MalformedUpdate(f"not a Telegram update ({name} is not an integer)")
    return value


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise MalformedUpdate(f"not a Telegram update ({name} is not a string)")
    return value


def _optional_text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def language(code: str | None) -> str | None:
    folded = (code or "").lower()
    return "zh" if folded.startswith("zh") else "en" if folded.startswith("en") else None


def _language_of(user: dict[str, Any]) -> str | None:
    return language(_optional_text(user, "language_code"))


def _message_events(message: dict[str, Any], key: str) -> list[tuple[str, EventKind, str, str]]:
    text = _optional_text(message, "text")
    if text is not None:
        command, _, payload = text.strip().partition(" ")
        if command == "/start" or command.startswith("/start@"):
            return [(key, EventKind.start, payload.strip(), "")]
        return [(key, EventKind.text, text, "")]
    media = ""
    sizes = [size for size in message.get("photo") or () if isinstance(size, dict) and _optional_text(size, "file_id")]
    document = message.get("document")
    if sizes:
        media = max(sizes, key=_photo_size)["file_id"]
    elif isinstance(document, dict) and (_optional_text(document, "mime_type") or "").startswith("image/"):
        media = _optional_text(document, "file_id") or ""  # a photo sent "as a file", uncompressed
    if media:
        # The caption is the shopper's words: taken first, as its own message, so the photo joins the account.
        caption = _optional_text(message, "caption")
        captioned = [(f"{key}:caption", EventKind.text, caption, "")] if caption else []
        return [*captioned, (key, EventKind.photo, "", media)]
    if isinstance(message.get("voice"), dict):
        return [(key, EventKind.voice, "", "")]
    return [(key, EventKind.unsupported, "", "")]


def _location_event(message: dict[str, Any], chat: str, key: str, hint: str | None) -> Event | None:
    """A shared location or venue, converted from Telegram's WGS-84 to the GCJ-02 markets are stored in."""
    location = message.get("location")
    if not isinstance(location, dict):
        return None
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    venue = message.get("venue")
    label = (
        " ".join(part for part in (_optional_text(venue, "title"), _optional_text(venue, "address")) if part)
        if isinstance(venue, dict)
        else ""
    )
    point = from_wgs84(float(latitude), float(longitude))
    return Event(CHANNEL, chat, key, EventKind.location, text=label, language=hint,
                 latitude=point.latitude, longitude=point.longitude)  # fmt: skip


def _photo_size(size: dict[str, Any]) -> tuple[int, int]:
    def number(name: str) -> int:
        value = size.get(name)
        return value if type(value) is int else 0

    return number("width") * number("height"), number("file_size")
