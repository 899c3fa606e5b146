"""The shopper's complaint form (`/complain`, linked from every lookup page) and case status page (`/c/{ref}`).

Plain HTML forms that work without JavaScript inside WeChat's browser: post, then redirect to the status page
(so a reload cannot submit twice). Photos are streamed and size-checked part by part, never read whole first.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from complaints.odr import enrolment
from complaints.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, PhotoError, prepare_photo
from complaints.submission import (
    CHOSEN_INTENTS,
    MAX_TEXT_CHARS,
    Contact,
    Submission,
    SubmissionError,
    clean_intent,
    clean_name,
    clean_phone,
    clean_text,
)
from lookup.free_text import clean_line
from lookup.identifiers import parse_row_id
from lookup.market import MarketChoice, market_choices
from lookup.problems import Problem
from lookup.scan import InstrumentCard
from lookup.vocab import KIND_NAMES_ZH
from web.auth.access import public
from web.db import database_unavailable
from web.errors import RETRY_AFTER_SECONDS, status_of, unavailable
from web.http.protective_headers import allow_scanner
from web.i18n import request_language
from web.keys import ENGINE, INTAKE, PAGES, SETTINGS
from web.public_cases import (
    case_page_context,
    find_case,
    odr_context,
    personal_data_context,
    rating_context,
    scanned_card,
)
from web.uploads import read_form

MAX_STALL_CHARS = 50


def add_routes(app: web.Application) -> None:
    app.router.add_get("/complain", complaint_form)
    app.router.add_post("/complain", submit_form)
    app.router.add_get("/c/{ref}", case_page)


async def _markets(request: web.Request) -> list[MarketChoice]:
    """The markets to choose from; none when the database cannot be reached (the form still shows, to keep what was
    typed)."""
    try:
        async with request.app[ENGINE].connect() as connection:
            return await market_choices(connection)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        return []


async def _render_form(
    request: web.Request,
    *,
    card: InstrumentCard | None,
    values: dict[str, str],
    errors: list[Problem],
    status: int = 200,
    stage: str = "details",
    reading: str | None = None,
) -> web.Response:
    """The form: first the shopper's words ("text"), then, with 投诉 or 举报 pre-selected from what the classifier
    read in them (``reading``), the choice, photos and contact ("details")."""
    choice = request_language(request)
    odr_offer = stage == "details" and card is not None and await _odr_merchant(request, card.merchant_id)
    body = request.app[PAGES].render(
        "complain.html",
        choice.language,
        odr_offer=odr_offer,
        odr_days=request.app[SETTINGS].deadlines.odr_days,
        choice=choice,
        card=card,
        markets=await _markets(request),
        kind_zh=KIND_NAMES_ZH,
        values=values,
        errors=errors,
        max_text=MAX_TEXT_CHARS,
        max_photos=MAX_PHOTOS,
        max_photo_mb=MAX_PHOTO_BYTES // (1024 * 1024),
        stage=stage,
        reading=reading,
    )
    response = web.Response(text=body, content_type="text/html", status=status, headers={"Cache-Control": "no-store"})
    return allow_scanner(request, response)  # 扫一扫 fills the instrument's code


async def _odr_merchant(request: web.Request, merchant_id: int) -> bool:
    """Whether the merchant takes part in ODR, so that the shopper is offered to let them settle first."""
    try:
        async with request.app[ENGINE].connect() as connection:
            return await enrolment.taking_part_now(connection, merchant_id)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        return False


async def _place(request: web.Request, values: dict[str, str], card: InstrumentCard | None) -> list[str]:
    """The market and stall the shopper chose or typed, as labelled lines for the handler (as the bots label their
    answers), leaving out what the scanned instrument already says; raises SubmissionError for a market not listed."""
    lines = []
    market = values.get("market", "")
    if market:
        chosen = parse_row_id(market)
        names = {m.market_id: m.name for m in await _markets(request)}
        # No markets at all: the database is down, and intake will say so (503) with the form as typed.
        if names and chosen not in names:
            raise SubmissionError("bad_market", "请在列表中选市场。", "Choose a market in the list.", field="market")
        if chosen in names and (card is None or card.market_id != chosen):
            lines.append(f"市场：{names[chosen]}")
    stall = clean_line(values.get("stall", ""))[:MAX_STALL_CHARS]
    if stall and (card is None or card.stall != stall):
        lines.append(f"摊位：{stall}")
    return lines


@public
async def complaint_form(request: web.Request) -> web.Response:
    values = {"code": request.query.get("code", "")[:40], "market": request.query.get("market", "")[:12]}
    try:
        code, card = await scanned_card(request, values["code"])
    except SubmissionError as error:
        return await _render_form(request, card=None, values={"code": ""}, errors=[error], status=404, stage="text")
    values["code"] = code or ""
    if card is not None:  # what the sticker says, shown in the fields the shopper may correct
        values |= {"market": str(card.market_id or ""), "stall": card.stall}
    return await _render_form(request, card=card, values=values, errors=[], stage="text")


async def _details(
    request: web.Request, card: InstrumentCard | None, values: dict[str, str], text: str
) -> web.Response:
    """The second page: the choice of 投诉 or 举报, pre-selected from the classifier's reading of the words."""
    reading, _category = await request.app[INTAKE].classify(text)
    values = {**values, "text": text, "intent": reading if reading in CHOSEN_INTENTS else ""}
    return await _render_form(request, card=card, values=values, errors=[], reading=reading)


