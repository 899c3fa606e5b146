"""The JSON API's OpenAPI 3.1 contract: served at /api/v1/openapi.json, valid, naming every /api/v1 route and no
other, and holding the answers — every test's answers are checked against it (contract_support.py); these tests
check that the check itself bites."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from tests.contract_support import Contract
from web.app import create_app
from web.settings import Settings
from web.views.api.openapi import PATH, openapi_document

Client = TestClient[Any, Any]


async def test_the_contract_is_served_and_is_valid_openapi_3_1(client: Client, contract: Contract) -> None:
    response = await client.get(PATH)
    assert response.status == 200
    assert response.content_type == "application/json"
    document = await response.json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document == openapi_document("http://fairweigh.test")
    assert document["servers"] == [{"url": "http://fairweigh.test"}]
    assert contract.checked == 1


def test_every_api_route_is_in_the_contract_and_nothing_else_is(settings: Settings) -> None:
    document = openapi_document(settings.public_base_url)
    routes = {
        (route.method.lower(), route.resource.canonical)
        for route in create_app(settings).router.routes()
        if route.resource is not None and route.resource.canonical.startswith("/api/v1/") and route.method != "HEAD"
    }
    described = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert routes == described
    for path, operations in document["paths"].items():
        named = set(re.findall(r"\{(\w+)\}", path))
        for method, operation in operations.items():
            given = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert given == named, f"{method} {path}: path parameters"
            assert "503" in operation["responses"] or path == PATH, f"{method} {path}: the database may be down"


def _liar(body: Any, status: int = 200) -> web.Application:
    """An app whose queue answers ``body``: what a drifting view would send."""

    async def answer(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/api/v1/queue", answer)
    return app


async def test_the_contract_catches_an_answer_that_drifted(aiohttp_client: Any) -> None:
    drifted = Contract()
    for body, status, breach in (
        ({"cases": [], "next": None, "total": 3}, 200, "Additional properties"),
        ({"cases": [{"ref": "JL20261123-0001"}], "next": None}, 200, "is a required property"),
        ({"cases": [], "next": None}, 418, "names no 418"),
        ({"error": "x", "status": 400, "message": "m", "message_zh": "m"}, 400, "'field' is a required property"),
    ):
        app = _liar(body, status)
        drifted.watch(app)
        client: Client = await aiohttp_client(app)
        await client.get("/api/v1/queue")
        assert breach in drifted.breaches[-1], drifted.breaches
    assert len(drifted.breaches) == 4
