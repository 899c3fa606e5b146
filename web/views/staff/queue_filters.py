"""Reading the queue's filters from a query string: the same parameters for the page and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from complaints.classify.taxonomy import CATEGORIES
from complaints.models import Priority, Queue
from complaints.queue.conditions import QueueFilter
from complaints.submission import CASE_CHANNELS
from complaints.workflow import CaseStatus, Intent

FILTER_NAMES = ("status", "intent", "category", "priority", "channel", "queue", "from", "to", "q", "triage", "overdue")


class BadFilter(ValueError):
    def __init__(self, name: str, value: str) -> None:
        super().__init__(f"unknown value {value!r} for {name}")
        self.name = name


def _choice(query: Mapping[str, str], name: str, allowed: object) -> str | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:  # type: ignore[operator]
        raise BadFilter(name, value)
    return value


def _day(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadFilter(name, value) from exc


def parse_filter(query: Mapping[str, str], *, zone: ZoneInfo, today: date) -> QueueFilter:
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
        )
    except ValueError as exc:
        if isinstance(exc, BadFilter):
            raise
        raise BadFilter("q", text or "") from exc
