"""The lifecycle of a case, one explicit state machine per intent (DESIGN.md, "Complaints").

Every move is an action: the statuses it may start from, the status it leads to (or none, for actions that
only add to the timeline), the roles that may take it, the facts it needs, and whether the consumer sees the
event it writes. Nothing else may change a case's status: the queue, the API and the bots all go through
`take`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from lookup.free_text import clean_block, clean_line
from lookup.identifiers import parse_row_id
from lookup.problems import Kind, Problem


class Intent(StrEnum):
    complaint = "complaint"  # 投诉
    report = "report"  # 举报
    inquiry = "inquiry"  # 咨询
    feedback = "feedback"  # 建议/表扬


class CaseStatus(StrEnum):
    received = "received"
    with_merchant = "with_merchant"  # 商家协商中 (ODR): not yet the station's, no regulator's deadline runs
    accepted = "accepted"  # 受理
    declined = "declined"  # 不予受理
    transferred = "transferred"  # 移送有管辖权的部门
    mediating = "mediating"  # 调解中
    resolved = "resolved"  # 调解成功
    mediation_failed = "mediation_failed"  # 终止调解
    verifying = "verifying"  # 核查
    case_opened = "case_opened"  # 立案
    no_case = "no_case"  # 不予立案
    answered = "answered"
    acknowledged = "acknowledged"
    closed = "closed"


class Role(StrEnum):
    handler = "handler"
    supervisor = "supervisor"
    admin = "admin"
    system = "system"  # the service itself: automatic answers and acknowledgements


class DeclineGround(StrEnum):
    """The statutory grounds for not accepting a complaint (Order No. 20, art. 15; kept by Order No. 121)."""

    no_jurisdiction = "no_jurisdiction"  # 不属于市场监管部门职责或本部门不具有管辖权
    handled_elsewhere = "handled_elsewhere"  # 法院、仲裁机构、其他行政机关等已经受理或处理
    not_consumption = "not_consumption"  # 不是为生活消费需要购买、使用商品或接受服务
    over_three_years = "over_three_years"  # 超过三年
    missing_facts = "missing_facts"  # 未提供必要信息（姓名、电话、经营者、诉求、事实）
    other = "other"


STAFF = frozenset({Role.handler, Role.supervisor})
SYSTEM = frozenset({Role.system})
NOTE = "note"
GROUND = "ground"
STATION = "station_id"
OUTCOME = "outcome"
MESSAGE = "message"
MESSAGE_EN = "message_en"  # an English version of a reply, where the service wrote one
REFUND_YUAN = "refund_yuan"  # money recovered for the consumer by a mediation
_KEEPS_LINES = frozenset({MESSAGE, MESSAGE_EN, NOTE})
MAX_REFUND_YUAN = 10**9
_AMOUNT = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[CaseStatus]  # empty: allowed from any status that is not closed
    target: CaseStatus | None
    roles: frozenset[Role] = STAFF
    needs: tuple[str, ...] = ()
    public: bool = True  # the consumer sees the event (and is notified of it)
    optional: tuple[str, ...] = ()  # facts kept on the event when given
    when: str = ""  # a condition on the case's history besides its status (see `History.allows`)


@dataclass(frozen=True)
class History:
    """What a case's timeline says that its status does not: testing under way, a verification already extended."""

    paused: bool = False  # sent for testing and not yet resumed
    extended: bool = False  # the verification deadline was extended (it may be, once)

    @classmethod
    def of(cls, actions: Iterable[str]) -> History:
        """The history after these actions, oldest first."""
        paused = extended = False
        for action in actions:
            if action == "pause_for_testing":
                paused = True
            elif action == "resume":
                paused = False
            elif action == "extend_verification":
                extended = True
        return cls(paused=paused, extended=extended)

    def allows(self, condition: str) -> bool:
        return {
            "": True,
            "paused": self.paused,
            "not_paused": not self.paused,
            "not_extended": not self.extended,
        }[condition]


def _action(
    name: str,
    sources: set[CaseStatus],
    target: CaseStatus | None,
    *,
    roles: frozenset[Role] = STAFF,
    needs: tuple[str, ...] = (),
    public: bool = True,
    optional: tuple[str, ...] = (),
    when: str = "",
) -> Action:
    return Action(name, frozenset(sources), target, roles, needs, public, optional, when)


S = CaseStatus
_ENDED = {
    S.declined,
    S.transferred,
    S.resolved,
    S.mediation_failed,
    S.case_opened,
    S.no_case,
    S.answered,
    S.acknowledged,
}

