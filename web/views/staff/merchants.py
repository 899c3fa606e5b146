"""A merchant for the staff (/merchants/{id}): the private contact from the ledger, the commitment's history, and
the merchant's link — issued, re-issued, revoked, optionally sent to the merchant's phone by SMS — with its uses.

A handler sees their own station's merchants (another station's answers 404, like one that does not exist), a
supervisor the district's. The contact phone and person are shown here and nowhere public.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from complaints.merchants import commitment, links, page, reminders
from complaints.merchants.texts import LINK_KIND
from complaints.odr import enrolment
from complaints.odr.figures import odr_figures
from complaints.outbox.enqueue import enqueue
from complaints.scope import Scope
from lookup.registry_edits import merchant_station
from qr.codes import normalise_code
from web.auth.access import VIEWER, staff
from web.auth.scope import CASE_WORKERS, Reach, digits, in_scope
from web.db import for_writing
from web.keys import CLOCK, ENGINE, SCAN_READER, SETTINGS
from web.render.staff_pages import render_staff_page

LINK_SMS = LINK_KIND  # the outbox kind of a link sent to the merchant's phone


def add_routes(app: web.Application) -> None:
    app.router.add_get("/merchants", find_merchant)
    app.router.add_get("/merchants/{merchant_id}", merchant_page)
    app.router.add_post("/merchants/{merchant_id}/link", issue_link)
    app.router.add_post("/merchants/{merchant_id}/link/revoke", revoke_link)
    app.router.add_post("/merchants/{merchant_id}/commitment/revoke", revoke_commitment)
    app.router.add_post("/merchants/{merchant_id}/odr", decide_odr)


def link_url(request: web.Request, token: str) -> str:
    return f"{request.app[SETTINGS].public_base_url}/merchant-link/{token}"


async def visible_merchant(request: web.Request, scope: Scope) -> int | None:
    merchant_id = digits(request, "merchant_id")
    if merchant_id is None:
        return None
    async with request.app[ENGINE].connect() as connection:
        station_id = await merchant_station(connection, merchant_id)
    return merchant_id if station_id is not None and scope.sees_station(station_id) else None


@staff(*CASE_WORKERS, reach=Reach.scope)
async def find_merchant(request: web.Request) -> web.Response:
    """The merchant of an instrument's code (the code is what a handler has at hand, on the sticker)."""
    raw = request.query.get("code")
    code = normalise_code(raw) if raw else None
    card = await request.app[SCAN_READER].card(code) if code else None
    if card is not None:
        raise web.HTTPSeeOther(location=f"/merchants/{card.merchant_id}")
    error = "merchants.error.code" if raw else None
    return render_staff_page(request, "merchants_find.html", 400 if raw else 200, error=error, code=raw or "")


async def _page(request: web.Request, merchant_id: int, **extra: Any) -> web.Response:
    secret = request.app[SETTINGS].secret()
    async with request.app[ENGINE].connect() as connection:
        context: dict[str, Any] = {
            "who": await page.identity(connection, merchant_id),
            "history": await commitment.history(connection, merchant_id),
            "links": await links.links_of(connection, secret, merchant_id),
            "uses": await links.uses_of(connection, merchant_id),
            "sent": await reminders.reminders_of(connection, merchant_id),
            "odr": await enrolment.enrolment(connection, merchant_id),
            "odr_figures": await odr_figures(connection, merchant_id=merchant_id),
        }
    now = request.app[CLOCK]()
    active = next((link for link in context["links"] if link.usable(now)), None)
    context |= {"active": active, "url": link_url(request, active.token) if active else None, "now": now}
    return render_staff_page(request, "merchant_staff.html", zone=request.app[SETTINGS].zone, **(context | extra))


@staff(*CASE_WORKERS)
@in_scope(visible_merchant)
async def merchant_page(request: web.Request, merchant_id: int) -> web.Response:
    return await _page(request, merchant_id)


@staff(*CASE_WORKERS)
@in_scope(visible_merchant)
async def issue_link(request: web.Request, merchant_id: int) -> web.Response:
    posted = await request.post()
    now, viewer = request.app[CLOCK](), request[VIEWER]
    async with for_writing(request.app[ENGINE]).begin() as connection:
        link = await links.issue(connection, request.app[SETTINGS].secret(), merchant_id, by=viewer.username, now=now)
        who = await page.identity(connection, merchant_id)
        if posted.get("send") == "sms" and who is not None and who.contact_phone:
            # What to send, never to whom: the sender reads the phone and derives the link from the row.
            payload = {"merchant_id": merchant_id, "link_id": link.id}
            key = f"{LINK_SMS}:{link.id}"
            await enqueue(
                connection, complaint_id=None, channel="sms", kind=LINK_SMS, key=key, payload=payload, now=now
            )
    raise web.HTTPSeeOther(location=f"/merchants/{merchant_id}")


@staff(*CASE_WORKERS)
@in_scope(visible_merchant)
async def revoke_link(request: web.Request, merchant_id: int) -> web.Response:
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await links.revoke(connection, merchant_id, by=request[VIEWER].username, now=request.app[CLOCK]())
    raise web.HTTPSeeOther(location=f"/merchants/{merchant_id}")


@staff(*CASE_WORKERS)
@in_scope(visible_merchant)
async def revoke_commitment(request: web.Request, merchant_id: int) -> web.Response:
    today = request.app[CLOCK]().astimezone(request.app[SETTINGS].zone).date()
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await commitment.revoke(connection, merchant_id, by=request[VIEWER].username, today=today)
    raise web.HTTPSeeOther(location=f"/merchants/{merchant_id}")


@staff(*CASE_WORKERS)
@in_scope(visible_merchant)
async def decide_odr(request: web.Request, merchant_id: int) -> web.Response:
    """Mark the merchant as taking part in ODR from a day (today unless given), or end it; who decided is kept."""
    posted = await request.post()
    today = request.app[CLOCK]().astimezone(request.app[SETTINGS].zone).date()
    since = None
    if posted.get("decision") == "approve":
        try:
            since = date.fromisoformat(str(posted.get("since") or today.isoformat()))
        except ValueError:
            since = today
    async with for_writing(request.app[ENGINE]).begin() as connection:
        await enrolment.decide(connection, merchant_id, since=since, by=request[VIEWER].username)
    raise web.HTTPSeeOther(location=f"/merchants/{merchant_id}#odr")
