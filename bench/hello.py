"""aiohttp's own hello world, the yardstick for bench/scan_http.py: `python bench/hello.py [port]`."""

from __future__ import annotations

import sys

from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, World")


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    app = web.Application()
    app.router.add_get("/", hello)
    # run_app's defaults, as aiohttp's docs show it: nothing configures logging here, so the access
    # logger is below INFO and aiohttp skips it (unlike `fairweigh serve`, which logs every request).
    web.run_app(app, host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