# Actions every intent has: they add to the timeline without moving the case.
_COMMON = (
    _action("reply", set(), None, needs=(MESSAGE,), optional=(MESSAGE_EN,)),
    _action("note", set(), None, needs=(NOTE,), public=False),
    _action("assign", set(), None, needs=("assignee",), public=False),
    # The intent decides the whole lifecycle: it can change only before the case has started on one.
    _action("reclassify", {S.received}, None, needs=("intent", "category"), public=False),
    # Moves the case to another station's queue inside the service (triage of the intake queues, a misrouted
    # case); `transfer` hands it to a body outside the service (named in the note) and ends it here.
    _action("reroute", set(), None, needs=(STATION,), public=False, optional=(NOTE,)),
    _action("close", _ENDED, S.closed),
)

WORKFLOWS: dict[Intent, dict[str, Action]] = {
    Intent.complaint: {
        a.name: a
        for a in (
            _action("accept", {S.received}, S.accepted),
            _action("decline", {S.received}, S.declined, needs=(GROUND, NOTE)),
            _action("transfer", {S.received, S.accepted}, S.transferred, needs=(NOTE,), optional=(STATION,)),
            _action("start_mediation", {S.accepted}, S.mediating),
            # Testing or verifying the instrument does not count against the mediation deadline.
            _action("pause_for_testing", {S.mediating}, None, needs=(NOTE,), when="not_paused"),
            _action("resume", {S.mediating}, None, when="paused"),
            # The agreement's words (MESSAGE) and the money recovered are told to the consumer; the note is not.
            _action(
                "resolve",
                {S.mediating},
                S.resolved,
                needs=(OUTCOME,),
                optional=(REFUND_YUAN, MESSAGE, MESSAGE_EN, NOTE),
            ),
            _action("end_mediation", {S.mediating}, S.mediation_failed, needs=(NOTE,)),
            # ODR (complaints/odr): with the consumer's consent the merchant settles first; the service records each
            # step. Settled: resolved as settled by the merchant; refused or out of time: handed over to the station.
            _action("odr_start", {S.received}, S.with_merchant, roles=SYSTEM, needs=("due_on",)),
            _action("odr_propose", {S.with_merchant}, None, roles=SYSTEM, needs=(MESSAGE,), optional=(REFUND_YUAN,)),
            _action("odr_settle", {S.with_merchant}, S.resolved, roles=SYSTEM, optional=(MESSAGE, REFUND_YUAN)),
            _action("odr_hand_over", {S.with_merchant}, S.received, roles=SYSTEM, needs=("reason",)),
            *_COMMON,
        )
    },
    Intent.report: {
        a.name: a
        for a in (
            _action("start_verification", {S.received}, S.verifying),
            _action("transfer", {S.received, S.verifying}, S.transferred, needs=(NOTE,), optional=(STATION,)),
            _action("extend_verification", {S.verifying}, None, needs=(NOTE,), public=False, when="not_extended"),
            _action("open_case", {S.verifying}, S.case_opened),
            _action("no_case", {S.verifying}, S.no_case, needs=(NOTE,)),
            *_COMMON,
        )
    },
    Intent.inquiry: {
        a.name: a
        for a in (
            _action(
                "answer",
                {S.received},
                S.answered,
                roles=STAFF | {Role.system},
                needs=(MESSAGE,),
                optional=(MESSAGE_EN,),
            ),
            _action("transfer", {S.received}, S.transferred, needs=(NOTE,), optional=(STATION,)),
            *_COMMON,
        )
    },
    Intent.feedback: {
        a.name: a
        for a in (
            _action("acknowledge", {S.received}, S.acknowledged, roles=STAFF | {Role.system}),
            *_COMMON,
        )
    },
}


# How a refusal names the history that stood in the way.
_HISTORY_ZH = {"paused": "且未暂停检测", "not_paused": "且正在检测", "not_extended": "且已延期过一次"}
_HISTORY_EN = {
    "paused": " and not paused for testing",
    "not_paused": " and paused for testing",
    "not_extended": " and already extended once",
}


# The step a handler is expected to take next, per intent: the first of these the case allows.
_EXPECTED: dict[Intent, tuple[str, ...]] = {
    Intent.complaint: ("accept", "start_mediation", "resume", "resolve", "close"),
    Intent.report: ("start_verification", "open_case", "close"),
    Intent.inquiry: ("answer", "close"),
    Intent.feedback: ("acknowledge", "close"),
}


