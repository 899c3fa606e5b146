"""`fairweigh worker`: delivers the outbox with the senders this deployment has configured, forgets old bot message
ids, reminds shoppers of stories they left untold, queues merchants' verification reminders, and purges personal
data that is due every night."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import aiohttp
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels import telegram_updates, wechat
from bot.outbound.reminders import Address, remind_unfinished
from bot.service import prune_inbound
from complaints.deadlines.calendar_store import load_calendar
from complaints.deadlines.case_deadlines import DeadlineRules
from complaints.merchants.reminders import queue_reminders
from complaints.merchants.texts import MerchantSmsTexts
from complaints.odr import cases as odr_cases
from complaints.outbox import mail, sms
from complaints.outbox.delivery import announced_off, run_worker
from complaints.outbox.enqueue import UPSTREAM
from complaints.outbox.mail import MailSender, SmtpServer
from complaints.outbox.senders import Sender
from complaints.outbox.sms import SmsProvider, SmsSender, SmsTemplates
from complaints.outbox.sms_aliyun import AliyunSms
from complaints.outbox.sms_tencent import TencentSms
from complaints.outbox.upstream import UpstreamSender
from complaints.outbox.wecom import WeComSender
from complaints.reporting.digest import WECOM, queue_digests
from lookup.pages.bulk import render_night
from web.db import create_engine, for_writing, require_current_schema
from web.http.cache import seconds_to_midnight
from web.nightly import night_due, run_night_once
from web.ops.metrics import Metrics
from web.ops.purge import purge_nightly
from web.ops.scrape import counted_senders, listener
from web.render.stored import scan_pages
from web.settings import Settings
from web.views.bots import telegram as telegram_hook
from web.views.bots import wechat as wechat_hook

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 30
INBOUND_KEPT = timedelta(days=7)  # platforms redeliver within minutes; a week is generous
PRUNE_EVERY_SECONDS = 3600
WARNINGS_CHECK_SECONDS = 900  # how often a worker looks whether tonight's early warning has run
REMINDERS_EVERY_SECONDS = 3600  # how often a worker queues the verification reminders that fell due
UNFINISHED_EVERY_SECONDS = 300  # how often a worker looks for stories left untold (bot/outbound/reminders.py)
# Where each chat channel's sender writes a later answer; a story is reminded only on a channel that can send.
ANSWER_ADDRESSES: dict[str, Address] = {
    telegram_updates.CHANNEL: telegram_updates.answer_address,
    wechat.CHANNEL: wechat.answer_address,
}


@asynccontextmanager
async def configured_senders(settings: Settings, engine: AsyncEngine) -> AsyncIterator[dict[str, Sender]]:
    """Every channel this deployment can deliver to; a channel left out waits in the outbox (and is logged)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)) as session:
        senders: dict[str, Sender] = {}
        text_sender = sms_sender(settings, engine)
        if text_sender is not None:
            senders[sms.CHANNEL] = text_sender
        if settings.mail_enabled:
            senders[mail.CHANNEL] = mail_sender(settings)
        if settings.wecom_webhooks:
            senders[WECOM] = WeComSender(settings.wecom_webhooks, session=session)
        # Settings.announce said which are off, once: their rows wait without a line per row.
        announced_off(channel for channel in (sms.CHANNEL, mail.CHANNEL) if channel not in senders)
        if settings.forwarding_enabled:
            assert settings.upstream_12315_secret is not None
            senders[UPSTREAM] = UpstreamSender(
                url=settings.upstream_12315_url,
                secret=settings.upstream_12315_secret.get_secret_value(),
                engine=engine,
                session=session,
                zone=settings.zone,
                clock=lambda: datetime.now(settings.zone),
            )
        for channel, hook in (("telegram", telegram_hook), ("wechat", wechat_hook)):
            sender = hook.configured_sender(settings, engine, session)
            if sender is not None:
                senders[channel] = sender
        try:
            yield senders
        finally:
            if text_sender is not None:
                text_sender.close()


