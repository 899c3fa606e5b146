"""A stand-in for WeCom's group robot webhook (``POST /cgi-bin/webhook/send?key=…``), speaking its JSON protocol.

Serve ``FakeWeCom().app()`` with ``aiohttp_server``; each key is one robot. The next answers can be queued as
error codes; a key that is not known answers 93000 as WeCom does.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PATH = "/cgi-bin/webhook/send"


@dataclass
class FakeWeCom:
    keys: set[str] = field(default_factory=lambda: {"south-robot-key"})
    posted: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # markdown by key
    _codes: deque[int] = field(default_factory=deque)

    def answer_next(self, *codes: int) -> None:
        self._codes.extend(codes)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(PATH, self._send)
        return app

    async def _send(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        body: dict[str, Any] = await request.json()
        if key not in self.keys:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        if self._codes:
            return web.json_response({"errcode": self._codes.popleft(), "errmsg": "refused"})
        if body.get("msgtype") != "markdown" or not body.get("markdown", {}).get("content"):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        self.posted[key].append(body["markdown"]["content"])
        return web.json_response({"errcode": 0, "errmsg": "ok"})