def expected_action(intent: Intent, allowed: list[str]) -> str | None:
    """Of the `allowed` actions, the one the case is waiting for (after 受理, 开始调解); None when none is."""
    return next((name for name in _EXPECTED[intent] if name in allowed), None)


class WorkflowError(Problem):
    """An action the workflow does not allow; `code` is stable for APIs, the messages are for people. Usually
    the action is incomplete or unknown (unprocessable); ``not_now`` conflicts with the case's status, and
    ``forbidden`` is not for this role."""

    kind = Kind.unprocessable


@dataclass(frozen=True)
class Step:
    """What taking an action does: the status afterwards and the timeline event to append."""

    action: str
    status: CaseStatus
    status_changed: bool
    public: bool
    facts: dict[str, object] = field(default_factory=dict)
    told: bool = False  # a notice to the consumer was queued (set once the step is stored)


def _applies(action: Action, status: CaseStatus, history: History) -> bool:
    if action.sources and status not in action.sources:
        return False
    if not action.sources and status is CaseStatus.closed:
        return False
    return history.allows(action.when)


def allowed_actions(intent: Intent, status: CaseStatus, role: Role, history: History = History()) -> list[str]:
    """The actions `role` may take on a case in `status` with this `history`, in the workflow's order."""
    return [
        name for name, action in WORKFLOWS[intent].items() if role in action.roles and _applies(action, status, history)
    ]


def take(
    intent: Intent,
    status: CaseStatus,
    action_name: str,
    role: Role,
    facts: Mapping[str, object],
    history: History = History(),
) -> Step:
    action = WORKFLOWS[intent].get(action_name)
    if action is None:
        raise WorkflowError(
            "unknown_action",
            f"{intent.value} 没有 {action_name!r} 这个操作。",
            f"a {intent.value} has no action {action_name!r}",
        )
    if role not in action.roles:
        raise WorkflowError(
            "forbidden",
            f"{role.value} 不能对 {intent.value} 执行 {action_name}。",
            f"a {role.value} may not {action_name} a {intent.value}",
            kind=Kind.refused,
        )
    if not _applies(action, status, history):
        raise WorkflowError(
            "not_now",
            f"案件现在是 {status.value}{_HISTORY_ZH.get(action.when, '')}，不能执行 {action_name}。",
            f"cannot {action_name} a {intent.value} that is {status.value}{_HISTORY_EN.get(action.when, '')}",
            kind=Kind.conflict,
        )
    missing = [need for need in action.needs if not _present(facts.get(need))]
    if missing:
        raise WorkflowError(
            "missing", f"{action_name} 还需要：{'、'.join(missing)}。", f"{action_name} needs: {', '.join(missing)}"
        )
    if GROUND in action.needs and facts[GROUND] not in DeclineGround.__members__:
        grounds = ", ".join(DeclineGround.__members__)
        raise WorkflowError(
            "bad_ground",
            f"{facts[GROUND]!r} 不是法定的不予受理理由（{grounds}）。",
            f"{facts[GROUND]!r} is not a statutory ground ({grounds})",
        )
    target = action.target or status
    return Step(
        action=action_name,
        status=target,
        status_changed=target is not status,
        public=action.public,
        facts={name: facts[name] for name in (*action.needs, *action.optional) if _present(facts.get(name))},
    )


def _present(value: object) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


def clean_facts(raw: Mapping[str, object]) -> dict[str, object]:
    """An action's facts as a handler sent them (form or API), held to the rules every input follows.

    Text by the one rule for free text (a reply or a note keeps its lines, any other fact is one line); the
    station an id within the database's range, else None (which the action refuses as no such station); a refund
    a finite amount from 0 to :data:`MAX_REFUND_YUAN`, else None (not counted). Other values are kept as sent.
    """
    facts = {
        name: (clean_block(value) if name in _KEEPS_LINES else clean_line(value)) if isinstance(value, str) else value
        for name, value in raw.items()
    }
    if STATION in facts:
        facts[STATION] = parse_row_id(facts[STATION])
    if REFUND_YUAN in facts:
        facts[REFUND_YUAN] = _amount(facts[REFUND_YUAN])
    return facts


def _amount(value: object) -> float | None:
    if isinstance(value, str) and _AMOUNT.fullmatch(value):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) if 0 <= value <= MAX_REFUND_YUAN else None
    return None
