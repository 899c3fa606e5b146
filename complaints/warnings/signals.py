"""What the nightly early warning compares, read from the database for one day: for every merchant and market,
complaints by category, the share of instruments out of their verification period, and what volunteers and
inspections found — each in the recent window and in the year before it, with the district's figures — tested by
:mod:`complaints.warnings.rules`.

Only a subject with enough in its window to reach a rule's minimum is tested: the others can neither raise a
warning nor keep one open.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Complaint, Inspection, VolunteerVisit
from complaints.warnings.rules import CountRule, ShareRule, Test, count_test, share_test
from complaints.workflow import Intent
from lookup.models import Instrument, Market, Merchant, Verification, table_of
from lookup.rotation import HOUSEHOLD_METERS
from lookup.status import instrument_status
from lookup.vocab import InstrumentState, Status

complaint_t, inspection_t, visit_t = table_of(Complaint), table_of(Inspection), table_of(VolunteerVisit)
instrument_t, verification_t, merchant_t, market_t = (
    table_of(Instrument), table_of(Verification), table_of(Merchant), table_of(Market),
)  # fmt: skip
OUT_OF_PERIOD = frozenset({Status.expired, Status.failed, Status.unverified})
PAST_LOOKS = 12  # month ends of the past year, for an instrument share's own history
MERCHANT, MARKET = "merchant", "market"


@dataclass(frozen=True, slots=True)
class Rules:
    complaints: CountRule = field(default_factory=CountRule)
    findings: CountRule = field(default_factory=lambda: CountRule(window_days=90, min_count=2))
    instruments: ShareRule = field(default_factory=ShareRule)


@dataclass(frozen=True, slots=True)
class Finding:
    subject: str  # merchant | market
    subject_id: int
    signal: str  # complaints | instruments | volunteer_findings | inspection_findings
    category: str  # the complaint category; "" for the other signals
    test: Test
    whole: int | None  # instruments counted, for the share
    evidence: dict[str, Any]


@dataclass
class _Counts:
    """Events by (subject kind, id, category): in the window and in the history before it."""

    recent: dict[tuple[str, int, str], int] = field(default_factory=lambda: defaultdict(int))
    history: dict[tuple[str, int, str], int] = field(default_factory=lambda: defaultdict(int))
    district: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))  # history, all subjects
    refs: dict[tuple[str, int, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, subject: str, subject_id: int | None, category: str, *, recent: bool, ref: str = "") -> None:
        if subject_id is None:
            return
        key = (subject, subject_id, category)
        if recent:
            self.recent[key] += 1
            if ref:
                self.refs[key].append(ref)
        else:
            self.history[key] += 1
            self.district[(subject, category)] += 1


def _bounds(day: date, rule: CountRule, zone: tzinfo) -> tuple[datetime, datetime, datetime]:
    """(history start, window start, window end) as moments: the window is the ``window_days`` up to ``day``."""
    window_start = day - timedelta(days=rule.window_days - 1)
    history_start = window_start - timedelta(days=rule.history_days)

    def moment(on: date) -> datetime:
        return datetime.combine(on, time(), zone)

    return moment(history_start), moment(window_start), moment(day + timedelta(days=1))


async def _subjects(connection: AsyncConnection) -> dict[str, int]:
    merchants = (await connection.execute(sa.select(sa.func.count()).select_from(merchant_t))).scalar_one()
    markets = (await connection.execute(sa.select(sa.func.count()).select_from(market_t))).scalar_one()
    return {MERCHANT: int(merchants), MARKET: int(markets)}


def _tests(
    counts: _Counts, subjects: Mapping[str, int], rule: CountRule, signal: str, evidence: Mapping[str, Any]
) -> list[Finding]:
    found = []
    for (subject, subject_id, category), recent in counts.recent.items():
        if recent < rule.min_count or not subjects.get(subject):
            continue
        per_day = counts.district[(subject, category)] / (subjects[subject] * rule.history_days)
        history = counts.history[(subject, subject_id, category)]
        test = count_test(recent, history=history, district_rate=per_day, rule=rule)
        if test.holds:
            details = {**evidence, "history": history, "district_per_year": round(per_day * 365, 3),
                       "refs": counts.refs[(subject, subject_id, category)][-5:]}  # fmt: skip
            found.append(Finding(subject, subject_id, signal, category, test, None, details))
    return found


async def complaint_findings(
    connection: AsyncConnection, day: date, rule: CountRule, zone: tzinfo, subjects: Mapping[str, int]
) -> list[Finding]:
    """Complaints (and reports not split from a complaint) by category, per merchant and per market."""
    start, window, end = _bounds(day, rule, zone)
    c = complaint_t.c
    one_story = sa.or_(c.intent == Intent.complaint, sa.and_(c.intent == Intent.report, c.linked_id.is_(None)))
    rows = await connection.execute(
        sa.select(c.merchant_id, c.market_id, c.category, c.received_at, c.ref).where(
            c.received_at >= start, c.received_at < end, one_story
        )
    )
    counts = _Counts()
    for merchant_id, market_id, category, received_at, ref in rows:
        recent = received_at >= window
        counts.add(MERCHANT, merchant_id, category, recent=recent, ref=ref)
        counts.add(MARKET, market_id, category, recent=recent, ref=ref)
    evidence = {"window_days": rule.window_days, "history_days": rule.history_days}
    return _tests(counts, subjects, rule, "complaints", evidence)


async def finding_findings(
    connection: AsyncConnection, day: date, rule: CountRule, subjects: Mapping[str, int]
) -> list[Finding]:
    """Volunteers' visits that found something wrong, and inspections that did, per merchant and market."""
    window = day - timedelta(days=rule.window_days - 1)
    start = window - timedelta(days=rule.history_days)
    v, i, m = visit_t.c, inspection_t.c, merchant_t.c
    visits = await connection.execute(
        sa.select(v.merchant_id, m.market_id, v.visited_on, v.checks)
        .join(merchant_t, m.id == v.merchant_id)
        .where(v.visited_on >= start, v.visited_on <= day)
    )
    volunteer = _Counts()
    for merchant_id, market_id, visited_on, checks in visits:
        if "no" in (checks or {}).values():
            volunteer.add(MERCHANT, merchant_id, "", recent=visited_on >= window)
            volunteer.add(MARKET, market_id, "", recent=visited_on >= window)
    found_wrong = sa.or_(i.unverified > 0, i.tampered > 0, i.short_weight_found.is_(True))
    inspections = await connection.execute(
        sa.select(i.merchant_id, m.market_id, i.inspected_on)
        .join(merchant_t, m.id == i.merchant_id)
        .where(i.inspected_on >= start, i.inspected_on <= day, found_wrong)
    )
    inspected = _Counts()
    for merchant_id, market_id, inspected_on in inspections:
        inspected.add(MERCHANT, merchant_id, "", recent=inspected_on >= window)
        inspected.add(MARKET, market_id, "", recent=inspected_on >= window)
    evidence = {"window_days": rule.window_days, "history_days": rule.history_days}
    return [
        *_tests(volunteer, subjects, rule, "volunteer_findings", evidence),
        *_tests(inspected, subjects, rule, "inspection_findings", evidence),
    ]


