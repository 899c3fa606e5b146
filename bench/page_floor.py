"""The lookup page's floor: aiohttp answering every request with one lookup page's bytes and headers, copied once
from a running `fairweigh serve`, with no read and no rendering.
`python bench/page_floor.py PORT PAGE_URL [ACCEPT_ENCODING]`: copied as asked with that Accept-Encoding, so the
floor sends the bytes the lookup sends (gzip when phones ask).

bench/scan_http.py measures it next to hello world and the lookup: what lies between the floor and the lookup
is the scan's own work (reading, rendering, the ETag), what lies between hello world and the floor is aiohttp's
cost of a 6 KB page.
"""

from __future__ import annotations

import sys
import urllib.request

from aiohttp import web

# Set by aiohttp itself on every response; copying them would send them twice.
_OWN_HEADERS = {"content-length", "content-type", "date", "server", "connection", "transfer-encoding"}


def main() -> None:
    port, page_url = int(sys.argv[1]), sys.argv[2]
    accept_encoding = sys.argv[3] if len(sys.argv) > 3 else ""
    asked = urllib.request.Request(page_url, headers={"Accept-Encoding": accept_encoding} if accept_encoding else {})
    with urllib.request.urlopen(asked, timeout=10) as copied:
        body = copied.read()
        headers = {name: value for name, value in copied.headers.items() if name.lower() not in _OWN_HEADERS}

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8", headers=headers)

    app = web.Application()
    app.router.add_get("/{path:.*}", page)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
