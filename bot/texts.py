"""How the bots put things into words: an instrument's card, a case's status, a summary, a receipt, a notice.

Every word comes from the bot's catalogue (:mod:`bot.catalogue`); these functions only arrange them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.catalogue import BotCatalogue
from bot.conversation import Button, Draft, Reply, Step
from complaints.case_view import PublicCase, yuan
from complaints.receipt import Receipt
from complaints.workflow import MESSAGE, MESSAGE_EN, OUTCOME, REFUND_YUAN, CaseStatus, Intent
from lookup.scan import InstrumentCard
from lookup.status import PRESENTATION
from qr.codes import format_code

PREVIEW_CHARS = 120


def card_text(card: InstrumentCard, t: BotCatalogue, today: date) -> str:
    status = card.status(today)
    record = card.last_verification
    until = record.valid_until.isoformat() if record is not None else ""
    lines = [
        t(
            "card",
            kind=t(f"kind.{card.kind.value}"),
            merchant=card.merchant_name,
            stall=t("card.stall", stall=card.stall) if card.stall else "",
            market=t("card.market", market=card.market_name) if card.market_name else "",
            status=t(f"instrument_status.{status.value}"),
            detail=t(f"instrument_status.{status.value}.detail", date=until),
        )
    ]
    if card.fair_scale_location:
        lines.append(t("card.fair_scale", location=card.fair_scale_location))
    if not PRESENTATION[status].trustworthy:
        lines.append(t("card.untrusted"))
    return "\n".join(lines)


def card_reply(card: InstrumentCard, t: BotCatalogue, today: date) -> Reply:
    # The label is also what a shopper without buttons (WeChat) types: "投诉 7K3MQ-9XR4P" starts the same way.
    complain = Button(t("button.complain", code=format_code(card.code)), data=f"/start {card.code}")
    return Reply(f"{format_code(card.code)}\n{card_text(card, t, today)}", ((complain,),))


def case_reply(case: PublicCase, t: BotCatalogue, status_url: str) -> Reply:
    lines = [t("case.status", ref=case.ref, status=t(f"case_status.{case.status.value}"))]
    if case.station:
        lines.append(t("case.station", station=case.station))
    if case.deadline is not None and case.status.value in {"received", "verifying"}:
        lines.append(t("case.deadline", date=case.deadline.isoformat()))
    if case.outcome is not None:
        lines.append(outcome_line(case.outcome.kind, case.outcome.refund_yuan, t))
    said = [event for event in case.events if event.message]
    if said:
        last = said[-1]
        message = last.message_en if t.language == "en" and last.message_en else last.message
        lines.append(t("case.last", message=message))
    if case.satisfaction is not None:
        lines.append(t("case.rated", rating=case.satisfaction))
    return Reply("\n".join(lines), ((Button(t("button.status_page"), url=status_url),),))


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def mask_phone(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else phone


def understood_reply(draft: Draft, t: BotCatalogue, *, changed: bool = False, taken: tuple[str, ...] = ()) -> Reply:
    """What the service made of the shopper's words, with the facts taken from them (so a wrong one shows); a
    report is told it may stay anonymous."""
    key = "understood.changed" if changed else "understood"
    text = t(key, intent=t(f"intent.{draft.intent}"), category=t(f"category.{draft.category}"))
    if taken:
        text += "\n" + facts_line(draft, t, taken)
    if draft.intent == Intent.report.value:
        text += "\n" + t("report.anonymous")
    return Reply(text)


def facts_line(draft: Draft, t: BotCatalogue, taken: tuple[str, ...]) -> str:
    """「已从您的话里记下：地点 …；时间 …」: the facts just taken from the shopper's words, so a wrong one shows."""
    facts = t("understood.separator").join(
        t(f"understood.{name}", value=format_code(draft.code or "") if name == "code" else getattr(draft, name))
        for name in taken
    )
    return t("understood.facts", facts=facts)


