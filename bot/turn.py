"""One turn of the dialogue: what the dialogue may ask of the service (:class:`World`), what a message did
(:class:`Turn`), and answering with a catalogue text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from bot.catalogue import BotCatalogue, catalogue
from bot.conversation import Draft, Reply, Step
from bot.texts import receipt_reply
from complaints.case_view import PublicCase
from complaints.classify import Classification
from complaints.receipt import Receipt
from complaints.submission import Submission
from lookup.codes.resolve import Resolution
from lookup.geo.nearest import NearMarket
from lookup.scan import InstrumentCard
from lookup.typed_code import TypedCode


class World(Protocol):
    """What the dialogue may ask of the service, all read-only except a rating."""

    @property
    def today(self) -> date: ...
    @property
    def hotline(self) -> str: ...
    @property
    def max_photos(self) -> int: ...
    async def card(self, code: str) -> InstrumentCard | None: ...
    async def resolve(self, text: str) -> Resolution: ...
    async def mistyped(self, text: str) -> TypedCode: ...
    async def codes_in_photo(self, channel: str, media: str) -> tuple[str, ...]: ...
    async def classify(self, text: str) -> tuple[str, str]: ...
    async def place_named(self, text: str) -> str | None: ...
    async def place_beginning(self, head: str) -> str | None: ...
    async def reading(self, text: str) -> Classification: ...
    async def case(self, ref: str, channel: str, chat_user: str) -> PublicCase | None: ...
    async def rate(self, channel: str, chat_user: str, ref: str | None, rating: int) -> tuple[str, str]: ...
    async def remark(self, channel: str, chat_user: str, ref: str, comment: str) -> bool: ...
    async def own_cases(self, channel: str, chat_user: str, *, limit: int = 5) -> list[PublicCase]: ...
    async def recent_case(
        self, channel: str, chat_user: str, within: timedelta, *, lacking: bool = True
    ) -> PublicCase | None: ...
    async def erase(self, channel: str, chat_user: str) -> list[tuple[str, str]]: ...
    async def add_contact(self, channel: str, chat_user: str, ref: str, name: str, phone: str) -> tuple[str, ...]: ...
    async def settling_days(self, code: str | None, text: str, category: str | None) -> int | None: ...
    async def answer_settlement(self, channel: str, chat_user: str, ref: str, *, accept: bool) -> str: ...
    async def working_days_left(self, until: date) -> int: ...
    def status_url(self, ref: str) -> str: ...
    async def market_near(self, latitude: float, longitude: float) -> NearMarket | None: ...
    def market_url(self, market_id: int) -> str: ...


@dataclass(slots=True)
class Turn:
    """What one message did: the dialogue's next state, its answers, and perhaps a case to submit."""

    step: Step
    language: str
    draft: Draft
    replies: list[Reply] = field(default_factory=list)
    submission: Submission | None = None
    card: InstrumentCard | None = None  # the instrument of the submission
    photos: tuple[str, ...] = ()  # media ids to fetch once the case exists
    photos_for: str = ""  # or the reference of the earlier case they were sent for, after its receipt

    def with_receipt(self, receipt: Receipt, world: World) -> list[Reply]:
        return [*self.replies, receipt_reply(receipt, catalogue(self.language), world.status_url(receipt.ref))]


def texts_of(turn: Turn) -> BotCatalogue:
    """The catalogue of the turn's language."""
    return catalogue(turn.language)


def say(turn: Turn, key: str, **values: object) -> Turn:
    """Answer with one catalogue text."""
    turn.replies.append(Reply(texts_of(turn)(key, **values)))
    return turn
