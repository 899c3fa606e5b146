"""A question is answered at once: "超期啥意思 还能用吗" after a scan, "公平秤在哪" — no 好了, no questions back.

A first message that is worded as a question, that the classifier reads as an inquiry with the confidence
:func:`bot.choosing.settled` asks of it, and that asks for no remedy or investigation, goes to intake straight
away with the scanned instrument, if any: intake answers what the service knows (the instrument's status, the
fair scale, deadlines, the hotline) and routes the rest to the station with the instrument attached. A story
("付了50块 只有1斤6两 这秤准吗？") reads as a complaint, not an inquiry, and is told as before.

Praise said outright ("表扬一下南门菜场的公平秤 很方便") is thanked at once the same way: a shopper who praises sends
one message and goes, and a 好了 they never type would leave the praise unsent.
"""

from __future__ import annotations

import re

from bot import choosing
from bot.turn import World
from bot.understanding.facts import amounts_in
from bot.understanding.words import LOSS_TOLD, QUESTION, wish_of
from complaints.workflow import Intent

# Words that praise, said outright; the classifier must read the whole as feedback too.
PRAISE = re.compile(
    r"表扬|点赞|点个赞|赞一个|好评|感谢|辛苦了|\bthanks?\b|\bthank you\b|well done|great job|\bpraise\b", re.IGNORECASE
)


async def asked_at_once(text: str, world: World) -> bool:
    """Whether these first words are a question to answer now, or praise to thank now, rather than the start of a
    story."""
    # a wish is not looked for in praise: 「帮我要回了钱」 thanks for a remedy had, it asks for none
    question = QUESTION.search(text) and wish_of(text) is None
    praise = PRAISE.search(text)
    if not (question or praise) or LOSS_TOLD.search(text) or amounts_in(text):
        return False
    settled = choosing.settled(await world.reading(text), text)
    return bool((question and settled == Intent.inquiry.value) or (praise and settled == Intent.feedback.value))
