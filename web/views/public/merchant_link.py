"""The merchant's page, reached by their private link (/merchant-link/{token}): no account, the link is the key.

What it shows: their instruments with what to do about each (送检 where and by when), the reminders sent to them,
their monitoring self-check (the existing form, reached from here), their complaints as counts by status, and the
honest-measurement commitment to sign online or withdraw. Every use of the link is logged; a forged link answers
403 and a revoked or expired one 410, each with a page saying what to do, in Chinese and English. The page carries
the merchant's key: never cached, never sent on as a Referer (base.html's meta).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from complaints.merchants import commitment, links, page, reminders
from complaints.merchants.commitment import CommitmentError
from complaints.merchants.links import Link, LinkError
from complaints.odr import cases as odr_cases
from complaints.odr import enrolment
from complaints.programme import monitoring
from lookup.commitment_text import CURRENT_VERSION, TEXTS
from web.auth.access import public
from web.db import for_writing
from web.errors import status_of
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES, SETTINGS

PRIVATE = {"Cache-Control": "no-store"}  # base.html asks for no referrer, as every page does


def add_routes(app: web.Application) -> None:
    app.router.add_get("/merchant-link/{token}", merchant_home)
    app.router.add_post("/merchant-link/{token}/commitment", sign_commitment)
    app.router.add_post("/merchant-link/{token}/commitment/withdraw", withdraw_commitment)


def _html(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    choice = request_language(request)
    body = request.app[PAGES].render(template, choice.language, choice=choice, **context)
    return web.Response(text=body, content_type="text/html", status=status, headers=PRIVATE)


async def open_link(request: web.Request, action: str) -> Link | web.Response:
    """The request's link, its use logged; or the refusal page (403 forged, 410 revoked or expired)."""
    secret, now = request.app[SETTINGS].secret(), request.app[CLOCK]()
    async with for_writing(request.app[ENGINE]).begin() as connection:
        opened = await links.open_link(connection, secret, request.match_info["token"], action=action, now=now)
    if isinstance(opened, Link):
        return opened
    return await _refused(request, opened)


async def _refused(request: web.Request, error: LinkError) -> web.Response:
    station = None
    if error.merchant_id is not None:
        async with request.app[ENGINE].connect() as connection:
            station = await page.identity(connection, error.merchant_id)
    return _html(request, "merchant_link_refused.html", 410 if error.gone else 403, error=error, who=station)


async def home(request: web.Request, link: Link, *, status: int = 200, **extra: Any) -> web.Response:
    settings, now = request.app[SETTINGS], request.app[CLOCK]()
    local_now = now.astimezone(settings.zone)
    today = local_now.date()
    async with request.app[ENGINE].connect() as connection:
        who = await page.identity(connection, link.merchant_id)
        context: dict[str, Any] = {
            "who": who,
            "instruments": await page.instruments(connection, link.merchant_id, today=today),
            "counts": await page.complaint_counts(connection, link.merchant_id, now=local_now),
            "in_force": await commitment.in_force(connection, link.merchant_id, today=today),
            "point": await monitoring.point(connection, link.merchant_id),
            "checks": await monitoring.checks_of(connection, link.merchant_id),
            "sent": await reminders.reminders_of(connection, link.merchant_id),
            # ODR: whether they take part (or applied), and the cases the consumers sent them, with their contact.
            "odr": await enrolment.enrolment(connection, link.merchant_id),
            "odr_cases": await odr_cases.of_merchant(connection, link.merchant_id),
        }
    context["self_check"] = (
        f"/monitoring/{link.merchant_id}/self-check?token={monitoring.point_token(settings.secret(), link.merchant_id)}"
        if context["point"] is not None
        else None
    )
    context |= {
        "text": TEXTS[CURRENT_VERSION],
        "token": link.token,
        "link": link,
        "today": today,
        "zone": settings.zone,
        "odr_days": settings.deadlines.odr_days,
    }
    defaults: dict[str, Any] = {"error": None, "values": {}, "odr_error": None, "odr_values": {}, "odr_case": None}
    return _html(request, "merchant_home.html", status, **(context | defaults | extra))


@public
async def merchant_home(request: web.Request) -> web.Response:
    opened = await open_link(request, "view")
    if isinstance(opened, web.Response):
        return opened
    return await home(request, opened)


@public
async def sign_commitment(request: web.Request) -> web.Response:
    opened = await open_link(request, "sign")
    if isinstance(opened, web.Response):
        return opened
    posted = await request.post()
    english = request_language(request).language == "en"
    settings, now = request.app[SETTINGS], request.app[CLOCK]()
    try:
        signer = commitment.clean_signer(posted.get("signer"))
        if posted.get("agree") != "yes":
            raise CommitmentError(
                "agree",
                "请勾选“我已阅读并承诺遵守”。",
                "Please tick “I have read this and commit to it”.",
                field="agree",
            )
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await commitment.sign(
                connection, opened.merchant_id, signer, now=now, today=now.astimezone(settings.zone).date()
            )
    except CommitmentError as error:
        values = {"signer": posted.get("signer", "")}
        message = error.english if english else error.chinese
        return await home(request, opened, status=status_of(error), error=message, values=values)
    raise web.HTTPSeeOther(location=f"/merchant-link/{opened.token}#commitment")


@public
async def withdraw_commitment(request: web.Request) -> web.Response:
    opened = await open_link(request, "withdraw")
    if isinstance(opened, web.Response):
        return opened
    settings, now = request.app[SETTINGS], request.app[CLOCK]()
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await commitment.revoke(
            connection, opened.merchant_id, by=commitment.MERCHANT, today=now.astimezone(settings.zone).date()
        )
    raise web.HTTPSeeOther(location=f"/merchant-link/{opened.token}#commitment")
