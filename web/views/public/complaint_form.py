"""The shopper's complaint form (`/complain`, linked from every lookup page) and case status page (`/c/{ref}`).

Plain HTML forms that work without JavaScript inside WeChat's browser: post, then redirect to the status page
(so a reload cannot submit twice). Photos are streamed and size-checked part by part, never read whole first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import BodyPartReader, web

from complaints.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, PhotoError, prepare_photo
from complaints.submission import (
    MAX_TEXT_CHARS,
    Contact,
    Submission,
    SubmissionError,
    check_photo_count,
    clean_name,
    clean_phone,
    clean_text,
)
from lookup.problems import Problem
from lookup.scan import InstrumentCard
from lookup.vocab import KIND_NAMES_ZH
from web.auth.access import public
from web.errors import status_of
from web.i18n import LanguageChoice, negotiate
from web.keys import CLOCK, INTAKE, PAGES, SETTINGS
from web.views.api.complaints import find_case, scanned_card
from web.views.public.rating import rating_context

MAX_FIELD_BYTES = 64 * 1024  # a text field: the longest allowed text in UTF-8 with room to spare
MAX_FORM_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024


def add_routes(app: web.Application) -> None:
    app.router.add_get("/complain", complaint_form)
    app.router.add_post("/complain", submit_form)
    app.router.add_get("/c/{ref}", case_page)


def _language(request: web.Request) -> LanguageChoice:
    return negotiate(request.query.get("lang"), request.headers.get("Accept-Language"))


def _render_form(
    request: web.Request,
    *,
    card: InstrumentCard | None,
    values: dict[str, str],
    errors: list[Problem],
    status: int = 200,
) -> web.Response:
    choice = _language(request)
    body = request.app[PAGES].render(
        "complain.html",
        choice.language,
        choice=choice,
        card=card,
        kind_zh=KIND_NAMES_ZH,
        values=values,
        errors=errors,
        max_text=MAX_TEXT_CHARS,
        max_photos=MAX_PHOTOS,
        max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024),
    )
    return web.Response(text=body, content_type="text/html", status=status, headers={"Cache-Control": "no-store"})


@public
async def complaint_form(request: web.Request) -> web.Response:
    values = {"code": request.query.get("code", "")[:40]}
    try:
        code, card = await scanned_card(request, values["code"])
    except SubmissionError as error:
        return _render_form(request, card=None, values={"code": ""}, errors=[error], status=404)
    values["code"] = code or ""
    return _render_form(request, card=card, values=values, errors=[])


class _FormTooLarge(Exception):
    pass


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise _FormTooLarge
    return bytes(data)


async def read_form(request: web.Request) -> tuple[dict[str, str], list[bytes]]:
    """The form's text fields and raw photos; raises SubmissionError for anything malformed or too big."""
    too_large = SubmissionError(
        "too_large",
        f"上传的内容太大：每张照片不超过 {MAX_PHOTO_BYTES // 1024 // 1024} MB，最多 {MAX_PHOTOS} 张。",
        f"The upload is too large: at most {MAX_PHOTOS} photos of {MAX_PHOTO_BYTES // 1024 // 1024} MB each.",
        field="photos",
    )
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise too_large
    fields: dict[str, str] = {}
    photos: list[bytes] = []
    if request.content_type == "application/x-www-form-urlencoded":
        posted = await request.post()
        return {key: value for key, value in posted.items() if isinstance(value, str)}, []
    if request.content_type != "multipart/form-data":
        raise SubmissionError("bad_form", "请通过表单提交。", "Please submit the form.")
    reader = await request.multipart()
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "photos":
                data = await _read_part(part, MAX_PHOTO_BYTES)
                if data:  # an empty file input still sends an empty part
                    photos.append(data)
                check_photo_count(len(photos))
            else:
                fields[part.name] = (await _read_part(part, MAX_FIELD_BYTES)).decode("utf-8")
    except SubmissionError:
        raise
    except _FormTooLarge as exc:
        raise too_large from exc
    except UnicodeDecodeError as exc:
        raise SubmissionError(
            "bad_encoding", "表单内容不是 UTF-8 编码。", "The form is not UTF-8.", field="text"
        ) from exc
    except ValueError as exc:  # a malformed multipart body
        raise SubmissionError("bad_form", "表单数据不完整，请重新提交。", "The form arrived incomplete.") from exc
    return fields, photos


@public
async def submit_form(request: web.Request) -> web.StreamResponse:
    choice = _language(request)
    values: dict[str, str] = {}
    card: InstrumentCard | None = None
    try:
        values, raw_photos = await read_form(request)
        code, card = await scanned_card(request, values.get("code", ""))
        text = clean_text(values.get("text", ""))
        contact = Contact(
            name=clean_name(values.get("name")),
            phone=clean_phone(values.get("phone")),
            consent=values.get("consent") == "yes",
        )
        photos = tuple(await asyncio.gather(*(asyncio.to_thread(prepare_photo, raw) for raw in raw_photos)))
    except PhotoError as error:
        return _render_form(request, card=card, values=values, errors=[error], status=status_of(error))
    except SubmissionError as error:
        # The form shows itself again: 413 for an upload too large, 400 for anything else to fix.
        status = 413 if error.code == "too_large" else 400
        return _render_form(request, card=card, values=values, errors=[error], status=status)
    submission = Submission(text=text, channel="web", code=code, contact=contact, photos=photos)
    receipt = await request.app[INTAKE].submit(submission, card)
    target = f"/c/{receipt.ref}?token={receipt.token}" + (f"&lang={choice.language}" if choice.explicit else "")
    raise web.HTTPSeeOther(location=target)


@public
async def case_page(request: web.Request) -> web.Response:
    choice = _language(request)
    case = await find_case(request)
    pages = request.app[PAGES]
    if case is None:
        body = pages.render("case_not_found.html", choice.language, choice=choice)
        return web.Response(text=body, content_type="text/html", status=404, headers={"Cache-Control": "no-store"})
    settings = request.app[SETTINGS]
    context: dict[str, Any] = {
        "case": case,
        "choice": choice,
        "zone": settings.zone,
        "today": request.app[CLOCK]().date(),
        "status_url": f"{settings.public_base_url}/c/{case.ref}?token={request.query['token']}",
    }
    context |= rating_context(request, case.ref, case.satisfaction)
    body = pages.render("case.html", choice.language, **context)
    # The token is in the URL: keep the page out of every cache and the link out of Referer headers.
    return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "no-store"})
