"""GET /healthz: is the process up and can it read its database, at the schema this code expects."""

from __future__ import annotations

import logging

from aiohttp import web

from web.auth.access import public
from web.db import current_revision, head_revision, schema_is_newer
from web.keys import ENGINE, SCAN_READER

log = logging.getLogger(__name__)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)


@public
async def healthz(request: web.Request) -> web.Response:
    headers = {"Cache-Control": "no-store"}
    try:
        await request.app[SCAN_READER].ping()
        revision = await current_revision(request.app[ENGINE])
    except Exception as exc:  # whatever stops us reading the database means "down", not a 500
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        return web.json_response({"status": "down", "database": "unreachable"}, status=503, headers=headers)
    expected = head_revision()
    # A newer schema is a newer release's rollout, which this release keeps working on (expand, then contract).
    if revision != expected and not schema_is_newer(revision):
        body = {"status": "down", "database": "outdated", "schema": revision, "expected": expected}
        return web.json_response(body, status=503, headers=headers)
    return web.json_response({"status": "ok", "database": "ok", "schema": revision}, headers=headers)
