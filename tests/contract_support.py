"""Holding every answer under /api/v1 to the contract (web/views/api/openapi.py) in every test.

conftest.py watches each application a test builds through ``aiohttp_client``: as each answer leaves the app,
its status must be one the contract names for that operation, and its JSON body must match the schema named
for that status. A breach fails the test that saw it, whatever the test itself asserted.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from aiohttp import web
from jsonschema import ValidationError
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from web.views.api.openapi import openapi_document

SPEC_URI = "urn:fairweigh:openapi"
PREFIX = "/api/v1/"


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


class Contract:
    """The contract's operations, and every breach seen so far."""

    def __init__(self) -> None:
        self.spec = openapi_document("http://fairweigh.test")
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._routes = [
            (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in self.spec["paths"]
        ]
        self._validators: dict[str, Any] = {}
        self.breaches: list[str] = []
        self.checked = 0

    def watch(self, app: web.Application) -> None:
        app.on_response_prepare.append(self._check)

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template in self._routes:
            if pattern.match(path):
                found = self.spec["paths"][template].get(method.lower())
                return (template, found) if found is not None else None
        return None

    def _validator(self, pointer: str) -> Any:
        if pointer not in self._validators:
            self._validators[pointer] = OAS31Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self._registry,
                format_checker=OAS31Validator.FORMAT_CHECKER,
            )
        return self._validators[pointer]

    async def _check(self, request: web.Request, response: web.StreamResponse) -> None:
        if not request.path.startswith(PREFIX) or request.method == "HEAD":
            return
        self.checked += 1
        where = f"{request.method} {request.path} → {response.status}"
        found = self.operation(request.method, request.path)
        if found is None:
            # Outside the contract: only "no such route" and "no such method" may answer there.
            if response.status not in (404, 405):
                self.breaches.append(f"{where}: the contract has no such operation")
            return
        template, operation = found
        answer = operation["responses"].get(str(response.status))
        if answer is None:
            self.breaches.append(f"{where}: the contract names no {response.status} for it")
            return
        if "content" not in answer:
            return
        body = getattr(response, "body", None)
        if not isinstance(body, bytes):
            self.breaches.append(f"{where}: a JSON answer without a body")
            return
        if response.headers.get("Content-Encoding") == "gzip":  # web/http/compression.py packed it for the client
            body = gzip.decompress(body)
        pointer = "/" + _pointer("paths", template, request.method.lower(), "responses", str(response.status))
        pointer += "/content/application~1json/schema"
        try:
            self._validator(pointer).validate(json.loads(body))
        except (ValueError, ValidationError) as breach:
            self.breaches.append(f"{where}: {str(breach).splitlines()[0]}")
