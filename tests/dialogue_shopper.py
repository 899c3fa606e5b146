"""A shopper who answers the dialogue from what they know (a :class:`Script`; tests/dialogue_corpus.py holds the
scripts), driven by the dialogue's state, not by the bot's wording: the corpus measures the dialogue's behaviour
(messages to the receipt, questions about facts already given, refusals stored as data, cases made from chit-chat)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.conversation import Event, EventKind

# The dialogue's fact questions (bot.conversation.Step values) and the draft field each one fills.
FACT_FIELDS = {
    "where": "place",
    "when": "when",
    "amounts": "amounts",
    "photos": "photos",
    "name": "name",
    "phone": "phone",
}
DEFAULTS = {
    "where": "南门菜场 猪肉摊",
    "when": "今天上午",
    "amounts": "不记得了",
    "photos": "没拍",
    "name": "王",
    "phone": "13912345678",
}
MAX_MESSAGES = 30


@dataclass(frozen=True)
class Script:
    title: str
    opening: tuple[str, ...]
    told: frozenset[str] = frozenset()
    answers: Mapping[str, str] = field(default_factory=dict)
    refusals: frozenset[str] = frozenset()
    intent: str | None = "complaint"
    category: str | None = "short_weight"
    station: str | None = None
    makes_case: bool = True
    gap: str = ""  # what the service does not yet get right for this shopper (reported, not asserted)


def script(
    title: str,
    *opening: str,
    told: str = "",
    refuse: str = "",
    intent: str | None = "complaint",
    category: str | None = "short_weight",
    station: str | None = None,
    makes_case: bool = True,
    gap: str = "",
    **answers: str,
) -> Script:
    return Script(
        title=title,
        opening=opening,
        told=frozenset(told.split()),
        answers=answers,
        refusals=frozenset(refuse.split()),
        intent=intent,
        category=category,
        station=station,
        makes_case=makes_case,
        gap=gap,
    )


@dataclass
class Outcome:
    """What one conversation came to."""

    script: Script
    messages: int = 0  # shopper messages sent until the receipt (or until the script gave up)
    reasked: list[str] = field(default_factory=list)  # questions about facts the shopper had already given
    stored_refusals: list[str] = field(default_factory=list)  # a refusal found as the fact's value
    case: dict[str, Any] | None = None  # the case made (intent, category, station), if any
    stuck: bool = False  # no receipt within MAX_MESSAGES


Send = Callable[[str], Awaitable[str]]
ReadState = Callable[[], Awaitable[tuple[str, dict[str, Any]]]]  # (step, draft) of this shopper's dialogue
ReadCase = Callable[[], Awaitable[dict[str, Any] | None]]


def _stored_refusals(run: Script, given: Mapping[str, str], draft: Mapping[str, Any]) -> list[str]:
    found = []
    for step in run.refusals:
        answer, value = given.get(step), draft.get(FACT_FIELDS[step])
        if answer and value and (value == answer or value == [answer] or answer in str(value)):
            found.append(step)
    return found


async def converse(run: Script, send: Send, state: ReadState, case: ReadCase) -> Outcome:
    """Play one script: the opening, then answer each question the dialogue's state shows, until a case exists."""
    outcome, given = Outcome(run), {}
    told = set(run.told)
    for text in run.opening:
        await send(text)
        outcome.messages += 1
    if not run.makes_case:
        outcome.case = await case()
        return outcome
    while outcome.messages < MAX_MESSAGES:
        made = await case()
        if made is not None:
            outcome.case = made
            return outcome
        step, draft = await state()
        if step in FACT_FIELDS:
            if step in told:
                outcome.reasked.append(step)
            # Asked again right after answering: the shopper types the word the question's button shows; a third
            # time, they give up.
            repeats = outcome.reasked.count(step) if step in given else 0
            if repeats > 2:
                break
            answer = "跳过" if repeats == 2 else run.answers.get(step, DEFAULTS[step])
            given.setdefault(step, answer)
            told.add(step)
        elif step == "confirm":
            outcome.stored_refusals = _stored_refusals(run, given, draft)
            answer = "提交"
        elif step == "account":  # done; or, when 投诉 and 举报 were offered with the acknowledgement, the wish
            answer = (
                ("1" if run.intent == "complaint" else "2") if draft.get("choice_offered") and run.intent else "好了"
            )
        elif step == "idle":  # the dialogue let the story go without a case: the shopper is left stranded
            break
        else:  # a question the corpus does not know (e.g. complaint or report): the shopper's wish
            answer = "1" if run.intent == "complaint" else "2"
        await send(answer)
        outcome.messages += 1
    outcome.stuck = True
    return outcome


async def play(service: Any, engine: Any, run: Script, chat_user: str, channel: str = "wechat") -> Outcome:
    """Play ``run`` against a running app's DialogueService over its database, as ``chat_user``."""
    keys = itertools.count(1)

    async def send(text: str) -> str:
        event = Event(channel=channel, chat_user=chat_user, key=f"{chat_user}-{next(keys)}", kind=EventKind.text,
                      text=text, media="", language=None)  # fmt: skip
        return "\n".join(reply.text for reply in await service.handle(event))

    async def state() -> tuple[str, dict[str, Any]]:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.text("SELECT step, draft FROM dialogue_state WHERE channel = :c AND chat_user = :u"),
                    {"c": channel, "u": chat_user},
                )
            ).first()
        if row is None:
            return "idle", {}
        draft = row.draft if isinstance(row.draft, dict) else json.loads(row.draft or "{}")
        return row.step, draft

    async def case() -> dict[str, Any] | None:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.text(
                        "SELECT c.intent, c.category, s.name AS station FROM complaint c "
                        "JOIN complaintcontact k ON k.complaint_id = c.id LEFT JOIN station s ON s.id = c.station_id "
                        # not the report split from a complaint about a rigged instrument: the shopper's own case
                        "WHERE k.channel_user = :u AND NOT (c.intent = 'report' AND c.linked_id IS NOT NULL) "
                        "ORDER BY c.id DESC"
                    ),
                    {"u": chat_user},
                )
            ).first()
        return None if row is None else {"intent": str(row.intent), "category": row.category, "station": row.station}

    return await converse(run, send, state, case)