@public
async def submit_form(request: web.Request) -> web.StreamResponse:
    choice = request_language(request)
    values: dict[str, str] = {}
    card: InstrumentCard | None = None
    try:
        values, raw_photos = await read_form(request)
        code, card = await scanned_card(request, values.get("code", ""))
        text = clean_text(values.get("text", ""))
        if values.get("stage") == "text":
            return await _details(request, card, values, text)
        intent = clean_intent(values.get("intent"))
        contact = Contact(
            name=clean_name(values.get("name")),
            phone=clean_phone(values.get("phone")),
            consent=values.get("consent") == "yes",
        )
        odr = values.get("odr") == "yes" and intent == "complaint"
        if odr and not contact.phone:
            catalogues = request.app[PAGES].catalogues
            raise SubmissionError(
                "odr_phone", catalogues["zh"]("odr.need_phone"), catalogues["en"]("odr.need_phone"), field="phone"
            )
        place = await _place(request, values, card)
        photos = tuple(await asyncio.gather(*(asyncio.to_thread(prepare_photo, raw) for raw in raw_photos)))
    except PhotoError as error:
        return await _render_form(request, card=card, values=values, errors=[error], status=status_of(error))
    except SubmissionError as error:
        # The form shows itself again: 413 for an upload too large, 400 for anything else to fix.
        status = 413 if error.code == "too_large" else 400
        stage = "text" if values.get("stage") == "text" else "details"
        return await _render_form(request, card=card, values=values, errors=[error], status=status, stage=stage)
    # The words alone are classified (`account`); the text with the place is what the handler reads and routes by.
    words = "\n".join([text, *place])
    submission = Submission(
        text=words,
        account=text if place else "",
        channel="web",
        code=code,
        contact=contact,
        photos=photos,
        intent=intent,
        odr=odr,
    )
    try:
        receipt = await request.app[INTAKE].submit(submission, card)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        # Nothing was stored: the form comes back with what was typed (photos must be picked again).
        response = await _render_form(request, card=card, values=values, errors=[unavailable()], status=503)
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    target = f"/c/{receipt.ref}?token={receipt.token}" + (f"&lang={choice.language}" if choice.explicit else "")
    raise web.HTTPSeeOther(location=target)


@public
async def case_page(request: web.Request) -> web.Response:
    choice = request_language(request)
    case = await find_case(request)
    pages = request.app[PAGES]
    if case is None:
        body = pages.render("case_not_found.html", choice.language, choice=choice)
        return web.Response(text=body, content_type="text/html", status=404, headers={"Cache-Control": "no-store"})
    context = case_page_context(request, case) | rating_context(request, case.ref, case.satisfaction)
    context |= await odr_context(request, case.ref)
    body = pages.render("case.html", choice.language, **context, **await personal_data_context(request, case.ref))
    # The token is in the URL: keep the page out of every cache and the link out of Referer headers.
    return web.Response(text=body, content_type="text/html", headers={"Cache-Control": "no-store"})
