"""A correction at the summary changes the field it names, and the summary says what changed.

"时间错了 是上周五" → 时间：上周五 (and the summary again, headed 已改正), "不是昨天 是前天" → 时间：前天下午;
"改时间" or "电话不对"
without the new value → that question is asked again, as the 「修改」 button's choice would. A name or
phone that cannot be taken is refused with the reason, as at its question. What counts as a correction
is :mod:`bot.understanding.corrections`.
"""

from __future__ import annotations

from bot.choosing import given_contact
from bot.conversation import Reply, Step
from bot.texts import mask_phone
from bot.turn import Turn, texts_of
from bot.turn import say as _say
from bot.understanding.corrections import correction_in, swap_in
from complaints.submission import SubmissionError, clean_name, clean_phone

_FIELDS = {Step.where: "place", Step.when: "when", Step.amounts: "amounts", Step.name: "name", Step.phone: "phone"}


def corrected(turn: Turn, text: str, *, limit: int) -> Step | None:
    """Applies the correction ``text`` makes to the draft. Returns None when it is not one (the words join the
    account as before), Step.confirm when the field changed (show the summary again), or the step whose question
    must be asked again (the new value was not given, or could not be taken: the reason is already said)."""
    draft = turn.draft
    answers = {step: getattr(draft, field_name) for step, field_name in _FIELDS.items() if getattr(draft, field_name)}
    correction = correction_in(text) or swap_in(text, answers)
    if correction is None:
        return None
    step, value = correction.step, correction.value
    if not value:
        return step
    try:
        if step is Step.name:
            value = clean_name(value)
        elif step is Step.phone:
            value = clean_phone(value)
    except SubmissionError as error:
        turn.replies.append(Reply(error.english if turn.language == "en" else error.chinese))
        return step  # its question, asked again, says what to send
    change(turn, step, value, limit=limit)
    return Step.confirm


def change(turn: Turn, step: Step, value: str, *, limit: int) -> None:
    """The answer of ``step`` becomes ``value`` (already cleaned), and the shopper is told so (已改正 · …)."""
    field_name = _FIELDS[step]
    setattr(turn.draft, field_name, value[:limit])
    given_contact(turn.draft, (field_name,))
    shown = mask_phone(value) if step is Step.phone else value[:limit]
    _say(turn, "fixed", line=texts_of(turn)(f"summary.{field_name}", **{field_name: shown}))
