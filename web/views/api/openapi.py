"""The JSON API's contract: an OpenAPI 3.1 document of every route under /api/v1, served at
`/api/v1/openapi.json`.

The document is built from the code's own vocabularies (statuses, intents, categories, channels, instrument kinds,
the workflow's actions), so that a value the service can answer is a value the contract names. Every answer a
test receives from /api/v1 is checked against it (tests/contract_support.py), and a fuzzer drives every operation
it describes (tests/test_api_fuzz.py). Open311 is its own specification (GeoReport v2) and is not described here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from complaints.classify.taxonomy import CATEGORIES
from complaints.models import Priority, Queue
from complaints.queue.listing import MAX_LIMIT
from complaints.submission import CASE_CHANNELS
from complaints.workflow import CaseStatus, Intent
from web.auth.access import public
from web.keys import SETTINGS
from web.views.api.openapi_schemas import DATE, JSON, STRING, Schema, enum, ref, schemas

PATH = "/api/v1/openapi.json"


_WHY = {
    400: "Malformed: not JSON, not UTF-8, nested too deeply, a wrong type, an unknown filter value",
    401: "No valid bearer token",
    403: "The token's role may not use this",
    404: "No such thing, or none the caller may see",
    409: "The action is not allowed in the case's present state",
    413: "The body is larger than 1 MB",
    422: "Well-formed, but its content cannot be taken (the problem's `field` says which)",
    503: "The database is unavailable; try again after `Retry-After` seconds",
}


def _answers(ok: Mapping[int, tuple[str, Schema | None]], *refusals: int) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for status, (description, schema) in ok.items():
        answers[str(status)] = {"description": description}
        if schema is not None:
            answers[str(status)]["content"] = {JSON: {"schema": schema}}
    for status in (*refusals, 503):
        answers[str(status)] = {"description": _WHY[status], "content": {JSON: {"schema": ref("Problem")}}}
    return answers


def _query(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema or STRING}


def _path(name: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


REF_PARAMETER = _path("ref", "the case's reference, e.g. JL20261123-0001", {"type": "string"})
STAFF: list[dict[str, list[str]]] = [{"bearer": []}]


def _queue_filters() -> list[Schema]:
    choices = {
        "status": enum(CaseStatus),
        "intent": enum(Intent),
        "category": enum(CATEGORIES),
        "priority": enum(Priority),
        "channel": enum(CASE_CHANNELS),
        "queue": enum(Queue),
        "triage": enum(("yes", "no")),
        "overdue": enum(("yes", "no")),
        "from": DATE,
        "to": DATE,
    }
    filters = [_query(name, f"only cases with this {name}", schema) for name, schema in choices.items()]
    return [
        *filters,
        _query("q", "words in the text, or a reference", {"type": "string", "maxLength": 200}),
        _query("after", "the previous page's `next`"),
        _query("limit", "cases on a page", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
    ]


def _paths() -> dict[str, Any]:
    created = {201: ("The new case", ref("Receipt")), 200: ("A resend: the open case it repeats", ref("Receipt"))}
    return {
        "/api/v1/complaints": {
            "post": {
                "operationId": "submitComplaint",
                "summary": "A shopper's complaint, report, question or suggestion",
                "requestBody": {"required": True, "content": {JSON: {"schema": ref("NewComplaint")}}},
                "responses": _answers(created, 400, 413, 422),
            }
        },
        "/api/v1/complaints/{ref}": {
            "get": {
                "operationId": "readComplaint",
                "summary": "The complainant's view of their case (no contact details)",
                "parameters": [REF_PARAMETER, {**_query("token", "the status link's token"), "required": True}],
                "responses": _answers({200: ("The case", ref("PublicCase"))}, 404),
            }
        },
        "/api/v1/instruments/{code}": {
            "get": {
                "operationId": "lookUpInstrument",
                "summary": "What a scan of the sticker shows",
                "parameters": [
                    _path("code", "the sticker's code; case, hyphens and I/L/O confusions forgiven", STRING),
                    {"name": "If-None-Match", "in": "header", "required": False, "schema": STRING},
                ],
                "responses": _answers({200: ("The instrument", ref("Instrument")), 304: ("Unchanged", None)}, 404),
            }
        },
        "/api/v1/queue": {
            "get": {
                "operationId": "listQueue",
                "summary": "The caller's visible cases, nearest deadline first",
                "security": STAFF,
                "parameters": _queue_filters(),
                "responses": _answers({200: ("A page of cases", ref("QueuePage"))}, 400, 401, 403),
            }
        },
        "/api/v1/queue/{ref}": {
            "get": {
                "operationId": "readQueueCase",
                "summary": "A case as the station handling it sees it",
                "security": STAFF,
                "parameters": [REF_PARAMETER],
                "responses": _answers({200: ("The case", ref("StaffCase"))}, 401, 403, 404),
            }
        },
        "/api/v1/queue/{ref}/actions": {
            "post": {
                "operationId": "actOnCase",
                "summary": "Take a workflow action; answers the case as it now stands",
                "security": STAFF,
                "parameters": [REF_PARAMETER],
                "requestBody": {"required": True, "content": {JSON: {"schema": ref("Action")}}},
                "responses": _answers(
                    {200: ("The case after the action", ref("StaffCase"))}, 400, 401, 403, 404, 409, 413, 422
                ),
            }
        },
        "/api/v1/audit/contact-access": {
            "get": {
                "operationId": "readContactAccessLog",
                "summary": "Who was shown a consumer's full contact: for a case (case=) or a staff member (user=)",
                "security": STAFF,
                "parameters": [
                    _query("case", "a case's reference"),
                    _query("user", "a staff member's username"),
                ],
                "responses": _answers({200: ("The log, newest first", ref("ContactAccessLog"))}, 401, 403, 422),
            }
        },
        PATH: {
            "get": {
                "operationId": "contract",
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}},
            }
        },
    }


@functools.cache
def openapi_document(base_url: str) -> dict[str, Any]:
    """The contract, with ``base_url`` as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fairweigh · 诚信计量",
            "version": "1",
            "description": (
                "Instrument lookup, complaints and the handlers' queue. Every refusal is a Problem. Open311 "
                "GeoReport v2 (/open311/v2) is described by its own specification."
            ),
        },
        "servers": [{"url": base_url}],
        "paths": _paths(),
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "`fairweigh users token NAME`"}
            },
        },
    }


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, contract)


@public
async def contract(request: web.Request) -> web.Response:
    body = json.dumps(openapi_document(request.app[SETTINGS].public_base_url), ensure_ascii=False)
    return web.Response(text=body, content_type=JSON, headers={"Cache-Control": "public, max-age=3600"})
