"""The one place where failures become HTTP answers: a clear page or JSON problem, never a stack trace.

A :class:`lookup.problems.Problem` raised by a view, the access middleware or the domain becomes, on /api/ and
/bot/ paths, the JSON problem ``{"error": code, "status": n, "message": English, "message_zh": Chinese,
"field": the field at fault or null}``, and on pages the error page in the negotiated language. aiohttp's own
404, 405 and 413 (and any unexpected exception, as a 500) get the same treatment. Views let problems propagate;
forms that show themselves again with the user's input catch them and use :func:`status_of`.

A database that is down, full or locked (web/db.py's :func:`database_unavailable`) makes any route answer 503
with ``Retry-After``, as the JSON problem ``unavailable`` or the error page in the asker's language.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from lookup.problems import Kind, Problem
from web.db import database_unavailable
from web.i18n import request_language
from web.keys import PAGES

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATUS = {
    Kind.bad_request: 400,
    Kind.unauthenticated: 401,
    Kind.refused: 403,
    Kind.not_found: 404,
    Kind.conflict: 409,
    Kind.too_large: 413,
    Kind.unsupported: 415,
    Kind.unprocessable: 422,
    Kind.unavailable: 503,
}
# The catalogue keys that explain a status on the error page; any other status gets "something went wrong".
_EXPLANATIONS = {404: "notfound", 405: "notfound", 413: "toolarge", 503: "unavailable"}
RETRY_AFTER_SECONDS = "30"


def unavailable() -> Problem:
    """The database cannot be reached or cannot write: nothing was stored, try again shortly."""
    return Problem(
        "unavailable",
        "服务暂时无法读写数据，请稍后再试。",
        "The service cannot read or store data just now: try again shortly.",
        kind=Kind.unavailable,
    )


def status_of(problem: Problem) -> int:
    return STATUS[problem.kind]


def wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/bot/")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def answer(request: web.Request, problem: Problem, *, headers: Mapping[str, str] | None = None) -> web.Response:
    """The problem as the answer to this request (a view that must add headers, such as caching, calls this)."""
    status = status_of(problem)
    if problem.kind is Kind.unavailable:
        headers = {"Retry-After": RETRY_AFTER_SECONDS, **(headers or {})}
    if wants_json(request):
        body = {
            "error": problem.code,
            "status": status,
            "message": problem.english,
            "message_zh": problem.chinese,
            "field": problem.field,
        }
        extra = {"WWW-Authenticate": "Bearer"} if problem.kind is Kind.unauthenticated else {}
        return web.json_response(body, status=status, headers={**extra, **(headers or {})}, dumps=_dumps)
    choice = request_language(request)
    pages = request.app[PAGES]
    if problem.kind is Kind.refused:
        message = problem.chinese if choice.language == "zh" else problem.english
        text = pages.render("staff_refused.html", choice.language, choice=choice, message=message)
    else:
        prefix = _EXPLANATIONS.get(status, "error")
        text = pages.render("error.html", choice.language, choice=choice, status=status, prefix=prefix)
    return web.Response(status=status, text=text, content_type="text/html", headers=headers)


def _http_problem(request: web.Request, status: int, code: str) -> web.Response:
    """aiohttp's own refusals and unexpected failures, explained from the catalogues."""
    catalogues = request.app[PAGES].catalogues
    prefix = _EXPLANATIONS.get(status, "error")
    if wants_json(request):
        body = {
            "error": code,
            "status": status,
            "message": catalogues["en"](f"{prefix}.heading"),
            "message_zh": catalogues["zh"](f"{prefix}.heading"),
            "field": None,
        }
        return web.json_response(body, status=status, dumps=_dumps)
    choice = request_language(request)
    text = request.app[PAGES].render("error.html", choice.language, choice=choice, status=status, prefix=prefix)
    return web.Response(status=status, text=text, content_type="text/html")


_UNREADABLE = Problem("unreadable_body", "请求内容无法读取。", "The request body cannot be read as it was sent.")


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as problem:
        return answer(request, problem)
    except web.RequestPayloadError:
        # A body that cannot be read as sent (a broken gzip, a chunked encoding cut short): the client's fault.
        return answer(request, _UNREADABLE)
    except web.HTTPException as exc:
        if exc.status in (404, 405, 413) or (exc.status >= 500 and not exc.text):
            return _http_problem(request, exc.status, exc.reason.lower().replace(" ", "_"))
        raise
    except Exception as exc:
        if database_unavailable(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
            return answer(request, unavailable())
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _http_problem(request, 500, "internal_error")