@dataclass(frozen=True, slots=True)
class _Record:
    performed_on: date
    valid_until: date
    passed: bool


async def _instrument_statuses(
    connection: AsyncConnection, days: list[date]
) -> list[tuple[int, int | None, str, list[bool | None]]]:
    """(merchant, market, code, out of period on each day — None when not in service then) for each compulsory
    instrument that is not a household meter (those are replaced, not re-verified)."""
    records: dict[int, list[_Record]] = defaultdict(list)
    v = verification_t.c
    for instrument_id, performed_on, valid_until, passed in await connection.execute(
        sa.select(v.instrument_id, v.performed_on, v.valid_until, v.passed).order_by(v.performed_on)
    ):
        records[instrument_id].append(_Record(performed_on, valid_until, bool(passed)))
    i, m = instrument_t.c, merchant_t.c
    rows = await connection.execute(
        sa.select(i.id, i.merchant_id, m.market_id, i.code, i.state, i.retired_on)
        .join(merchant_t, m.id == i.merchant_id)
        .where(i.mandatory.is_(True), i.kind.not_in(sorted(HOUSEHOLD_METERS)), i.state != InstrumentState.suspended)
    )
    found = []
    for instrument_id, merchant_id, market_id, code, state, retired_on in rows:
        own = records.get(instrument_id, [])
        dates = [record.performed_on for record in own]
        looks: list[bool | None] = []
        for on in days:
            if state == InstrumentState.retired and (retired_on is None or retired_on <= on):
                looks.append(None)
                continue
            made = bisect.bisect_right(dates, on)
            status = instrument_status(state=InstrumentState.in_use, mandatory=True,
                                       latest_record=own[made - 1] if made else None, on=on)  # fmt: skip
            looks.append(status in OUT_OF_PERIOD)
        found.append((merchant_id, market_id, code, looks))
    return found


async def instrument_findings(connection: AsyncConnection, day: date, rule: ShareRule) -> list[Finding]:
    """The share of each merchant's and market's compulsory instruments out of their verification period today,
    against its own share at the past month ends and the rest of the district's today."""
    days = [day] + [day - timedelta(days=30 * k) for k in range(1, PAST_LOOKS + 1)]
    statuses = await _instrument_statuses(connection, days)
    now_bad = now_total = 0
    tallies: dict[tuple[str, int], list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in days])
    codes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for merchant_id, market_id, code, looks in statuses:
        subjects = [(MERCHANT, merchant_id)] + ([(MARKET, market_id)] if market_id is not None else [])
        for index, out_of_period in enumerate(looks):
            if out_of_period is None:
                continue
            for subject in subjects:
                tallies[subject][index][0] += out_of_period
                tallies[subject][index][1] += 1
                if index == 0 and out_of_period:
                    codes[subject].append(code)
        if looks[0] is not None:
            now_bad, now_total = now_bad + bool(looks[0]), now_total + 1
    found = []
    for (kind, subject_id), per_look in tallies.items():
        now, total = per_look[0]
        if now < rule.min_count:
            continue
        # The district without the subject: a big market's own lapse must not raise the bar it is measured by.
        others = now_total - total
        district = (now_bad - now) / others if others > 0 else 0.0
        own_bad, own_total = sum(b for b, _ in per_look[1:]), sum(t for _, t in per_look[1:])
        test = share_test(now, total, own_bad=own_bad, own_total=own_total, district_share=district, rule=rule)
        if test.holds:
            evidence = {"own_share": round(own_bad / own_total, 4) if own_total else None,
                        "district_share": round(district, 4), "codes": codes[(kind, subject_id)][:10]}  # fmt: skip
            found.append(Finding(kind, subject_id, "instruments", "", test, total, evidence))
    return found


async def all_findings(connection: AsyncConnection, day: date, rules: Rules, zone: tzinfo) -> list[Finding]:
    """Every subject and signal whose rise on ``day`` is significant or keeps an open warning open."""
    subjects = await _subjects(connection)
    found: Iterable[Finding] = (
        *await complaint_findings(connection, day, rules.complaints, zone, subjects),
        *await finding_findings(connection, day, rules.findings, subjects),
        *await instrument_findings(connection, day, rules.instruments),
    )
    return list(found)
