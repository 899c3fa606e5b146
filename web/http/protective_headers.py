"""Protective headers on every answer: pages, JSON, images, exports, redirects and refusals alike.

- ``Content-Security-Policy``: nothing loads or runs but what the page itself is — no script at all (the pages
  need none; the pages offering 扫一扫 — the home page, the complaint form, the volunteer's visit form — add
  ``script-src 'self' 'wasm-unsafe-eval'`` and ``connect-src 'self'`` by ``allow_scanner``, for files served by
  us, web/views/public/home.py), no style but the one inline sheet every page carries
  (allowed by its SHA-256, so an injected ``<style>`` or ``style=""`` is inert), images from this site only,
  forms posting to this site only, no ``<base>``, and ``frame-ancestors 'none'``.
- ``X-Frame-Options: DENY`` for browsers older than ``frame-ancestors``. Nothing of ours is meant to be framed:
  WeChat's browser opens a scanned link as a page of its own, not inside a frame (a mini program's web-view is
  a page of its own too), so it needs no exception.
- ``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin`` (pages that carry a case's token in
  their address ask for no referrer at all in their own markup);
- ``Strict-Transport-Security`` when ``PUBLIC_BASE_URL`` is https.

They are added as each answer is about to be sent (aiohttp's ``on_response_prepare``), which reaches answers a
middleware cannot: the streamed exports, and the redirects and refusals raised past every middleware.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TypeVar

from aiohttp import web

HSTS_SECONDS = 365 * 24 * 3600
# 扫一扫: our script and the decoder's WebAssembly (compiled, hence 'wasm-unsafe-eval'), and /find.json to ask.
SCANNER_POLICY = "; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'"

_Answer = TypeVar("_Answer", bound=web.StreamResponse)

PROTECTIVE_HEADERS = web.AppKey("protective_headers", dict[str, str])


def style_source(css: str) -> str:
    """The CSP source that allows exactly this inline style sheet."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def protective_headers(*, inline_css: str, public_base_url: str) -> dict[str, str]:
    policy = "; ".join(
        (
            "default-src 'none'",
            f"style-src {style_source(inline_css)}",
            "img-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )
    headers = {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if public_base_url.startswith("https://"):
        headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
    return headers


async def _add(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in request.app[PROTECTIVE_HEADERS].items():
        response.headers.setdefault(name, value)


def protect(app: web.Application, *, inline_css: str, public_base_url: str) -> None:
    """Send the protective headers with every answer of ``app``."""
    app[PROTECTIVE_HEADERS] = protective_headers(inline_css=inline_css, public_base_url=public_base_url)
    app.on_response_prepare.append(_add)


def allow_scanner(request: web.Request, response: _Answer) -> _Answer:
    """Let this answer's page run 扫一扫 (our own files only); every other page keeps a policy with no script."""
    response.headers["Content-Security-Policy"] = request.app[PROTECTIVE_HEADERS]["Content-Security-Policy"] + (
        SCANNER_POLICY
    )
    return response
