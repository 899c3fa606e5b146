"""The channel-neutral vocabulary of the bots: what a platform delivers (:class:`Event`), what the dialogue
answers (:class:`Reply`), and what it remembers between messages (:class:`Draft`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from complaints.submission import MAX_TEXT_CHARS

ANSWER_CHARS = 200  # a draft's place, time and amounts are a line each
ACCOUNT_CHARS = MAX_TEXT_CHARS - 4 * ANSWER_CHARS  # the shopper's words leave room for the answers in the case's text


class EventKind(StrEnum):
    text = "text"  # typed text, or a button's data
    photo = "photo"
    start = "start"  # a deep link, a follow or a scan of a parametric QR code; ``text`` holds the code, if any
    voice = "voice"  # ``text`` holds the platform's speech recognition, if it gave one
    location = "location"  # a shared location: ``latitude``/``longitude``, ``text`` the platform's label, if any
    unsupported = "unsupported"  # stickers, files: answered politely
    silent = "silent"  # an event that needs no answer (unfollow, a template message's receipt)


@dataclass(frozen=True, slots=True)
class Event:
    channel: str  # telegram, wechat
    chat_user: str  # Telegram chat id, WeChat openid
    key: str  # the platform's own id of this delivery: handled once, however often it arrives
    kind: EventKind
    text: str = ""
    media: str = ""  # a photo: the platform's file id (Telegram) or media id (WeChat)
    language: str | None = None  # the platform's hint (Telegram's language_code), used for a new user
    # A location, in GCJ-02 degrees: the adapter converts its platform's datum (lookup/geo/coordinates.py).
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str = ""  # what the dialogue receives when tapped (the same words typed work as well)
    url: str = ""  # or a link to open


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons; channels without buttons list the words

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [[asdict(button) for button in row] for row in self.buttons]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        rows = tuple(tuple(Button(**button) for button in row) for row in data.get("buttons", ()))
        return cls(text=str(data["text"]), buttons=rows)


class Step(StrEnum):
    idle = "idle"  # nothing in progress
    account = "account"  # collecting the shopper's own words
    choose = "choose"  # 投诉 or 举报: asked when the words do not settle it
    where = "where"
    when = "when"
    amounts = "amounts"
    photos = "photos"
    name = "name"
    phone = "phone"
    settle = "settle"  # a complaint about an ODR merchant: may the merchant settle first (bot.settling)
    confirm = "confirm"
    fix = "fix"  # choosing what to change
    paused = "paused"  # came back after 24 hours: continue or start again
    remark = "remark"  # a rating was given: the next words are its comment
    which_case = "which_case"  # a few words soon after a receipt: more for that case, or a new story?


QUESTIONS = (Step.where, Step.when, Step.amounts, Step.photos, Step.name, Step.phone)


@dataclass(slots=True)
class Draft:
    """What the shopper has told so far. Stored as JSON on the dialogue's row; nothing here is lost on a restart."""

    texts: list[str] = field(default_factory=list)
    code: str | None = None  # the instrument, from a scan, a deep link or a typed code
    place: str = ""
    when: str = ""
    amounts: str = ""
    photos: list[str] = field(default_factory=list)  # platform media ids, fetched once the case exists
    name: str = ""
    phone: str = ""
    intent: str | None = None
    category: str | None = None
    chosen: str | None = None  # the shopper's own choice of complaint (投诉) or report (举报), when asked
    refused: list[str] = field(default_factory=list)  # what the shopper declined to give (name, phone)
    asked: list[str] = field(default_factory=list)  # questions answered or skipped
    fixing: bool = False  # a question re-asked from the summary: answer it, then back to the summary
    paused: dict[str, Any] | None = None  # the draft and step a 24-hour pause set aside, until resumed
    pending: str = ""  # the message that found the dialogue paused (or asked which case): kept either way
    joins: str = ""  # the case a few words sent soon after its receipt may be about (bot.following.which_case)
    rated: str = ""  # the case just rated, whose comment the next words are
    choice_offered: bool = False  # 投诉 or 举报 offered with the story's acknowledgement: 1 or 2 then answers it
    odr: bool | None = None  # the shopper's answer to the offer that the merchant settle first (None: not asked)
    odr_days: int = 0  # the working days the merchant was offered to settle in, once the offer was made
    # A shared location that no registered market was near: its label or "lat,lon", kept for the handler beside
    # whatever place the shopper names after.
    position: str = ""
    # The registered market a location shared between stories was near: the place of the story told next, unless
    # its words name another (bot.locating; forgotten after PAUSE_AFTER without a word).
    located: str = ""
    # The instrument the question just answered was about: a question asked straight after, with no code of its own
    # (「那去哪里复秤」), is about it too. Never a story's instrument: a story names its own place.
    asked_about: str = ""
    # A question about the fair scale just answered without a market (「市场里有没有公平秤」: the answer asks for the
    # market's name): a market named straight after (「南门菜场」) is answered with its fair scale.
    fair_scale_asked: str = ""
    # The one reminder a story left untold gets (bot.outbound.reminders) has been sent: never a second for it.
    reminded: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Draft:
        known = {name: data[name] for name in cls.__slots__ if name in data}
        return cls(**known)

    @property
    def account(self) -> str:
        return "\n".join(self.texts)
