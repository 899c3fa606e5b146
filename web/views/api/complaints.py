"""`POST /api/v1/complaints` and `GET /api/v1/complaints/{ref}` (DESIGN.md, "Contracts")."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from complaints.case_view import PublicCase
from complaints.receipt import Receipt
from complaints.submission import (
    Contact,
    Submission,
    SubmissionError,
    clean_channel,
    clean_intent,
    clean_name,
    clean_phone,
    clean_text,
)
from lookup.problems import Kind, Problem
from web.auth.access import public
from web.http.json_body import read_json
from web.keys import INTAKE, SETTINGS
from web.public_cases import find_case, scanned_card


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/complaints", create_complaint)
    app.router.add_get("/api/v1/complaints/{ref}", read_complaint)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def _json_object(request: web.Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise SubmissionError("bad_json", "请求必须是一个 JSON 对象。", "The body must be a JSON object.")
    return data


def _parse_contact(data: dict[str, Any]) -> Contact:
    raw = data.get("contact")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SubmissionError(
            "bad_type", "联系方式必须是对象。", 'contact must be {"name": …, "phone": …}.', field="contact"
        )
    consent = data.get("consent", False)
    if not isinstance(consent, bool):
        raise SubmissionError(
            "bad_type", "consent 必须是 true 或 false。", "consent must be true or false.", field="consent"
        )
    return Contact(name=clean_name(raw.get("name")), phone=clean_phone(raw.get("phone")), consent=consent)


def receipt_json(receipt: Receipt, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ref": receipt.ref,
        "token": receipt.token,
        "intent": receipt.intent.value,
        "category": receipt.category,
        "station": receipt.station,
        "status": receipt.status.value,
        "deadline": receipt.deadline.isoformat() if receipt.deadline else None,
        "deadline_approximate": receipt.deadline_approximate,
        "priority": receipt.priority.value,
        "needs_triage": receipt.needs_triage,
        "missing": list(receipt.missing),
        "duplicate": receipt.duplicate,
        "status_url": f"{base_url}/c/{receipt.ref}?token={receipt.token}",
    }
    if receipt.answer is not None:
        body["answer"] = {"zh": receipt.answer.chinese, "en": receipt.answer.english}
    return body


@public
async def create_complaint(request: web.Request) -> web.Response:
    """A new case from the JSON body; a SubmissionError says what to fix (malformed: 400; content that cannot be
    taken: 422)."""
    data = await _json_object(request)
    text = clean_text(data.get("text"))
    channel = clean_channel(data.get("channel"))
    contact = _parse_contact(data)
    intent = clean_intent(data.get("intent"))
    code, card = await scanned_card(request, data.get("code"))
    submission = Submission(text=text, channel=channel, code=code, contact=contact, intent=intent)
    receipt = await request.app[INTAKE].submit(submission, card)
    body = receipt_json(receipt, request.app[SETTINGS].public_base_url)
    # A resend joins the case it repeats: nothing new was created.
    status = 200 if receipt.duplicate else 201
    headers = {"Location": f"/api/v1/complaints/{receipt.ref}", "Cache-Control": "no-store"}
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


def case_json(case: PublicCase) -> dict[str, Any]:
    return {
        "ref": case.ref,
        "intent": case.intent.value,
        "category": case.category,
        "status": case.status.value,
        "received_at": case.received_at.isoformat(),
        "station": case.station,
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "deadline_approximate": case.deadline_approximate,
        "missing": list(case.missing),
        "photos": case.photos,
        "outcome": None
        if case.outcome is None
        else {"kind": case.outcome.kind, "refund_yuan": case.outcome.refund_yuan, "words": case.outcome.words},
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "events": [
            {
                "at": event.at.isoformat(),
                "action": event.action,
                "status": event.status.value,
                **({"message": event.message} if event.message else {}),
                **({"message_en": event.message_en} if event.message_en else {}),
            }
            for event in case.events
        ],
    }


@public
async def read_complaint(request: web.Request) -> web.Response:
    case = await find_case(request)
    if case is None:
        raise Problem(
            "not_found",
            "找不到这个编号，或链接中的令牌不对。请使用提交后收到的完整链接。",
            "No case with this reference, or the token is wrong. Use the full link you were given.",
            field="ref",
            kind=Kind.not_found,
        )
    return web.json_response(case_json(case), headers={"Cache-Control": "no-store"}, dumps=_dumps)
