"""Text answers compressed with gzip when the client accepts it: a lookup page of ~9.4 KB is sent as ~4.1 KB, the
largest demo market page (~26 KB) as ~6 KB, which is most of the time a cheap phone on a weak signal waits for.

The outermost middleware but the metrics' (aiohttp decides on compression before ``on_response_prepare`` runs), so it
sees every page, JSON answer and CSV, error pages included (web/errors.py renders them inside it); redirects carry no
body worth compressing. Only whole bodies of at least ``MIN_BYTES`` are compressed (smaller ones gain nothing);
streamed exports and images are left alone. gzip only (not deflate, which aiohttp's own compression would pick first
and some proxies mangle), done here at a level of our choosing. ``Vary: Accept-Encoding`` goes on every answer of a
compressible type, compressed or not, so a shared cache keeps the two apart. The ETag names the page's content, the
same for both encodings: a client revalidates with what it holds and gets a 304 either way.
"""

from __future__ import annotations

import zlib

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

MIN_BYTES = 1024
# Level 1, not zlib's default 6: on the demo's 9.4 KB lookup page it sends 4.1 KB against 3.8 KB, and cost ~195 µs
# against ~286 µs on the (loaded, 2-core) development machine, where a whole scan costs ~135 µs unloaded. The scan is
# the hottest request there is; a deployment that would rather save the 0.3 KB can raise it.
LEVEL = 1
GZIP_WINDOW = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream
COMPRESSIBLE = frozenset({"text/html", "text/plain", "text/csv", "application/json", "application/problem+json",
                          "image/svg+xml"})  # fmt: skip


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (named, or ``*``, with a quality above zero)."""
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() not in ("gzip", "x-gzip", "*"):
            continue
        name, _, value = params.strip().partition("=")
        if name.strip() != "q":
            return True
        try:
            return float(value) > 0
        except ValueError:
            return False
    return False


def _add_vary(response: web.StreamResponse, name: str) -> None:
    present = [value.strip().lower() for value in response.headers.get(hdrs.VARY, "").split(",") if value.strip()]
    if name.lower() not in present and "*" not in present:
        response.headers[hdrs.VARY] = ", ".join([*filter(None, [response.headers.get(hdrs.VARY, "")]), name])


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if not isinstance(response, web.Response) or response.content_type not in COMPRESSIBLE:
        return response
    if hdrs.CONTENT_ENCODING in response.headers or response.status in (204, 304):
        return response
    _add_vary(response, "Accept-Encoding")
    body = response.body
    if isinstance(body, bytes) and len(body) >= MIN_BYTES and accepts_gzip(request.headers.get("Accept-Encoding", "")):
        packer = zlib.compressobj(LEVEL, zlib.DEFLATED, GZIP_WINDOW)
        response.body = packer.compress(body) + packer.flush()
        response.headers[hdrs.CONTENT_ENCODING] = "gzip"
    return response
