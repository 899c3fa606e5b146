"""ODR on the public side: the merchant applies to take part and proposes settlements on their page
(/merchant-link/{token}/odr/…), and the consumer accepts or refuses a proposal on the status page
(/c/{ref}/odr?token=…). Each answers with a redirect to the page it came from, or that page again with what to fix.
"""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from aiohttp import web

from complaints.case_view import public_case
from complaints.odr import cases as odr_cases
from complaints.odr import enrolment
from complaints.odr.cases import OdrError
from lookup.identifiers import parse_reference
from web.auth.access import public
from web.casework import deadline_rules
from web.db import for_writing
from web.errors import status_of
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES
from web.public_cases import lang_suffix
from web.views.public import merchant_link

MAX_TOKEN_CHARS = 64


def add_routes(app: web.Application) -> None:
    app.router.add_post("/merchant-link/{token}/odr/apply", apply_for_odr)
    app.router.add_post("/merchant-link/{token}/odr/{case_id:[0-9]{1,12}}/propose", propose_settlement)
    app.router.add_post("/c/{ref}/odr", answer_settlement)


@public
async def apply_for_odr(request: web.Request) -> web.Response:
    opened = await merchant_link.open_link(request, "odr_apply")
    if isinstance(opened, web.Response):
        return opened
    async with for_writing(request.app[ENGINE]).begin() as connection:
        known = await enrolment.enrolment(connection, opened.merchant_id)
        if known is None or not known.taking_part:
            await enrolment.apply(connection, opened.merchant_id, now=request.app[CLOCK]())
    raise web.HTTPSeeOther(location=f"/merchant-link/{opened.token}#odr")


@public
async def propose_settlement(request: web.Request) -> web.Response:
    opened = await merchant_link.open_link(request, "odr_propose")
    if isinstance(opened, web.Response):
        return opened
    posted = await request.post()
    case_id = int(request.match_info["case_id"])
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await odr_cases.propose(
                connection, opened.merchant_id, case_id, posted.get("proposal"), posted.get("refund"),
                now=request.app[CLOCK](),
            )  # fmt: skip
    except OdrError as error:
        english = request_language(request).language == "en"
        values = {"proposal": str(posted.get("proposal", ""))[:1000], "refund": str(posted.get("refund", ""))[:20]}
        return await merchant_link.home(
            request, opened, status=status_of(error), odr_error=error.english if english else error.chinese,
            odr_values=values, odr_case=case_id,
        )  # fmt: skip
    raise web.HTTPSeeOther(location=f"/merchant-link/{opened.token}#odr")


def _not_found(request: web.Request) -> web.Response:
    choice = request_language(request)
    body = request.app[PAGES].render("case_not_found.html", choice.language, choice=choice)
    return web.Response(text=body, content_type="text/html", status=404, headers={"Cache-Control": "no-store"})


@public
async def answer_settlement(request: web.Request) -> web.Response:
    """The consumer's answer to the merchant's proposal: accept (settled) or refuse (to the station)."""
    ref, token = parse_reference(request.match_info["ref"]), request.query.get("token", "")
    if ref is None or not token or len(token) > MAX_TOKEN_CHARS:
        return _not_found(request)
    posted = await request.post()
    decision = posted.get("decision")
    async with request.app[ENGINE].connect() as connection:
        case = await public_case(connection, ref, token)
        view = await odr_cases.of_ref(connection, ref) if case is not None else None
    if case is None or view is None:
        return _not_found(request)
    if decision not in ("accept", "refuse"):
        raise web.HTTPBadRequest(text="decision must be accept or refuse")
    rules = await deadline_rules(request)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        # Already answered, or out of time: the status page says where the case is now.
        with contextlib.suppress(OdrError):
            await odr_cases.answer(
                connection, view.complaint_id, accept=decision == "accept", now=request.app[CLOCK](), rules=rules
            )
    raise web.HTTPSeeOther(location=f"/c/{ref}?token={quote(token, safe='')}{lang_suffix(request)}#odr")
