"""Reading the queue's filters and page size from a query string: the same parameters for the page and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from complaints.classify.taxonomy import CATEGORIES
from complaints.models import Priority, Queue
from complaints.queue.conditions import QueueFilter
from complaints.queue.listing import DEFAULT_LIMIT, MAX_LIMIT
from complaints.submission import CASE_CHANNELS
from complaints.workflow import CaseStatus, Intent
from lookup.legal_use import LegalUse
from lookup.problems import Problem

FIRST_YEAR, LAST_YEAR = 2000, 2999
FILTER_NAMES = (
    "status",
    "intent",
    "category",
    "priority",
    "channel",
    "queue",
    "from",
    "to",
    "q",
    "triage",
    "overdue",
    "mine",
    "use",
)


class BadFilter(Problem, ValueError):
    """A filter the queue does not have a value for; ``field`` (and ``name``) is the filter."""

    name = value = ""

    @classmethod
    def of(cls, name: str, value: str) -> BadFilter:
        error = cls(
            "bad_filter",
            f"筛选 {name} 没有 {value!r} 这个值（可用的筛选：{'、'.join(FILTER_NAMES)}）",
            f"unknown value {value!r} for {name} (filters: {', '.join(FILTER_NAMES)})",
            field=name,
        )
        error.name, error.value = name, value
        return error

    @property
    def summary(self) -> str:
        return f"unknown value {self.value!r} for {self.name}"


class BadLimit(Problem, ValueError):
    """A page size that is not a whole number from 1 to MAX_LIMIT."""

    @classmethod
    def of(cls) -> BadLimit:
        return cls(
            "bad_limit",
            f"`limit` 必须是 1 到 {MAX_LIMIT} 的整数。",
            f"`limit` must be a whole number from 1 to {MAX_LIMIT}.",
            field="limit",
        )


def parse_limit(raw: str | None) -> int:
    """The page size a query asked for (``limit``), the default when it asked for none."""
    if raw is None:
        return DEFAULT_LIMIT
    text = raw.strip()
    if not (text.isascii() and text.lstrip("+-").isdigit() and len(text) < 10) or not 1 <= int(text) <= MAX_LIMIT:
        raise BadLimit.of()
    return int(text)


def _choice(query: Mapping[str, str], name: str, allowed: object) -> str | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:  # type: ignore[operator]
        raise BadFilter.of(name, value)
    return value


def _day(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise BadFilter.of(name, value) from exc
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # at the calendar's ends a day's bounds in UTC overflow
        raise BadFilter.of(name, value)
    return day


def parse_filter(query: Mapping[str, str], *, zone: ZoneInfo, today: date, me: str | None = None) -> QueueFilter:
    """The filter a query string asks for; ``mine=yes`` keeps the cases assigned to ``me`` (the viewer)."""
    status = _choice(query, "status", CaseStatus.__members__)
    intent = _choice(query, "intent", Intent.__members__)
    priority = _choice(query, "priority", Priority.__members__)
    queue = _choice(query, "queue", Queue.__members__)
    triage = _choice(query, "triage", ("yes", "no"))
    text = query.get("q", "").strip() or None
    try:
        return QueueFilter(
            status=CaseStatus(status) if status else None,
            intent=Intent(intent) if intent else None,
            category=_choice(query, "category", CATEGORIES),
            priority=Priority(priority) if priority else None,
            channel=_choice(query, "channel", CASE_CHANNELS),
            queue=Queue(queue) if queue else None,
            received_from=_day(query, "from"),
            received_to=_day(query, "to"),
            zone=zone,
            text=text,
            needs_triage=None if triage is None else triage == "yes",
            overdue_only=query.get("overdue") == "yes",
            today=today,
            assignee=me if _choice(query, "mine", ("yes", "no")) == "yes" else None,
            legal_use=LegalUse(use) if (use := _choice(query, "use", LegalUse.__members__)) else None,
        )
    except ValueError as exc:
        if isinstance(exc, BadFilter):
            raise
        raise BadFilter.of("q", text or "") from exc
