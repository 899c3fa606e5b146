"""Rendering a staff page: the viewer and the language go in, and the answer is never cached (it holds cases)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from web.auth.access import VIEWER
from web.i18n import request_language
from web.keys import PAGES


def render_staff_page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    choice = request_language(request)
    body = request.app[PAGES].render(template, choice.language, choice=choice, viewer=request[VIEWER], **context)
    return web.Response(text=body, status=status, content_type="text/html", headers={"Cache-Control": "no-store"})
