"""What intake tells the consumer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from complaints.answers import Answer
from complaints.models import Priority, Queue
from complaints.workflow import CaseStatus, Intent


@dataclass(frozen=True)
class Receipt:
    """What the consumer is told: enough to follow the case, nothing about anyone else."""

    complaint_id: int
    ref: str
    token: str
    intent: Intent
    category: str
    confidence: float
    needs_triage: bool
    queue: Queue
    station: str | None
    status: CaseStatus
    priority: Priority
    deadline: date | None
    deadline_approximate: bool
    missing: tuple[str, ...]
    duplicate: bool = False
    answer: Answer | None = None
    linked_ref: str | None = None
