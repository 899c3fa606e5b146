"""The consumer adds the name and phone number their complaint lacks: `POST /c/{ref}/contact?token=…`, from the form
on the status page. Like the rating, a public route whose credential is the status link's token (see
`web/views/public/rating.py`); a refusal shows the status page again with the form and what to fix."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from complaints.case_view import public_case
from complaints.personal_data.contact_update import ContactError, add_contact
from complaints.submission import Contact, SubmissionError, clean_name, clean_phone
from lookup.identifiers import parse_reference
from lookup.problems import Problem
from web.auth.access import public
from web.db import for_writing
from web.errors import status_of
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, PAGES
from web.public_cases import case_page_context, lang_suffix, personal_data_context, rating_context

MAX_TOKEN_CHARS = 64


def add_routes(app: web.Application) -> None:
    app.router.add_post("/c/{ref}/contact", add_case_contact)


def _not_found(request: web.Request) -> web.Response:
    choice = request_language(request)
    body = request.app[PAGES].render("case_not_found.html", choice.language, choice=choice)
    return web.Response(text=body, content_type="text/html", status=404, headers={"Cache-Control": "no-store"})


async def _refused(request: web.Request, ref: str, error: Problem, values: dict[str, str]) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        case = await public_case(connection, ref, request.query.get("token", ""))
    if case is None:
        return _not_found(request)
    context = case_page_context(request, case) | rating_context(request, case.ref, case.satisfaction)
    context |= {"contact_error": error, "contact_values": values}
    context |= await personal_data_context(request, case.ref)
    body = request.app[PAGES].render("case.html", context["choice"].language, **context)
    status = 400 if isinstance(error, SubmissionError) else status_of(error)
    return web.Response(text=body, content_type="text/html", status=status, headers={"Cache-Control": "no-store"})


@public
async def add_case_contact(request: web.Request) -> web.Response:
    ref, token = parse_reference(request.match_info["ref"]), request.query.get("token", "")
    if ref is None or not token or len(token) > MAX_TOKEN_CHARS:
        return _not_found(request)
    form = await request.post()
    values = {name: value[:50] for name in ("name", "phone", "consent") if isinstance(value := form.get(name), str)}
    try:
        given = Contact(
            name=clean_name(values.get("name")),
            phone=clean_phone(values.get("phone")),
            consent=values.get("consent") == "yes",
        )
        async with for_writing(request.app[ENGINE]).begin() as connection:
            await add_contact(connection, ref, token, given, request.app[CLOCK]())
    except ContactError as error:
        if error.code == "not_found":
            return _not_found(request)
        return await _refused(request, ref, error, values)
    except SubmissionError as error:
        return await _refused(request, ref, error, values)
    raise web.HTTPSeeOther(location=f"/c/{ref}?token={quote(token, safe='')}{lang_suffix(request)}#h-timeline")