def sms_sender(settings: Settings, engine: AsyncEngine) -> SmsSender | None:
    """The SMS sender through the configured provider, or None while SMS is off (see Settings.announce)."""
    if not settings.sms_enabled:
        return None
    key_id, key_secret = settings.fairweigh_sms_key_id, _secret(settings.fairweigh_sms_key_secret)
    endpoint = settings.fairweigh_sms_endpoint
    provider: SmsProvider
    if settings.fairweigh_sms_provider == "aliyun":
        provider = AliyunSms(
            key_id=key_id,
            key_secret=key_secret,
            sign_name=settings.fairweigh_sms_sign_name,
            **({"endpoint": endpoint} if endpoint else {}),
        )
    else:
        provider = TencentSms(
            secret_id=key_id,
            secret_key=key_secret,
            app_id=settings.fairweigh_sms_app_id,
            sign_name=settings.fairweigh_sms_sign_name,
            **({"region": settings.fairweigh_sms_region} if settings.fairweigh_sms_region else {}),
            **({"endpoint": endpoint} if endpoint else {}),
        )
    templates = SmsTemplates(
        received=settings.fairweigh_sms_template_received,
        update=settings.fairweigh_sms_template_update,
        closed=settings.fairweigh_sms_template_closed,
        merchant_link=settings.fairweigh_sms_template_merchant_link,
        reminder=settings.fairweigh_sms_template_reminder,
    )
    merchants = MerchantSmsTexts(engine, settings.secret())
    return SmsSender(provider, templates, secret=settings.secret(), merchants=merchants)


def mail_sender(settings: Settings) -> MailSender:
    server = SmtpServer(
        host=settings.fairweigh_smtp_host,
        port=settings.fairweigh_smtp_port,
        security=settings.fairweigh_smtp_security,
        username=settings.fairweigh_smtp_username,
        password=_secret(settings.fairweigh_smtp_password),
    )
    return MailSender(server, sender=settings.fairweigh_mail_from)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


async def work(settings: Settings, stop: asyncio.Event) -> None:
    settings.announce()
    engine = create_engine(settings.async_database_url)
    try:
        await require_current_schema(engine)
        async with configured_senders(settings, engine) as senders:
            # The worker's own counts (sends by outcome) are served on FAIRWEIGH_METRICS_LISTEN, when set.
            metrics = Metrics() if settings.metrics_listen is not None else None
            senders = counted_senders(senders, metrics)
            worker_id = f"{socket.gethostname()}:{os.getpid()}"
            log.info("fairweigh worker %s delivering: %s", worker_id, ", ".join(sorted(senders)) or "no channel yet")
            pruning = asyncio.create_task(_prune_message_ids(engine, stop))
            warning = asyncio.create_task(_early_warning(engine, settings, stop, worker_id))
            purging = asyncio.create_task(purge_nightly(engine, settings, stop, lambda: datetime.now(settings.zone)))
            reminding = asyncio.create_task(_verification_reminders(engine, settings, stop))
            digests = asyncio.create_task(_digests(engine, settings, stop))
            odr = asyncio.create_task(_odr_hand_overs(engine, settings, stop))
            pages = asyncio.create_task(_render_pages_nightly(engine, settings, stop))
            addresses = {channel: address for channel, address in ANSWER_ADDRESSES.items() if channel in senders}
            unfinished = asyncio.create_task(_unfinished_stories(engine, settings, stop, addresses))
            try:
                async with listener(settings.metrics_listen, metrics, engine, lambda: datetime.now(settings.zone)):
                    await run_worker(
                        for_writing(engine),
                        senders,
                        clock=lambda: datetime.now(settings.zone),
                        stop=stop,
                        worker_id=worker_id,
                    )
            finally:
                # Awaited before the engine is disposed: a prune cut off mid-statement must give its connection
                # back first, or its driver thread outlives the pool and the process does not exit.
                for task in (pruning, warning, purging, reminding, digests, odr, pages, unfinished):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
    finally:
        await engine.dispose()


async def _render_pages_nightly(engine: AsyncEngine, settings: Settings, stop: asyncio.Event) -> None:
    """At local midnight (and at start), render again the scan pages whose status or countdown changes today (a
    scan before then renders its own page), then the pages an earlier release made (served until then), then the
    ones missing."""
    maker = scan_pages(settings)
    while not stop.is_set():
        now = datetime.now(settings.zone)
        try:
            past, missing = await render_night(for_writing(engine), maker, now.date())
            if past or missing:
                log.info("rendered %d scan pages whose day had passed or of an earlier release, %d missing", past,
                         missing)  # fmt: skip
        except Exception:
            log.exception("rendering the scan pages whose day had passed failed; trying again at midnight")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds_to_midnight(datetime.now(settings.zone)) + 1)


