"""What a scan costs with nothing of the service's web stack around the store: `python bench/scan_lean.py PORT`.

A bare aiohttp application with the two scan routes, no middleware, no signals, no other routes, reading the same
stored pages through the same reader (web/scan_readers.py) and re-dating them with the same code (lookup/pages),
with the headers `fairweigh serve` sends written out once. Pages missing or past their day are answered 404 here
(bench/scan_http.py renders every page first). bench/scan_http.py --lean measures it beside the real lookup: the gap
between the two is what the service's routing, middleware and negotiation cost; the gap between this and the floor
is the store's read.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from qr.codes import normalise_code
from web.http.cache import Freshness
from web.http.compression import accepts_gzip
from web.scan_readers import SqliteScanReader
from web.settings import Settings


def main() -> None:
    port = int(sys.argv[1])
    settings = Settings()
    zone = settings.zone
    freshness = Freshness(lambda: datetime.now(zone), settings.fairweigh_lookup_max_age)
    database = settings.async_database_url.partition(":///")[2]
    reader = SqliteScanReader(database)
    fixed = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
             "Content-Security-Policy": "default-src 'none'"}  # fmt: skip

    async def scan(request: web.Request, language: str, format: str, content_type: str) -> web.Response:
        code = normalise_code(request.match_info["code"])
        today, max_age = freshness()
        page = await reader.page(code, language, format) if code else None
        if page is None or not page.true_on(today):
            raise web.HTTPNotFound()
        packed = page.as_of(today)
        headers = {**fixed, "ETag": packed.etag, "Cache-Control": f"public, max-age={max_age}",
                   "Vary": "Accept-Language, Accept-Encoding", "Content-Type": content_type}  # fmt: skip
        if accepts_gzip(request.headers.get("Accept-Encoding", "")):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=packed.gzipped, headers=headers)
        return web.Response(body=packed.body(), headers=headers)

    async def page(request: web.Request) -> web.Response:  # in Chinese, as the benchmark asks
        return await scan(request, "zh", "html", "text/html; charset=utf-8")

    async def card(request: web.Request) -> web.Response:
        return await scan(request, "", "json", "application/json; charset=utf-8")

    app = web.Application()
    app.router.add_get("/i/{code}", page)
    app.router.add_get("/api/v1/instruments/{code}", card)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