def summary_reply(draft: Draft, t: BotCatalogue, card: InstrumentCard | None) -> Reply:
    unknown = t("summary.unknown")
    lines = [t("summary.account", text=preview(draft.account))]
    # 投诉 or 举报, whether the shopper chose it or their words settled it: what is sent, and what it needs
    if (intent := draft.chosen or draft.intent) in {"complaint", "report"}:
        lines.append(t("summary.intent", intent=t(f"button.intent.{intent}")))
    if card is not None:
        lines.append(t("summary.instrument", kind=t(f"kind.{card.kind.value}"), merchant=card.merchant_name))
    if card is None or draft.place:  # a place told beside the instrument (or corrected) is shown too
        lines.append(t("summary.place", place=draft.place or unknown))
    lines.append(t("summary.when", when=draft.when or unknown))
    if draft.amounts:
        lines.append(t("summary.amounts", amounts=draft.amounts))
    if draft.photos:
        lines.append(t("summary.photos", count=len(draft.photos)))
    if draft.intent == Intent.complaint.value or draft.name or draft.phone:  # a report with a name given: shown
        refused = t("summary.refused")
        name = draft.name or (refused if "name" in draft.refused else unknown)
        lines.append(t("summary.name", name=name))
        phone = mask_phone(draft.phone) if draft.phone else (refused if "phone" in draft.refused else unknown)
        lines.append(t("summary.phone", phone=phone))
        if draft.odr is not None and draft.odr_days:
            lines.append(t("summary.settle.yes" if draft.odr else "summary.settle.no", days=draft.odr_days))
    buttons = (
        (
            Button(t("button.submit"), data="submit"),
            Button(t("button.change"), data="change"),
            Button(t("button.cancel"), data="cancel"),
        ),
    )
    return Reply(t("summary", lines="\n".join(lines)), buttons)


def prompt(step: Step, draft: Draft, t: BotCatalogue, *, max_photos: int) -> Reply | None:
    """The question a step asks, with the buttons that answer it; None for a step that asks nothing."""
    skip = (Button(t("button.skip"), data="skip"),)
    done = (Button(t("button.done"), data="done"),)
    if step is Step.confirm:
        return summary_reply(draft, t, None)
    if step is Step.fix:
        rows = (
            (Step.account, Step.choose, Step.where, Step.when),
            (Step.amounts, Step.photos, Step.name, Step.phone),
            (Step.settle,) if draft.odr_days else (),
        )
        buttons = tuple(tuple(Button(t(f"fix.{f.value}"), data=f"fix:{f.value}") for f in row) for row in rows if row)
        return Reply(t("fix.ask"), buttons)
    prompts = {
        Step.account: Reply(t("fix.account.ask" if draft.texts else "greet"), (done,)),
        Step.choose: choice_reply(t, draft),
        Step.where: _where_prompt(draft, t),
        Step.when: Reply(t("ask.when"), (skip,)),
        Step.amounts: Reply(t(_for(t, "ask.amounts", draft)), (skip,)),
        Step.photos: Reply(
            t(_for(t, "ask.photos", draft), limit=max_photos), ((Button(t("button.no_photos"), data="skip"),),)
        ),
        Step.name: Reply(t("ask.name"), (skip,)),
        Step.phone: Reply(t("ask.phone"), (skip,)),
        Step.settle: settle_offer(draft.odr_days, t),
    }
    return prompts.get(step)


def _where_prompt(draft: Draft, t: BotCatalogue) -> Reply:
    """Where, and, after a question about an instrument (``Draft.asked_about``), whether it was that one."""
    dont_know = Button(t("button.dont_know"), data="skip")
    if draft.asked_about and not draft.code:
        same = Button(t("button.same_instrument"), data="same")
        asked = t("ask.where.same", code=format_code(draft.asked_about))
        return Reply(asked + "\n" + t(_for(t, "ask.where", draft)), ((same, dont_know),))
    return Reply(t(_for(t, "ask.where", draft)), ((dont_know,),))


def _for(t: BotCatalogue, key: str, draft: Draft) -> str:
    """The question's wording for the kind of instrument the story is about, where it has its own (a household
    meter is no shop's stall, a fuel pump shows no scale's reading), else the general one."""
    specific = f"{key}.{draft.category}"
    return specific if draft.category and specific in t else key


def settle_offer(days: int, t: BotCatalogue) -> Reply:
    """May the ODR merchant settle first: two buttons, whose labels are words the dialogue also takes typed."""
    buttons = ((Button(t("button.settle.yes"), data="settle:yes"), Button(t("button.settle.no"), data="settle:no")),)
    return Reply(t("ask.settle", days=days), buttons)


def choice_reply(t: BotCatalogue, draft: Draft | None = None) -> Reply:
    """投诉 or 举报, each in a line of what it means and needs (a household meter's other party is its utility, not
    a merchant); buttons, or (WeChat) a reply of 1 or 2."""
    buttons = ((Button(t("button.intent.complaint"), data="intent:complaint"),
                Button(t("button.intent.report"), data="intent:report")),)  # fmt: skip
    return Reply(t(_for(t, "ask.intent", draft) if draft is not None else "ask.intent"), buttons)


