"""What the bot needs from outside itself, as Protocols the composition root's objects satisfy: intake (web's
IntakeService), the instrument cards and the dialogue rows (web's raw-driver scan reader), and the codes in a chat
photo (bot/codes/photos.py, fed by each channel's photo download). The bot's own modules
depend on these, never on one another's implementations of them."""

from __future__ import annotations

from typing import Protocol

from bot.dialogue_state import StoredDialogue
from complaints.classify import Classification
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.intake import Transactions
from complaints.new_case import Prepared
from complaints.submission import Submission
from lookup.scan import InstrumentCard


class Intake(Protocol):
    """What the bots need of intake (web's IntakeService is one)."""

    @property
    def transactions(self) -> Transactions: ...

    async def prepare(self, submission: Submission, card: InstrumentCard | None) -> Prepared: ...
    async def classify(self, text: str) -> tuple[str, str]: ...
    async def place_named(self, text: str) -> str | None: ...
    async def place_beginning(self, head: str) -> str | None: ...
    async def market_named(self, text: str) -> int | None: ...
    async def reading(self, text: str) -> Classification: ...
    async def merchant_routed(self, text: str, category: str) -> int | None: ...
    async def deadline_rules(self) -> DeadlineRules: ...


class CardReader(Protocol):
    """An instrument's card by its code."""

    async def card(self, code: str) -> InstrumentCard | None: ...


class StateReader(Protocol):
    """Reads a dialogue's row on the raw driver with :mod:`bot.dialogue_state`'s statement and decoder: the
    composition root's scan reader is one."""

    async def dialogue_state(self, channel: str, chat_user: str) -> StoredDialogue | None: ...


class CodeReader(Protocol):
    """The texts of the codes in a chat photo, by the platform's media id: the channel downloads the photo as it
    does evidence, the reader decodes it; () when it holds none or cannot be fetched."""

    async def codes_in_photo(self, channel: str, media: str) -> tuple[str, ...]: ...
