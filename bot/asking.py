"""A question is answered at once: "超期啥意思 还能用吗" after a scan, "公平秤在哪" — no 好了, no questions back.

A first message that is worded as a question, that the classifier reads as an inquiry with the confidence
:func:`bot.choosing.settled` asks of it, and that asks for no remedy or investigation, goes to intake straight
away with the scanned instrument, if any: intake answers what the service knows (the instrument's status, the
fair scale, deadlines, the hotline) and routes the rest to the station with the instrument attached. A story
("付了50块 只有1斤6两 这秤准吗？") reads as a complaint, not an inquiry, and is told as before.
"""

from __future__ import annotations

from bot import choosing
from bot.turn import World
from bot.understanding.facts import amounts_in
from bot.understanding.words import LOSS_TOLD, QUESTION, wish_of
from complaints.workflow import Intent


async def asked_at_once(text: str, world: World) -> bool:
    """Whether these first words are a question to answer now rather than the start of a story."""
    if not QUESTION.search(text) or wish_of(text) is not None or LOSS_TOLD.search(text) or amounts_in(text):
        return False
    reading = await world.reading(text)
    return choosing.settled(reading, text) == Intent.inquiry.value
