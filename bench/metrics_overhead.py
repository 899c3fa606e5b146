"""What the metrics middleware adds to one request, measured in process (µs per request).

`python bench/metrics_overhead.py [--requests N]`

wrk runs of `bench/scan_http.py --metrics on|off` on a shared two-core machine vary by more than the middleware
costs, so this times the middleware itself: the same resolved request for `/i/{code}` (the scan route, which also
feeds the latency histogram) handed to a handler that returns at once, with and without the middleware around
it, alternately, several rounds; the difference is the middleware's cost per scan.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from web.ops.metrics import Metrics, counting

ROUNDS = 7


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200_000)
    args = parser.parse_args()

    async def handler(request: web.Request) -> web.StreamResponse:
        return answer

    answer = web.Response(text="ok")
    app = web.Application()
    app.router.add_get("/i/{code}", handler)
    request = make_mocked_request("GET", "/i/7K3MQ9XR4P", app=app)
    match_info = await app.router.resolve(request)
    match_info.add_app(app)
    request._match_info = match_info  # what aiohttp's request handler sets before the middlewares run
    count = counting(Metrics())

    async def bare() -> None:
        for _ in range(args.requests):
            await handler(request)

    async def counted() -> None:
        for _ in range(args.requests):
            await count(request, handler)

    timings: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(ROUNDS):
        for label, loop in (("without", bare), ("with", counted)):
            started = time.perf_counter()
            await loop()
            timings[label].append((time.perf_counter() - started) / args.requests * 1e6)
    without, with_ = statistics.median(timings["without"]), statistics.median(timings["with"])
    print(f"per request, median of {ROUNDS} rounds of {args.requests:,}:")
    print(f"  handler alone          {without:6.2f} µs")
    print(f"  with the middleware    {with_:6.2f} µs")
    print(f"  the middleware costs   {with_ - without:6.2f} µs per scan")


if __name__ == "__main__":
    asyncio.run(main())
