"""`GET /find.json?code=…`: what a scanned or typed text names, for 扫一扫's script on the complaint form and the
volunteer's visit form (web/static/scanner/scan.js). The same resolver as `/find` (lookup/codes/resolve.py): the
instrument (our code, its kind, merchant, stall and market, all shown on its public page anyway), the instruments
sharing a nameplate serial, or what the code is when it names none, with one sentence in the page's language.

Public and free of personal data; answered like `/find`: 200 for an instrument or a choice, 404 for a code that
names none (its JSON says what it is), 400 without a code. Nothing typed makes it answer a 5xx."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from lookup.codes.resolve import MAX_TEXT, Match, Outcome, Resolution, resolve
from web.auth.access import public
from web.http.cache import UNKNOWN_MAX_AGE, cached_response
from web.i18n import Catalogue, request_language
from web.keys import ENGINE, FRESHNESS, PAGES

MAX_ECHO = 64  # the text echoed back: enough to recognise, never a page of whatever was scanned


def add_routes(app: web.Application) -> None:
    app.router.add_get("/find.json", find_json)


def _match(match: Match, t: Catalogue) -> dict[str, Any]:
    return {
        "code": match.code,
        "url": f"/i/{match.code}",
        "kind": match.kind.value,
        "kind_name": t(f"kind.{match.kind.value}"),
        "merchant": match.merchant,
        "stall": match.stall,
        "market": match.market,
        "matched_by": match.matched_by.value,
    }


def _summary(found: Resolution, text: str, t: Catalogue) -> str:
    if found.outcome is Outcome.instrument:
        first = found.matches[0]
        place = " · ".join(part for part in (first.merchant, first.stall, first.market) if part)
        return t("codes.found.instrument", kind=t(f"kind.{first.kind.value}"), code=first.code, place=place)
    if found.outcome is Outcome.product and found.gs1 is not None:
        return t("codes.product.heading") + t("codes.found.gtin", gtin=found.gs1.gtin or "")
    if found.outcome is Outcome.several:
        return t("codes.found.several", count=len(found.matches), code=text)
    key = {Outcome.ours: "codes.found.ours", Outcome.gs1_broken: "codes.gs1_broken.heading"}
    return t(key.get(found.outcome, "codes.found.unknown"), code=text)


def payload(found: Resolution, t: Catalogue) -> dict[str, Any]:
    text = found.text[:MAX_ECHO]
    return {
        "text": text,
        "outcome": found.outcome.value,
        "resolved": found.outcome is Outcome.instrument,
        "instrument": _match(found.matches[0], t) if found.outcome is Outcome.instrument else None,
        "matches": [_match(match, t) for match in found.matches] if found.outcome is Outcome.several else [],
        "more": found.more,
        "gtin": found.gs1.gtin if found.gs1 is not None else None,
        "summary": _summary(found, text, t),
    }


@public
async def find_json(request: web.Request) -> web.Response:
    t = request.app[PAGES].catalogues[request_language(request).language]
    typed = request.query.get("code", "").strip()[:MAX_TEXT]
    if not typed:
        body = {"error": "no_code", "status": 400, "message": t("codes.found.no_code")}
        return web.json_response(body, status=400, dumps=lambda value: json.dumps(value, ensure_ascii=False))
    async with request.app[ENGINE].connect() as connection:
        found = await resolve(connection, typed)
    if found.outcome in (Outcome.instrument, Outcome.several):
        _, max_age = request.app[FRESHNESS]()
        status = 200
    else:
        max_age, status = UNKNOWN_MAX_AGE, 404
    body_bytes = json.dumps(payload(found, t), ensure_ascii=False, separators=(",", ":")).encode()
    return cached_response(request, body_bytes, content_type="application/json", max_age=max_age, status=status)
