"""Answers the service can give at once, without a handler (DESIGN.md: inquiries are answered automatically
where the answer is known).

Three questions are known: an instrument's status (when the message came from its sticker), where the market's
fair scale is, and how a complaint is handled. Anything else waits for a person. The words are here rather than
in the web catalogue because they leave the web: the same answer goes out by WeChat, Telegram and SMS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from complaints.deadlines.policy import DeadlinePolicy
from lookup.scan import InstrumentCard
from lookup.vocab import KIND_NAMES_ZH, Status

_STATUS_WORDS: dict[Status, tuple[str, str]] = {
    Status.valid: ("检定合格，在有效期内", "verified and in date"),
    Status.expiring: ("检定合格，但即将到期", "verified, but the verification expires soon"),
    Status.expired: ("检定已过期", "its verification has expired"),
    Status.failed: ("最近一次检定不合格", "it failed its latest verification"),
    Status.unverified: ("没有检定记录", "it has no verification record"),
    Status.no_record: ("不属于强制检定，没有检定记录", "not subject to compulsory verification; no record"),
    Status.suspended: ("已停用", "it has been taken out of use"),
    Status.retired: ("已报废", "it has been retired"),
}
_TRUSTED = {Status.valid, Status.expiring, Status.no_record}

_ASKS_FAIR_SCALE = re.compile(r"公平秤|复秤|复称|復秤|fair\s*scale|re-?weigh", re.IGNORECASE)
_ASKS_PROCESS = re.compile(
    r"流程|多久|几天|多长时间|怎么投诉|如何投诉|怎么处理|怎样投诉|how\s+long|how\s+(do|can)\s+i\s+complain|process",
    re.IGNORECASE,
)
_ASKS_STATUS = re.compile(r"检定|有效期|合格|准不准|准吗|verif|valid|status|accurate", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    chinese: str
    english: str


def automatic_answer(
    text: str, card: InstrumentCard | None, *, on: date, policy: DeadlinePolicy, hotline: str
) -> Answer | None:
    """The answer to an inquiry when the service knows it, else None (a handler answers)."""
    parts: list[Answer] = []
    if card is not None and (_ASKS_STATUS.search(text) or not _ASKS_FAIR_SCALE.search(text)):
        parts.append(_status_answer(card, on, hotline))
    if _ASKS_FAIR_SCALE.search(text):
        fair_scale = _fair_scale_answer(card, hotline)
        if fair_scale is not None:
            parts.append(fair_scale)
    if _ASKS_PROCESS.search(text):
        parts.append(_process_answer(policy))
    if not parts:
        return None
    return Answer("\n".join(part.chinese for part in parts), "\n".join(part.english for part in parts))


def _status_answer(card: InstrumentCard, on: date, hotline: str) -> Answer:
    status = card.status(on)
    chinese, english = _STATUS_WORDS[status]
    last = card.last_verification
    until_zh = f"（有效期至 {last.valid_until:%Y-%m-%d}）" if last is not None and last.passed else ""
    until_en = f" (valid until {last.valid_until:%Y-%m-%d})" if last is not None and last.passed else ""
    zh = f"您扫码的{KIND_NAMES_ZH[card.kind]}（出厂编号 {card.serial_no}，{card.merchant_name}）：{chinese}{until_zh}。"
    kind_en = card.kind.value.replace("_", " ")
    en = f"The {kind_en} you scanned (serial {card.serial_no}, {card.merchant_name}): {english}{until_en}."
    if status not in _TRUSTED:
        zh += f"请不要以它的计量结果为准，可到公平秤复秤，或拨打 {hotline} 投诉举报。"
        en += f" Do not rely on its reading: re-weigh at the fair scale, or call {hotline}."
    return Answer(zh, en)


def _fair_scale_answer(card: InstrumentCard | None, hotline: str) -> Answer | None:
    if card is None or card.market_name is None:
        return None
    if card.fair_scale_location:
        return Answer(
            f"{card.market_name}的公平秤在：{card.fair_scale_location}。复秤免费。",
            f"The fair scale of {card.market_name} is at: {card.fair_scale_location}. Re-weighing is free.",
        )
    return Answer(
        f"{card.market_name}没有登记公平秤的位置，请向市场管理处询问，或拨打 {hotline}。",
        f"{card.market_name} has not registered where its fair scale is; ask the market office or call {hotline}.",
    )


def _process_answer(policy: DeadlinePolicy) -> Answer:
    return Answer(
        f"投诉：市场监管所在收到后 {policy.accept_days} 个工作日内决定是否受理，受理后 {policy.mediate_days} "
        f"个工作日内完成调解。举报：{policy.verify_days} 个工作日内完成核查（可延长 {policy.verify_extension_days} "
        "个工作日），并告知您是否立案。投诉需要留下姓名和电话，举报可以匿名。",
        f"Complaints: the station decides within {policy.accept_days} working days whether to accept, and mediates "
        f"within {policy.mediate_days} working days of accepting. Reports: checked within {policy.verify_days} "
        f"working days (extendable by {policy.verify_extension_days}), and you are told whether a case was opened. "
        "A complaint needs your name and phone number; a report may be anonymous.",
    )
