"""A volunteer's visit to a merchant (群众计量监督员): the checklist, and the report a finding becomes.

The volunteer scans the codes of the merchant's instruments (our stickers or any code the resolver reads) and
answers the checklist. Anything found wrong (an item answered "no", a scanned instrument that may not be trusted,
or a code that names no instrument — complaints/programme/code_checks.py) becomes a report in the queue of the
merchant's station, through intake like every other report, with the category the finding points to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import sqlalchemy as sa

from complaints.classify import Classification
from complaints.intake import store
from complaints.models import VolunteerVisit
from complaints.new_case import Prepared
from complaints.programme.code_checks import CodeCheck, store_checks
from complaints.receipt import Receipt
from lookup.models import table_of
from lookup.problems import Problem
from lookup.scan import InstrumentCard
from lookup.status import PRESENTATION

visit_t = table_of(VolunteerVisit)

# The checklist, in the order the form asks it, each with the category a "no" points to.
CHECKS: dict[str, str] = {
    "commitment_posted": "other",  # 诚信计量承诺书公示
    "instruments_verified": "unverified_instrument",  # 计量器具检定合格并在有效期内
    "seals_intact": "tampered_instrument",  # 铅封、签封完好
    "units_and_readings_shown": "measurement_display",  # 使用法定计量单位，读数对顾客可见
    "prices_marked": "price_marking",  # 明码标价
    "fair_scale_available": "other",  # 设有公平秤或复称设施
}
CHECK_LABELS_ZH = {
    "commitment_posted": "未公示诚信计量承诺书",
    "instruments_verified": "计量器具未检定或超过有效期",
    "seals_intact": "铅封或签封不完整",
    "units_and_readings_shown": "未使用法定计量单位或读数不让顾客看到",
    "prices_marked": "未明码标价",
    "fair_scale_available": "未设公平秤",
}
ANSWERS = frozenset({"yes", "no", "n/a"})
# The more serious finding names the report's category when several are found.
_SEVERITY = ("tampered_instrument", "unverified_instrument", "measurement_display", "price_marking", "other")
MAX_NOTES_CHARS = 2000
CLASSIFIER_VERSION = "volunteer-visit"
MAX_SCANNED = 30


class VisitError(Problem, ValueError):
    """A visit form that cannot be recorded as it stands (a bad request); the messages are for the volunteer."""


@dataclass(frozen=True)
class Visit:
    volunteer_id: int
    volunteer_name: str
    merchant_id: int
    merchant_name: str
    station_id: int
    visited_on: date
    checks: Mapping[str, str]
    instruments: Sequence[InstrumentCard]
    notes: str
    code_checks: Sequence[CodeCheck] = field(default=())

    def findings(self) -> list[str]:
        """What was found wrong, in words for the handler (Chinese, as the station reads it)."""
        found = [CHECK_LABELS_ZH[item] for item in CHECKS if self.checks.get(item) == "no"]
        for card in self.instruments:
            status = card.status(self.visited_on)
            if not PRESENTATION[status].trustworthy:
                found.append(f"器具 {card.code}（{card.serial_no}）状态：{status.value}")
        found += [check.finding() for check in self.code_checks if not check.resolved]
        return found

    def category(self) -> str:
        categories = {CHECKS[item] for item in CHECKS if self.checks.get(item) == "no"}
        if any(not PRESENTATION[card.status(self.visited_on)].trustworthy for card in self.instruments):
            categories.add("unverified_instrument")
        if any(not check.resolved for check in self.code_checks):
            categories.add("unverified_instrument")  # a code naming no instrument cannot show it was verified
        return next((category for category in _SEVERITY if category in categories), "other")

    def report_text(self) -> str:
        lines = [f"群众计量监督员走访 {self.merchant_name}（{self.visited_on.isoformat()}）发现："]
        lines += [f"- {finding}" for finding in self.findings()]
        if self.notes:
            lines.append(f"备注：{self.notes}")
        return "\n".join(lines)


def clean_checks(raw: Mapping[str, str]) -> dict[str, str]:
    checks = {item: raw.get(item, "").strip() for item in CHECKS}
    missing = [item for item, answer in checks.items() if answer not in ANSWERS]
    if missing:
        raise VisitError(
            "unanswered",
            "请回答检查表的每一项（是 / 否 / 不适用）。",
            "Please answer every item of the checklist (yes / no / not applicable).",
        )
    return checks


def one_merchant(cards: Sequence[InstrumentCard]) -> InstrumentCard:
    """The first card; a visit is to one merchant, so every scanned instrument must be theirs."""
    if not cards:
        raise VisitError(
            "no_instrument",
            "请至少扫一台器具的贴纸，以确定走访的经营者。",
            "Scan at least one instrument's sticker: it names the merchant visited.",
        )
    if len({card.merchant_id for card in cards}) > 1:
        raise VisitError(
            "two_merchants",
            "扫到的器具属于不同的经营者，一次走访只记录一家。",
            "The instruments scanned belong to different merchants: record one visit per merchant.",
        )
    return cards[0]


def as_report(prepared: Prepared, visit: Visit) -> Prepared:
    """The visit's report as intake stores it: a report, of the finding's category, with no classifier guess."""
    category = visit.category()
    classification = Classification(
        intent="report",
        category=category,
        confidence=1.0,
        intent_confidence=1.0,
        category_confidence=1.0,
        needs_triage=False,
        version=CLASSIFIER_VERSION,
    )
    return replace(prepared, classification=classification)


def record_visit(connection: sa.Connection, visit: Visit, report: Prepared | None, *, now: datetime) -> Receipt | None:
    """Store the visit, and its report when something was found, in the caller's write transaction."""
    receipt = store(connection, prepared=report) if report is not None else None
    inserted = connection.execute(
        sa.insert(visit_t).values(
            volunteer_id=visit.volunteer_id,
            merchant_id=visit.merchant_id,
            station_id=visit.station_id,
            visited_on=visit.visited_on,
            checks=dict(visit.checks),
            instruments=[
                {"code": card.code, "status": card.status(visit.visited_on).value} for card in visit.instruments
            ],
            notes=visit.notes,
            report_id=receipt.complaint_id if receipt is not None else None,
            created_at=now,
        )
    )
    key = inserted.inserted_primary_key
    assert key is not None
    store_checks(connection, int(key[0]), visit.code_checks)
    return receipt