async def _every(seconds: float, stop: asyncio.Event, job: Callable[[], Awaitable[None]], what: str) -> None:
    """Run ``job`` now and then every ``seconds`` until ``stop``; a failure is logged (``what`` failed) and the job
    is tried again at its next turn, never ending the loop."""
    while not stop.is_set():
        try:
            await job()
        except Exception:
            log.exception("%s failed; trying again in %d s", what, seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


async def _prune_message_ids(engine: AsyncEngine, stop: asyncio.Event) -> None:
    """Forget the ids of bot messages after a week, hourly; several workers doing it at once is harmless."""

    async def prune() -> None:
        pruned = await prune_inbound(engine, before=datetime.now(UTC) - INBOUND_KEPT)
        if pruned:
            log.info("forgot %d bot message ids older than %s", pruned, INBOUND_KEPT)

    await _every(PRUNE_EVERY_SECONDS, stop, prune, "pruning bot message ids")


async def _early_warning(engine: AsyncEngine, settings: Settings, stop: asyncio.Event, worker_id: str) -> None:
    """Each night after 02:00 compare yesterday's figures (web/nightly.py); the first worker to look runs it."""

    async def warn() -> None:
        now = datetime.now(settings.zone)
        day = night_due(now)
        if day is not None:
            result = await run_night_once(engine, day, zone=settings.zone, now=now, worker=worker_id)
            if result.ran:
                log.info("early warning for %s: %d raised, %d still rising, %d subsided", day, result.raised,
                         result.refreshed, result.subsided)  # fmt: skip

    await _every(WARNINGS_CHECK_SECONDS, stop, warn, "the early warning run")


async def _verification_reminders(engine: AsyncEngine, settings: Settings, stop: asyncio.Event) -> None:
    """Hourly, queue the reminders of instruments whose verification ends in 30 or 7 days
    (complaints/merchants/reminders.py); with several workers each reminder is still queued once."""

    async def remind() -> None:
        now = datetime.now(settings.zone)
        async with for_writing(engine).begin() as connection:
            queued = await queue_reminders(connection, today=now.date(), now=now)
        if queued:
            log.info("queued %d verification reminders for merchants", queued)

    await _every(REMINDERS_EVERY_SECONDS, stop, remind, "queueing verification reminders")


async def _unfinished_stories(
    engine: AsyncEngine, settings: Settings, stop: asyncio.Event, addresses: dict[str, Address]
) -> None:
    """Every five minutes, remind the shoppers who stopped half-way through a story that it was not submitted."""
    if not addresses:
        return

    async def remind() -> None:
        now = datetime.now(settings.zone)
        sent = await remind_unfinished(engine, for_writing(engine), now=now, addresses=addresses)
        if sent:
            log.info("reminded %d shopper(s) of stories not yet submitted", sent)

    await _every(UNFINISHED_EVERY_SECONDS, stop, remind, "reminding of unfinished stories")


def digest_due(now: datetime, *, hour: int) -> date | None:
    """The day whose morning digest is due at ``now`` (local): today, from the configured hour on."""
    return now.date() if now.hour >= hour else None


async def _digests(engine: AsyncEngine, settings: Settings, stop: asyncio.Event) -> None:
    """From FAIRWEIGH_DIGEST_HOUR on, queue the day's digest of every station with a robot or an address; each
    worker looks every quarter of an hour and the idempotency key keeps it to one per station and day."""
    robots, mailboxes = list(settings.wecom_webhooks), settings.digest_emails
    if not robots and not mailboxes:
        return

    async def queue() -> None:
        now = datetime.now(settings.zone)
        day = digest_due(now, hour=settings.fairweigh_digest_hour)
        if day is not None:
            queued = await queue_digests(
                for_writing(engine), day, zone=settings.zone, now=now, base_url=settings.public_base_url,
                robots=robots, mailboxes=mailboxes,
            )  # fmt: skip
            if queued:
                log.info("queued %d station digest(s) for %s", queued, day)

    await _every(WARNINGS_CHECK_SECONDS, stop, queue, "queueing the station digests")


async def hand_over_late_odr(engine: AsyncEngine, settings: Settings, now: datetime) -> int:
    """Hand to the station every ODR case its merchant did not settle in time (complaints/odr/cases.py); each case
    once, however many workers run it together (the conditional update of its outcome decides)."""
    async with engine.connect() as connection:
        calendar = await load_calendar(connection)
    rules = DeadlineRules(calendar, settings.deadlines, settings.zone)
    async with for_writing(engine).begin() as connection:
        return await odr_cases.hand_over_due(connection, now=now, rules=rules)


async def _odr_hand_overs(engine: AsyncEngine, settings: Settings, stop: asyncio.Event) -> None:
    async def hand_over() -> None:
        handed = await hand_over_late_odr(engine, settings, datetime.now(settings.zone))
        if handed:
            log.info("handed %d ODR cases not settled in time to their stations", handed)

    await _every(REMINDERS_EVERY_SECONDS, stop, hand_over, "handing over late ODR cases")


def run(settings: Settings) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await work(settings, stop)

    asyncio.run(main())
