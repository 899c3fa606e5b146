"""Intake as the web process runs it: the classifier loaded once, registry names and holiday schedules kept
warm, configuration turned into policy. Every channel (form, JSON API, bots) submits through here."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.classify import Classification, Classifier
from complaints.deadlines.calendar_store import load_calendar
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.deadlines.working_days import WorkingCalendar
from complaints.intake import prepare, store
from complaints.new_case import IntakePolicy, Prepared
from complaints.receipt import Receipt
from complaints.routing import NameIndex, PlaceKind, load_name_index, pinyin_reader, route_by_text
from complaints.submission import Submission
from lookup.scan import InstrumentCard
from web.db import open_transactions
from web.ops.metrics import Metrics
from web.settings import Settings

log = logging.getLogger(__name__)

# Registry names and holiday schedules change by import, rarely; each process re-reads them this often, so an
# import reaches every process of a deployment within a minute without a restart.
REFERENCE_TTL_SECONDS = 60.0


def intake_policy(settings: Settings) -> IntakePolicy:
    return IntakePolicy(
        deadlines=settings.deadlines, forward_upstream=settings.forwarding_enabled, hotline=settings.fairweigh_hotline
    )


# One model per process, however many applications it builds (tests build one per test).
_load_classifier = functools.cache(Classifier.load)


def _load_for_intake() -> Classifier:
    pinyin_reader()  # the first registry index reads markets' names in pinyin: its dictionaries load here too
    return _load_classifier()


class ClassifierLoader:
    """Loads the model, jieba's dictionary and pypinyin's (about a second) once per process, in a thread, from
    start-up."""

    def __init__(self) -> None:
        self._task: asyncio.Future[Classifier] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(asyncio.to_thread(_load_for_intake))

    async def get(self) -> Classifier:
        self.start()
        assert self._task is not None
        return await asyncio.shield(self._task)


class ReferenceData:
    """Registry names (for routing by text) and the working calendar, re-read after ``ttl`` seconds."""

    def __init__(self, engine: AsyncEngine, ttl: float = REFERENCE_TTL_SECONDS) -> None:
        self._engine = engine
        self._ttl = ttl
        self._loaded_at = -float("inf")
        self._value: tuple[NameIndex, WorkingCalendar] | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> tuple[NameIndex, WorkingCalendar]:
        if self._value is not None and time.monotonic() - self._loaded_at < self._ttl:
            return self._value
        async with self._lock:
            if self._value is None or time.monotonic() - self._loaded_at >= self._ttl:
                async with self._engine.connect() as connection:
                    self._value = (await load_name_index(connection), await load_calendar(connection))
                self._loaded_at = time.monotonic()
        return self._value


class IntakeService:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        self.transactions = open_transactions(settings.async_database_url, engine)
        self._settings = settings
        self._clock = clock
        self.policy = intake_policy(settings)
        self.classifier = ClassifierLoader()
        self.reference = ReferenceData(engine)
        self._secret = settings.secret()
        self._metrics = metrics

    async def submit(self, submission: Submission, card: InstrumentCard | None) -> Receipt:
        prepared = await self.prepare(submission, card)
        return await self.transactions.run(functools.partial(store, prepared=prepared))

    async def prepare(self, submission: Submission, card: InstrumentCard | None) -> Prepared:
        """Intake's work before its transaction, for a caller that stores the case in a transaction of its own."""
        classifier = await self.classifier.get()
        names, calendar = await self.reference.get()
        prepared = prepare(
            submission,
            classifier=classifier,
            card=card,
            names=names,
            calendar=calendar,
            policy=self.policy,
            secret=self._secret,
            now=self._clock(),
            zone=self._settings.zone,
        )
        if self._metrics is not None:
            # Counted where every channel's message is classified (a chat turn stores it in its own transaction).
            reading = prepared.classification
            self._metrics.taken(submission.channel, reading.intent, reading.category, triage=reading.needs_triage)
        return prepared

    async def classify(self, text: str) -> tuple[str, str]:
        classification = await self.reading(text)
        return classification.intent, classification.category

    async def place_named(self, text: str) -> str | None:
        """The registry's merchant or market named in ``text`` (a merchant before a market), as routing finds it."""
        names, _ = await self.reference.get()
        found = names.find(text)
        merchants = [name for name, place in found if place.kind is PlaceKind.merchant]
        names_found = merchants or [name for name, _ in found]
        return names_found[0] if names_found else None

    async def place_beginning(self, head: str) -> str | None:
        """The name of the one market (else merchant) whose name begins with ``head`` (东街 → 东街菜市场)."""
        names, _ = await self.reference.get()
        found = names.place_beginning(head)
        return found[0] if found is not None else None

    async def market_named(self, text: str) -> int | None:
        """The id of the market ``text`` names, or of the market of the merchant it names (None: neither)."""
        names, _ = await self.reference.get()
        return next((place.market_id for _, place in names.find(text) if place.market_id is not None), None)

    async def reading(self, text: str) -> Classification:
        """The classifier's whole reading, with its confidence in each head."""
        return (await self.classifier.get()).classify(text)

    async def merchant_routed(self, text: str, category: str) -> int | None:
        """The merchant a case of these words (without an instrument) would be routed to, as intake routes it."""
        names, _ = await self.reference.get()
        return route_by_text(text, category, names).merchant_id

    async def deadline_rules(self) -> DeadlineRules:
        """The working calendar and deadline policy a case's step is counted with."""
        _, calendar = await self.reference.get()
        return DeadlineRules(calendar, self.policy.deadlines, self._settings.zone)

    async def close(self) -> None:
        await self.transactions.close()
