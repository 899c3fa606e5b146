"""What an operator watches, in the Prometheus format (prometheus-client): the counters and histograms a process
keeps, and the middleware that counts its answers.

Each application (and the worker) has its own registry, so tests and several apps in one process never mix counts.
Labels are chosen from closed sets — a route's pattern (``/i/{code}``, never the path a client sent), a method, a
status, a channel, an intent, a category — so nothing a person typed or is identified by becomes a label, and the
number of series stays bounded. The gauges read from the database at scrape time live in :mod:`web.ops.scrape`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import generate_latest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The `_created` series (when each child was first used) double what a scrape carries and no alert reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]  # the library leaves it unannotated

# The lookup's two routes: a scan's latency is what a shopper waits for, so it alone gets a histogram.
SCAN_ROUTES = frozenset({"/i/{code}", "/api/v1/instruments/{code}"})
SCAN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route answered (404/405): the path a client made up is not a label


class Metrics:
    """The instruments of one process; an application holds one when FAIRWEIGH_METRICS_* turns metrics on."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.responses = Counter(
            "fairweigh_http_responses",
            "HTTP answers by route pattern, method and status code.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.scan_seconds = Histogram(
            "fairweigh_scan_seconds",
            "Time to answer a scan (lookup page or JSON), from the request to the response, in seconds.",
            ["route"],
            buckets=SCAN_BUCKETS,
            registry=registry,
        )
        self.intake = Counter(
            "fairweigh_intake",
            "Messages taken by intake, by channel and the intent and category they were given.",
            ["channel", "intent", "category"],
            registry=registry,
        )
        self.triage = Counter(
            "fairweigh_intake_triage",
            "Messages intake sent to a person to triage (classifier confidence under the threshold), by channel.",
            ["channel"],
            registry=registry,
        )
        self.dialogue = Counter(
            "fairweigh_dialogue_messages",
            "Chat messages handled, by channel and delivery: first, or a platform's repeat of one already handled.",
            ["channel", "delivery"],
            registry=registry,
        )
        self.deliveries = Counter(
            "fairweigh_outbox_deliveries",
            "Outbox sends by channel and outcome: sent, error (tried again later), refused (given up), timeout.",
            ["channel", "outcome"],
            registry=registry,
        )
        self.outbox_due = Gauge(
            "fairweigh_outbox_due", "Outbox rows due now and not yet sent, by channel.", ["channel"], registry=registry
        )
        self.outbox_oldest_due = Gauge(
            "fairweigh_outbox_oldest_due_seconds",
            "How long the oldest due outbox row has been waiting, by channel (0 when none is due).",
            ["channel"],
            registry=registry,
        )
        self.outbox_failed = Gauge(
            "fairweigh_outbox_failed",
            "Outbox rows given up on (failed, kept for a person to look at), by channel.",
            ["channel"],
            registry=registry,
        )
        self.dialogue_flooding = Gauge(
            "fairweigh_dialogue_flooding_users",
            "Chat users over the per-minute message limit now (a burst: answered once, the rest not taken).",
            registry=registry,
        )
        self.ready = Gauge(
            "fairweigh_ready",
            "1 when this process reads its database at a schema it can run on, else 0.",
            registry=registry,
        )
        # Children by their labels, looked up once: labels() takes a lock and builds a tuple on every call.
        self._answers: dict[tuple[str, str, int], Counter] = {}
        self._scans: dict[str, Histogram] = {}

    def answered(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one HTTP answer (and time it, for a scan)."""
        key = (route, method, status)
        child = self._answers.get(key)
        if child is None:
            child = self._answers[key] = self.responses.labels(route, method, str(status))
        child.inc()
        if route in SCAN_ROUTES:
            histogram = self._scans.get(route)
            if histogram is None:
                histogram = self._scans[route] = self.scan_seconds.labels(route)
            histogram.observe(seconds)

    def taken(self, channel: str, intent: str, category: str, *, triage: bool) -> None:
        self.intake.labels(channel, intent, category).inc()
        if triage:
            self.triage.labels(channel).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def route_pattern(request: web.Request) -> str:
    """The pattern of the route that answered (``/i/{code}``), or ``unmatched``."""
    match_info = request.match_info
    if match_info.http_exception is not None:
        return UNMATCHED
    resource = match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


def counting(metrics: Metrics) -> Middleware:
    """The outermost middleware: every answer, including the error pages the inner middlewares make, is counted
    with its final status."""

    @web.middleware
    async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500  # an exception that escapes every middleware becomes aiohttp's 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            method = request.method if request.method in METHODS else "other"
            metrics.answered(route_pattern(request), method, status, time.perf_counter() - started)

    return count
