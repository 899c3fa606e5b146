"""The one place where failures become HTTP answers: a clear page or JSON body, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from web.i18n import negotiate
from web.keys import PAGES

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/bot/")


def _error_response(request: web.Request, status: int, reason: str) -> web.Response:
    if _wants_json(request):
        return web.json_response({"error": reason, "status": status}, status=status)
    choice = negotiate(request.query.get("lang"), request.headers.get("Accept-Language"))
    template = "not_found.html" if status == 404 else "error.html"
    body = request.app[PAGES].render(template, choice.language, choice=choice, status=status)
    return web.Response(status=status, text=body, content_type="text/html")


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405) or (exc.status >= 500 and not exc.text):
            return _error_response(request, exc.status, exc.reason.lower().replace(" ", "_"))
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_response(request, 500, "internal_error")
