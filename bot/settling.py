"""ODR in the chat (商家先行协商): a complainant (投诉, with a name and phone) of a merchant taking part is asked once,
before the summary, whether the merchant may settle first; the answer goes to intake as ``Submission.odr``, which
sends the case to the merchant (complaints/odr). The merchant's proposal reaches the chat as a notice, and
「接受 REF」/「不接受 REF」 answer it at any step, as the status page does, for the shopper's own case only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.catalogue import BotCatalogue
from bot.conversation import Button, Event, Reply, Step
from bot.texts import settle_offer
from bot.turn import Turn, World, say, texts_of
from bot.understanding.words import words
from complaints.case_view import PublicCase, yuan
from complaints.workflow import MESSAGE, REFUND_YUAN, CaseStatus, Intent

# 「接受 JL20261123-0001」, 「不接受 …」, and the notice's buttons, which send the same words.
ANSWER = re.compile(
    r"^(?:(接受|同意|accept)|(不接受|拒绝|不同意|refuse|reject|decline))\s*[:：]?\s*([A-Za-z]{2}\d{8}-\d{4,6})$",
    re.IGNORECASE,
)
_PUNCT_SPACE = re.compile(r"[\s\W_]+", re.UNICODE)
# Folded as the answer is (no spaces or punctuation): a button's data 「settle:yes」 is 「settleyes」.
_YES = frozenset({
    "settleyes", "好", "好的", "好吧", "可以", "可以的", "行", "同意", "愿意", "同意商家先协商", "商家先协商",
    "先协商", "协商", "先找商家", "yes", "ok", "okay", "sure", "agree", "iagree", "letthemerchantsettlefirst",
})  # fmt: skip
_NO = frozenset({
    "settleno", "不", "不用", "不用了", "不要", "不同意", "不愿意", "不行", "直接", "直接交", "直接交监管所",
    "不用直接交监管所", "交监管所", "直接投诉", "no", "nope", "nothanks", "nostraighttothestation",
    "straighttothestation",
})  # fmt: skip


async def offered(turn: Turn, world: World) -> bool:
    """Ask, once, before the summary, when the merchant the complaint routes to takes part in ODR: True when asked.
    A report (举报) or a shopper who gave no name or phone is never asked."""
    draft = turn.draft
    if draft.intent != Intent.complaint.value or not (draft.name and draft.phone):
        return False
    if Step.settle.value in draft.asked:
        return False
    days = await world.settling_days(draft.code, draft.account, draft.category)
    if days is None:
        draft.odr, draft.odr_days = None, 0
        return False
    draft.odr_days = days
    turn.step = Step.settle
    turn.replies.append(settle_offer(days, texts_of(turn)))
    return True


def answer_of(text: str) -> bool | None:
    """True to let the merchant settle first, False to go straight to the station, None when the words say neither."""
    folded = _PUNCT_SPACE.sub("", words(text))
    if folded in _NO or folded.startswith(("直接", "不用", "不要", "不同意")):
        return False
    if folded in _YES or folded.startswith(("同意", "可以")):
        return True
    return None


def take(turn: Turn, text: str) -> bool:
    """The answer to the offer, stored in the draft; False when it is neither (the question is asked again)."""
    answer = answer_of(text)
    if answer is None:
        return False
    turn.draft.odr = answer
    return True


async def answer(turn: Turn, found: re.Match[str], event: Event, world: World) -> Turn:
    """「接受 REF」/「不接受 REF」: the shopper's answer to the merchant's proposal on their own case, at any step (the
    dialogue in progress stays as it was)."""
    accept, ref = found.group(1) is not None, found.group(3).upper()
    outcome = await world.answer_settlement(event.channel, event.chat_user, ref, accept=accept)
    return say(turn, f"settle.{outcome}", ref=ref)


async def with_settling(reply: Reply, case: PublicCase, world: World, t: BotCatalogue) -> Reply:
    """A case's status in the chat; with the merchant, it says by when they must settle and the working days left."""
    if case.status is not CaseStatus.with_merchant or case.deadline is None:
        return reply
    left = max(await world.working_days_left(case.deadline), 0)
    line = t("case.with_merchant", date=case.deadline.isoformat(), days=left)
    return Reply(f"{reply.text}\n{line}", reply.buttons)


def proposal_notice(payload: Mapping[str, Any], t: BotCatalogue, status_url: str) -> Reply:
    """The merchant's proposal as the shopper reads it in the chat, with the words (and buttons) that answer it."""
    ref = str(payload.get("ref", ""))
    lines = [t("notice.odr_propose", ref=ref), str(payload.get(MESSAGE, ""))]
    amount = yuan(payload.get(REFUND_YUAN))
    if amount is not None:
        lines.append(t("notice.odr_refund", yuan=f"{amount:g}"))
    lines.append(t("notice.odr_answer", ref=ref))
    accept, refuse = t("button.settle.accept", ref=ref), t("button.settle.refuse", ref=ref)
    buttons = (
        (Button(accept, data=accept), Button(refuse, data=refuse)),
        (Button(t("button.status_page"), url=status_url),),
    )
    return Reply("\n".join(line for line in lines if line), buttons)
