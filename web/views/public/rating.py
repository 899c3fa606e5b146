"""The consumer rates their closed case: `POST /c/{ref}/rate?token=…` from the form on the status page.

A public route without a session, so the CSRF check of the access middleware does not apply, and none is
needed: the token in the URL is the credential. It is the secret of the status-page link the consumer was given
(only its hash is stored) and is checked with :func:`complaints.tokens.token_matches`, exactly as the status page
checks it; a page elsewhere cannot forge this post without knowing the token, and whoever knows it may read and
rate the case anyway. An unknown reference and a wrong token answer the same 404. Pages carrying the token are
sent with `Cache-Control: no-store`, and base.html tells browsers to send no Referer, so the link leaks neither to
caches nor to other sites.

A rating is taken once, for a closed case, from 1 to 5, with a comment of at most 500 characters; a refusal
shows the status page again with the form and what was wrong (400 for bad input, 409 when it cannot be rated now).
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from complaints.case_view import public_case
from complaints.satisfaction import RatingError, rate_case, rating_of
from lookup.identifiers import parse_reference
from web.auth.access import public
from web.db import for_writing
from web.errors import status_of
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES
from web.public_cases import case_page_context, lang_suffix, personal_data_context, rating_context

MAX_TOKEN_CHARS = 64


def add_routes(app: web.Application) -> None:
    app.router.add_post("/c/{ref}/rate", rate)


def _not_found(request: web.Request) -> web.Response:
    choice = request_language(request)
    body = request.app[PAGES].render("case_not_found.html", choice.language, choice=choice)
    return web.Response(text=body, content_type="text/html", status=404, headers={"Cache-Control": "no-store"})


async def _refused(request: web.Request, ref: str, error: RatingError, values: dict[str, str]) -> web.Response:
    token = request.query.get("token", "")
    async with request.app[ENGINE].connect() as connection:
        case = await public_case(connection, ref, token)
        rating = await rating_of(connection, ref)
    if case is None:  # deleted between the two reads: nothing to show
        return _not_found(request)
    shown = {"rating": values.get("rating", "")[:2], "comment": values.get("comment", "")[:500]}
    context = case_page_context(request, case) | rating_context(
        request,
        case.ref,
        rating.rating if rating is not None else None,
        error=f"rating.error.{error.code}",
        values=shown,
    )
    context |= await personal_data_context(request, case.ref)
    body = request.app[PAGES].render("case.html", context["choice"].language, **context)
    return web.Response(
        text=body, content_type="text/html", status=status_of(error), headers={"Cache-Control": "no-store"}
    )


@public
async def rate(request: web.Request) -> web.Response:
    ref, token = parse_reference(request.match_info["ref"]), request.query.get("token", "")
    if ref is None or not token or len(token) > MAX_TOKEN_CHARS:
        return _not_found(request)
    form = await request.post()
    values = {name: value for name in ("rating", "comment") if isinstance(value := form.get(name), str)}
    try:
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await rate_case(
                connection, ref, token, values.get("rating"), values.get("comment", ""), request.app[CLOCK]()
            )
    except RatingError as error:
        if error.code == "not_found":
            return _not_found(request)
        return await _refused(request, ref, error, values)
    raise web.HTTPSeeOther(location=f"/c/{ref}?token={quote(token, safe='')}{lang_suffix(request)}#rate")
