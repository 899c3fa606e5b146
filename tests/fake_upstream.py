"""A stand-in for the upstream 12315 receiver, speaking the protocol of complaints.outbox.upstream over real HTTP.

Serve ``FakeUpstream(secret).app()`` with pytest-aiohttp's ``aiohttp_server``. Faults are queued: the next
requests fail with a status, or hang past the client's timeout (optionally after storing, as a receiver that
committed but whose answer was lost).
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from complaints.outbox.upstream import SIGNATURE_HEADER, SIGNATURE_PREFIX, TIMESTAMP_HEADER, sign

PATH = "/12315/forward"


@dataclass(frozen=True)
class _Fault:
    status: int = 500  # the answer, for failures
    hang: float = 0.0  # seconds to sleep instead of answering promptly
    store_first: bool = False  # a hang that stores the document before sleeping


@dataclass
class FakeUpstream:
    secret: str
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Idempotency-Key, stored once
    deliveries: Counter[str] = field(default_factory=Counter)  # well-signed requests per key, repeats included
    requests: int = 0  # every request, faults and refusals included
    rejected_signatures: int = 0
    _faults: deque[_Fault] = field(default_factory=deque)

    def fail_next(self, count: int, status: int = 500) -> None:
        self._faults.extend(_Fault(status=status) for _ in range(count))

    def hang_next(self, count: int, *, seconds: float = 30.0, store_first: bool = False) -> None:
        self._faults.extend(_Fault(hang=seconds, store_first=store_first) for _ in range(count))

    def recover(self) -> None:
        self._faults.clear()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(PATH, self._forward)
        return app

    def _store(self, key: str, body: bytes) -> int:
        self.deliveries[key] += 1
        if key in self.documents:
            return 200  # a retry of something already stored: acknowledged, not stored twice
        self.documents[key] = json.loads(body)
        return 201

    async def _forward(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        fault = self._faults.popleft() if self._faults else None
        if fault is not None and not fault.hang:
            return web.Response(status=fault.status, text="upstream trouble")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        expected = SIGNATURE_PREFIX + sign(self.secret, timestamp, body)
        if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER, ""), expected):
            self.rejected_signatures += 1
            return web.Response(status=401, text="bad signature")
        key = request.headers.get("Idempotency-Key", "")
        if not key or json.loads(body).get("ref") != key:
            return web.Response(status=400, text="Idempotency-Key must be the document's ref")
        if fault is not None:
            if fault.store_first:
                self._store(key, body)
            # The test server cancels this when the client gives up and disconnects.
            await asyncio.sleep(fault.hang)
            return web.Response(status=503, text="too late")
        return web.json_response({"ref": key}, status=self._store(key, body))