def receipt_reply(receipt: Receipt, t: BotCatalogue, status_url: str) -> Reply:
    lines = [t("submitted", ref=receipt.ref)]
    if receipt.duplicate:
        lines.append(t("submitted.duplicate"))
    if receipt.intent is Intent.feedback:  # praise or an opinion: thanked, and nothing is handled to hear about
        thanks = t("submitted.thanks", station=receipt.station) if receipt.station else t("submitted.thanks.nowhere")
        return Reply("\n".join([*lines, thanks]), ((Button(t("button.status_page"), url=status_url),),))
    if receipt.station:
        lines.append(t("submitted.station", station=receipt.station))
    elif receipt.intent in {Intent.complaint, Intent.report}:
        lines.append(t("submitted.triage"))
    if receipt.status is CaseStatus.with_merchant and receipt.deadline is not None:  # no station's deadline runs
        lines.append(t("submitted.with_merchant", date=receipt.deadline.isoformat()))
    elif receipt.deadline is not None and receipt.intent is Intent.complaint:
        lines.append(t("submitted.deadline", date=receipt.deadline.isoformat()))
    elif receipt.deadline is not None and receipt.intent is Intent.report:
        lines.append(t("submitted.deadline.report", date=receipt.deadline.isoformat()))
    if receipt.linked_ref:
        lines.append(t("submitted.linked", ref=receipt.linked_ref))
    if receipt.missing:
        lines.append(t("submitted.missing", facts="、".join(t(f"fact.{fact}") for fact in receipt.missing)))
    if receipt.answer is not None:
        lines.append(receipt.answer.english if t.language == "en" else receipt.answer.chinese)
    lines.append(t("submitted.follow", ref=receipt.ref))
    return Reply("\n".join(lines), ((Button(t("button.status_page"), url=status_url),),))


def notice_reply(kind: str, payload: Mapping[str, Any], t: BotCatalogue, status_url: str) -> Reply:
    """A case's public event as the shopper reads it in the chat (the outbox senders of both channels)."""
    ref = str(payload.get("ref", ""))
    if kind == "decline":
        ground = f"ground.{payload.get('ground', 'other')}"
        lines = [t("notice.decline", ref=ref, ground=t(ground if ground in t else "ground.other"))]
    elif f"notice.{kind}" in t:
        lines = [t(f"notice.{kind}", ref=ref)]
    else:
        status = str(payload.get("status", ""))
        known = f"case_status.{status}" in t
        lines = [t("notice.other", ref=ref, status=t(f"case_status.{status}") if known else status)]
    if kind == "resolve" and payload.get(OUTCOME):
        lines.append(outcome_line(str(payload[OUTCOME]), payload.get(REFUND_YUAN), t))
    message = payload.get(MESSAGE_EN) if t.language == "en" and payload.get(MESSAGE_EN) else payload.get(MESSAGE)
    if message:
        lines.append(str(message) if kind == "reply" else t("notice.message", message=message))
    answer = payload.get("answer_en") if t.language == "en" else payload.get("answer")
    if answer:
        lines.append(str(answer))
    buttons: tuple[tuple[Button, ...], ...] = ((Button(t("button.status_page"), url=status_url),),)
    if kind == "close":
        lines.append(t("rate.ask"))
        buttons = (tuple(Button(str(n), data=f"rate:{ref}:{n}") for n in range(1, 6)), *buttons)
    return Reply("\n".join(lines), buttons)


def outcome_line(kind: str, refund_yuan: object, t: BotCatalogue) -> str:
    """「调解结果：退款/赔偿，为您挽回 14 元」: what a mediation agreed, in one line."""
    outcome = t(f"outcome.{kind}" if f"outcome.{kind}" in t else "outcome.other")
    amount = yuan(refund_yuan)
    if amount is not None:
        return t("notice.outcome.refund", outcome=outcome, yuan=f"{amount:g}")
    return t("notice.outcome", outcome=outcome)


def submission_text(draft: Draft) -> str:
    """The case's text: the shopper's words, then the answers, labelled for the handler (who reads Chinese)."""
    lines = [draft.account]
    position = draft.position if draft.position != draft.place else ""
    for label, value in (
        ("地点", draft.place),
        ("发送的位置", position),
        ("时间", draft.when),
        ("金额和分量", draft.amounts),
    ):
        if value:
            lines.append(f"{label}：{value}")
    return "\n".join(lines)
