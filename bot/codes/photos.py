"""A photo of a code sent to the bot: at the greeting or between stories it is a lookup, answered with the
instrument's card as a typed code is; during a story, or with no code in it, it is evidence as before.

:class:`ChatPhotoCodes` is the bots' :class:`bot.ports.CodeReader`: each channel registers how it downloads a photo
by its media id (the code that fetches evidence photos into cases), and the picture is decoded off the event loop
by lookup/codes/picture.py. A photo that cannot be fetched in time holds no code: it is taken as evidence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.codes.answers import answer, show_card
from bot.conversation import Event, Reply, Step
from bot.turn import Turn, World, texts_of
from lookup.codes.picture import codes_in_picture
from lookup.codes.resolve import Outcome, Resolution

log = logging.getLogger(__name__)

FETCH_SECONDS = 3.0  # WeChat answers within five seconds: a photo slower than this is kept as evidence instead
PhotoFetch = Callable[[str], Awaitable[bytes]]
_ANSWERED = (Outcome.instrument, Outcome.several, Outcome.ours)  # a product's barcode in a photo may be evidence


class ChatPhotoCodes:
    """The codes in chat photos, for every channel that registered its download."""

    def __init__(self) -> None:
        self._fetchers: dict[str, PhotoFetch] = {}

    def register(self, channel: str, fetch: PhotoFetch) -> None:
        self._fetchers[channel] = fetch

    async def codes_in_photo(self, channel: str, media: str) -> tuple[str, ...]:
        fetch = self._fetchers.get(channel)
        if fetch is None or not media:
            return ()
        try:
            data = await asyncio.wait_for(fetch(media), FETCH_SECONDS)
        except Exception as error:  # the platform away or slow: the photo is still taken, as evidence
            log.warning("%s: a photo could not be fetched to look for a code (%s)", channel, type(error).__name__)
            return ()
        return await asyncio.to_thread(codes_in_picture, data)


def at_greeting(turn: Turn) -> bool:
    """Between stories, or greeted with nothing told or sent yet."""
    draft = turn.draft
    if draft.paused is not None:
        return False
    return turn.step is Step.idle or (turn.step is Step.account and not draft.texts and not draft.photos)


async def answer_photo(turn: Turn, event: Event, world: World) -> Turn | None:
    """The answer to a photo of a code at the greeting; None when the photo is evidence (the dialogue keeps it)."""
    if not at_greeting(turn):
        return None
    found = await _best(await world.codes_in_photo(event.channel, event.media), world)
    if found is None:
        return None
    if found.code is not None and (card := await world.card(found.code)) is not None:
        show_card(turn, card, world)
    else:
        await answer(turn, found, world, asked=True)
    answered = turn.replies[-1]  # the note goes with the answer, whose buttons stay last
    turn.replies[-1] = Reply(f"{answered.text}\n{texts_of(turn)('codes.photo.not_evidence')}", answered.buttons)
    return turn


async def _best(texts: tuple[str, ...], world: World) -> Resolution | None:
    """What the photo's codes name: an instrument first, then a shared serial, then a code of ours we do not know."""
    found = [await world.resolve(text) for text in texts]
    for outcome in _ANSWERED:
        for resolution in found:
            if resolution.outcome is outcome:
                return resolution
    return None
