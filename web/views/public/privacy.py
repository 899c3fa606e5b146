"""The consumer's side of personal-data care: the privacy notice (`/privacy`), and from the status page their
request to remove what is held about their case (`POST /c/{ref}/erasure?token=…`, the token of their link being
the credential, as for a rating). The status page itself shows what is held, masked (web/public_cases.py)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from complaints.personal_data.erasure import held_for_token, request_erasure
from web.auth.access import public
from web.db import for_writing
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES, SETTINGS
from web.public_cases import lang_suffix

MAX_REF_CHARS, MAX_TOKEN_CHARS = 20, 64


def add_routes(app: web.Application) -> None:
    app.router.add_get("/privacy", privacy_page)
    app.router.add_post("/c/{ref}/erasure", ask_erasure)


@public
async def privacy_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    retention = request.app[SETTINGS].retention
    days = {
        "contact": retention.contact.days,
        "photos": retention.photos.days,
        "chat": retention.chat.days,
        "login": retention.login_attempts.days,
        "access": retention.access_log.days,
    }
    body = request.app[PAGES].render("privacy.html", choice.language, choice=choice, days=days)
    return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "public, max-age=3600"})


def _not_found(request: web.Request) -> web.Response:
    choice = request_language(request)
    body = request.app[PAGES].render("case_not_found.html", choice.language, choice=choice)
    return web.Response(text=body, content_type="text/html", status=404, headers={"Cache-Control": "no-store"})


@public
async def ask_erasure(request: web.Request) -> web.Response:
    """Record the request (or learn why it cannot be taken) and show the status page with the answer."""
    ref, token = request.match_info["ref"].strip().upper(), request.query.get("token", "")
    if len(ref) > MAX_REF_CHARS or not token or len(token) > MAX_TOKEN_CHARS:
        return _not_found(request)
    async with for_writing(request.app[ENGINE]).begin() as connection:
        held = await held_for_token(connection, ref, token, request.app[SETTINGS].retention)
        if held is None:
            return _not_found(request)
        outcome = await request_erasure(connection, held.complaint_id, via="status_page", now=request.app[CLOCK]())
    query = f"token={quote(token, safe='')}&erasure={outcome.value}{lang_suffix(request)}"
    raise web.HTTPSeeOther(location=f"/c/{ref}?{query}#personal-data")
