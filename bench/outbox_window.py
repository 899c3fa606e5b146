"""How long a forward stays answered-but-unrecorded: the window in which a killed worker causes a second send.

`python bench/outbox_window.py POSTGRES_URL [--rows N] [--answer-ms MS]`

On an empty PostgreSQL database (its public schema is dropped and migrated again), N forwards are queued and one
worker round (deliver_due) sends them to a fake 12315 receiver (tests/fake_upstream.py) on loopback that answers
each after MS milliseconds. The receiver notes the wall-clock moment it answered each key; a trigger notes the
moment each row turned `sent`. Prints p50/p95/max of the difference, and the whole round's time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import sqlalchemy as sa
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from complaints.outbox.delivery import deliver_due
from complaints.outbox.upstream import UpstreamSender
from tests.fake_upstream import PATH, FakeUpstream
from tests.outbox_support import queue_cases
from web.db import create_engine, for_writing, upgrade

SECRET = "bench-secret"
TRIGGER = (
    "CREATE TABLE sent_at_bench (id integer PRIMARY KEY, at double precision)",
    "CREATE FUNCTION note_sent() RETURNS trigger AS $$ BEGIN IF NEW.status = 'sent' THEN"
    " INSERT INTO sent_at_bench VALUES (NEW.id, extract(epoch FROM clock_timestamp())) ON CONFLICT DO NOTHING;"
    " END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER note_sent AFTER UPDATE ON outbox FOR EACH ROW EXECUTE FUNCTION note_sent()",
)


class TimedUpstream(FakeUpstream):
    def __init__(self, delay: float) -> None:
        super().__init__(SECRET)
        self.delay = delay
        self.answered: dict[str, float] = {}

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/answered", self._answered)
        return app

    async def _answered(self, request: web.Request) -> web.Response:
        return web.json_response(self.answered)

    async def _forward(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay)
        answer = await super()._forward(request)
        self.answered[request.headers["Idempotency-Key"]] = time.time()
        return answer


def serve_receiver(port: int, delay: float) -> None:
    """The receiver in a process of its own, as a real one would be: it shares no event loop with the worker."""
    web.run_app(TimedUpstream(delay).app(), host="127.0.0.1", port=port, print=None)


async def main(url: str, rows: int, answer_ms: int) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await upgrade(engine)
    async with engine.begin() as connection:
        for statement in TRIGGER:
            await connection.exec_driver_sql(statement)
    cases = await queue_cases(engine, rows)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = multiprocessing.Process(target=serve_receiver, args=(port, answer_ms / 1000), daemon=True)
    receiver.start()
    await asyncio.sleep(1.5)
    async with aiohttp.ClientSession() as session:
        sender = UpstreamSender(
            url=f"http://127.0.0.1:{port}{PATH}",
            secret=SECRET,
            engine=engine,
            session=session,
            zone=UTC,
            clock=lambda: datetime.now(UTC),
        )
        started = time.perf_counter()
        await deliver_due(for_writing(engine), {"upstream": sender}, now=datetime.now(UTC), worker_id="bench")
        elapsed = time.perf_counter() - started
        async with session.get(f"http://127.0.0.1:{port}/answered") as answer:
            answered: dict[str, float] = await answer.json()
    receiver.terminate()
    async with engine.connect() as connection:
        noted = dict((await connection.execute(sa.text("SELECT id, at FROM sent_at_bench"))).all())
        refs = dict(
            (
                await connection.execute(
                    sa.text("SELECT o.id, c.ref FROM outbox o JOIN complaint c ON c.id = o.complaint_id")
                )
            ).all()
        )
    await engine.dispose()
    windows = sorted((noted[i] - answered[refs[i]]) * 1000 for i in noted)
    assert len(windows) == len(cases), (len(windows), len(cases))
    p95 = windows[min(len(windows) - 1, int(len(windows) * 0.95))]
    print(f"{rows} forwards, receiver answers after {answer_ms} ms; round {elapsed * 1000:.0f} ms")
    print(
        f"answered → recorded sent: p50 {statistics.median(windows):.1f} ms, p95 {p95:.1f} ms, max {windows[-1]:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--answer-ms", type=int, default=100)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.url, arguments.rows, arguments.answer_ms))
