"""A question is answered at once: "超期啥意思 还能用吗" after a scan, "公平秤在哪" — no 好了, no questions back.

A first message that is worded as a question, that the classifier reads as an inquiry with the confidence
:func:`bot.choosing.settled` asks of it, and that asks for no remedy or investigation, goes to intake straight
away with the scanned instrument, if any: intake answers what the service knows (the instrument's status, the
fair scale, deadlines, the hotline) and routes the rest to the station with the instrument attached. A story
("付了50块 只有1斤6两 这秤准吗？") reads as a complaint, not an inquiry, and is told as before.
"""

from __future__ import annotations

import re

from bot import choosing
from bot.turn import World
from bot.understanding.facts import amounts_in
from bot.understanding.words import LOSS_TOLD, wish_of
from complaints.workflow import Intent

# Chinese asks with particles, question words, or by saying a word and its negation (准不准, 合不合格, 对不对).
QUESTION = re.compile(
    r"[?？]|吗|么|啥|什么|怎么|咋|如何|能不能|能否|可不可以|可以不|是不是|有没有|多久|多长时间|哪里|哪儿|在哪|几点|几楼|几层|"
    r"为什么|为啥|请问|([\u4e00-\u9fff])不\1|^\s*(?:what|how|where|is|are|can|could|does|do|why|when|who|which|should)\b",
    re.IGNORECASE,
)


async def asked_at_once(text: str, world: World) -> bool:
    """Whether these first words are a question to answer now rather than the start of a story."""
    if not QUESTION.search(text) or wish_of(text) is not None or LOSS_TOLD.search(text) or amounts_in(text):
        return False
    reading = await world.reading(text)
    return choosing.settled(reading, text) == Intent.inquiry.value
