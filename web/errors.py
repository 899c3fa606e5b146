"""The one place where failures become HTTP answers: a clear page or JSON body, never a stack trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from web.i18n import negotiate
from web.keys import PAGES

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/bot/")


# The catalogue keys that explain a status; any other status gets the generic "something went wrong".
_EXPLANATIONS = {404: "notfound", 405: "notfound", 413: "toolarge"}


def _error_response(request: web.Request, status: int, reason: str) -> web.Response:
    catalogues = request.app[PAGES].catalogues
    prefix = _EXPLANATIONS.get(status, "error")
    if _wants_json(request):
        payload = {
            "error": reason,
            "status": status,
            "message": catalogues["en"](f"{prefix}.heading"),
            "message_zh": catalogues["zh"](f"{prefix}.heading"),
        }
        return web.json_response(payload, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))
    choice = negotiate(request.query.get("lang"), request.headers.get("Accept-Language"))
    body = request.app[PAGES].render("error.html", choice.language, choice=choice, status=status, prefix=prefix)
    return web.Response(status=status, text=body, content_type="text/html")


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405, 413) or (exc.status >= 500 and not exc.text):
            return _error_response(request, exc.status, exc.reason.lower().replace(" ", "_"))
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_response(request, 500, "internal_error")
