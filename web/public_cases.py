"""What the shopper's pages and the public JSON API share: the instrument a message was sent from, a case found by
its reference and the token of its status link, and the status page's context with its rating form."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from complaints.case_view import PublicCase, public_case
from complaints.odr import cases as odr_cases
from complaints.personal_data.erasure import ErasureOutcome, held_for_token
from complaints.submission import SubmissionError
from lookup.identifiers import parse_reference
from lookup.scan import InstrumentCard
from qr.codes import normalise_code
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES, SCAN_READER, SETTINGS


async def scanned_card(request: web.Request, raw: object) -> tuple[str | None, InstrumentCard | None]:
    """The instrument a message was sent from; raises SubmissionError for a code that names none."""
    if raw is None or raw == "":
        return None, None
    if not isinstance(raw, str):
        raise SubmissionError("bad_type", "器具码必须是文字。", "code must be a string.", field="code")
    code = normalise_code(raw)
    card = await request.app[SCAN_READER].card(code) if code is not None else None
    if code is None or card is None:
        catalogues = request.app[PAGES].catalogues
        # A code that fails its check was mistyped: only a well-formed unknown code may be a forged sticker.
        key = "unknown.warning" if code is not None else "typed.api_malformed"
        raise SubmissionError(
            "unknown_code",
            catalogues["zh"](key) + " 可以不填器具码再提交。",
            catalogues["en"](key) + " You can submit without the code.",
            field="code",
        )
    return code, card


async def find_case(request: web.Request) -> PublicCase | None:
    """The case of the path's `{ref}` if the query's `token` is its status link's; None for either wrong."""
    ref, token = parse_reference(request.match_info["ref"]), request.query.get("token", "")
    if ref is None or not token or len(token) > 64:
        return None
    async with request.app[ENGINE].connect() as connection:
        return await public_case(connection, ref, token)


def lang_suffix(request: web.Request) -> str:
    choice = request_language(request)
    return f"&lang={choice.language}" if choice.explicit else ""


def rating_context(
    request: web.Request,
    ref: str,
    satisfaction: int | None,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What `rating_form.html` needs besides `case`; the status page adds it to its own context."""
    token = quote(request.query.get("token", ""), safe="")
    return {
        "satisfaction": satisfaction,
        "rate_url": f"/c/{ref}/rate?token={token}{lang_suffix(request)}",
        "rating_error": error,
        "rating_values": values or {},
    }


def case_page_context(request: web.Request, case: PublicCase) -> dict[str, Any]:
    """The status page's own context, besides :func:`rating_context`."""
    settings = request.app[SETTINGS]
    return {
        "case": case,
        "choice": request_language(request),
        "zone": settings.zone,
        "today": request.app[CLOCK]().date(),
        "status_url": f"{settings.public_base_url}/c/{case.ref}?token={request.query.get('token', '')}",
        "contact_url": f"/c/{case.ref}/contact?token={quote(request.query.get('token', ''), safe='')}"
        f"{lang_suffix(request)}",
        "contact_error": None,
        "contact_values": {},
    }


async def personal_data_context(request: web.Request, ref: str) -> dict[str, Any]:
    """What `personal_data.html` needs: what is held for the case (masked), where to ask for its removal, and the
    answer to a request just made (named in the query by the redirect after it)."""
    token = request.query.get("token", "")
    async with request.app[ENGINE].connect() as connection:
        held = await held_for_token(connection, ref, token, request.app[SETTINGS].retention)
    answer = request.query.get("erasure")
    return {
        "held": held,
        "erasure_url": f"/c/{ref}/erasure?token={quote(token, safe='')}{lang_suffix(request)}",
        "erasure_answer": answer if answer in ErasureOutcome.__members__ else None,
    }


async def odr_context(request: web.Request, ref: str) -> dict[str, Any]:
    """What `case_odr.html` needs: the case's settlement with the merchant, if it went to one, and where to answer."""
    async with request.app[ENGINE].connect() as connection:
        odr = await odr_cases.of_ref(connection, ref)
    token = quote(request.query.get("token", ""), safe="")
    return {"odr": odr, "odr_url": f"/c/{ref}/odr?token={token}{lang_suffix(request)}"}
