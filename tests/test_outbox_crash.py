"""A worker killed after the receiver answered and before "sent" was recorded: the one row in that window is sent
again by the next worker once the lease ends, every other row exactly once — on PostgreSQL, with `fairweigh
worker` as a real process and SIGKILL.

The window is made to last: when the receiver takes the chosen message it locks that outbox row in a transaction
of the test's own before answering, so the worker's record waits on the lock; the worker is then killed.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from complaints.cases import take_action
from complaints.models import ComplaintContact, OutboxMessage, OutboxStatus
from complaints.outbox.delivery import LEASE, deliver_due
from complaints.outbox.enqueue import UPSTREAM
from complaints.outbox.senders import Sender
from complaints.workflow import Role
from lookup.models import table_of
from tests.fake_upstream import PATH, FakeUpstream
from tests.fake_wechat import ACCOUNT_TEXT, FakeWeChat, file_case, push, wechat
from tests.outbox_support import worker_process
from web.app import create_app
from web.db import for_writing
from web.settings import Settings
from web.worker import configured_senders

outbox_t, contact_t = table_of(OutboxMessage), table_of(ComplaintContact)
SECRET = "shared-12315-key"
TEXT = "菜市场卖菜的秤短斤少两，少了一斤多，要求退款"
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


class RowLock:
    """Holds a lock on one outbox row from the moment the receiver has taken its message until released."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self.held = asyncio.Event()

    async def take(self, *, key: str | None = None, message_id: int | None = None) -> None:
        where = outbox_t.c.idempotency_key == key if key is not None else outbox_t.c.id == message_id
        self._connection = await self._engine.connect()
        await self._connection.begin()
        await self._connection.execute(sa.select(outbox_t.c.id).where(where).with_for_update())
        self.held.set()

    async def release(self) -> None:
        if self._connection is not None:
            await self._connection.rollback()
            await self._connection.close()


async def rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(sa.select(outbox_t).order_by(outbox_t.c.id)))


async def wait_for(condition: Any, seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():  # noqa: ASYNC110 - the worker is another process
            await asyncio.sleep(0.05)


async def kill_in_the_window(process: asyncio.subprocess.Process, lock: RowLock) -> None:
    """Once the locked row's message is answered, SIGKILL the worker."""

    async def answered() -> bool:
        return lock.held.is_set()

    try:
        await wait_for(answered)
        await asyncio.sleep(0.3)  # the worker has the answer and waits on the lock to record it
        process.send_signal(signal.SIGKILL)
        await process.wait()
    finally:  # a failed wait must not leave the row locked: the next test's reset would wait on it for ever
        await lock.release()


async def take_over(settings: Settings, engine: AsyncEngine) -> int:
    """The next worker, once the dead one's lease has ended."""
    later = datetime.now(UTC) + LEASE + timedelta(seconds=1)
    senders: dict[str, Sender]
    async with configured_senders(settings, engine) as senders:
        return await deliver_due(for_writing(engine), senders, now=later, worker_id="next")


async def test_an_upstream_forward_is_sent_again_only_when_its_worker_died_before_recording_it(
    aiohttp_client: Any, aiohttp_server: Any, settings: Settings, engine: AsyncEngine
) -> None:
    lock = RowLock(engine)
    refs: list[str] = []

    class LockingUpstream(FakeUpstream):
        async def _forward(self, request: web.Request) -> web.Response:
            answer = await super()._forward(request)
            if request.headers.get("Idempotency-Key") == refs[-1] and not lock.held.is_set():
                await lock.take(key=f"{refs[-1]}:forward")
            return answer

    fake = LockingUpstream(SECRET)
    upstream: TestServer = await aiohttp_server(fake.app())
    configured = settings.model_copy(
        update={"upstream_12315_url": str(upstream.make_url(PATH)), "upstream_12315_secret": SecretStr(SECRET)}
    )
    client = await aiohttp_client(create_app(configured))
    for n in range(3):
        response = await client.post("/api/v1/complaints", json={"text": f"{TEXT}（第{n + 1}次）", "contact": {}})
        assert response.status == 201
        refs.append((await response.json())["ref"])
    keys = {row.idempotency_key for row in await rows(engine) if row.channel == UPSTREAM}
    assert f"{refs[-1]}:forward" in keys, keys

    extra = {"UPSTREAM_12315_URL": configured.upstream_12315_url, "UPSTREAM_12315_SECRET": SECRET}
    async with worker_process(configured, extra) as process:
        # The three leave together and their answers are recorded in groups: whether the first two were committed
        # before the locked one or wait in its group depends on timing, so the test counts what was not recorded.
        await kill_in_the_window(process, lock)

    assert fake.deliveries == dict.fromkeys(refs, 1)
    forwards = {
        row.idempotency_key.removesuffix(":forward"): row for row in await rows(engine) if row.channel == UPSTREAM
    }
    unrecorded = {ref for ref in refs if forwards[ref].status == OutboxStatus.pending}
    assert refs[-1] in unrecorded, "the forward answered while its row was locked cannot have been recorded"

    assert await take_over(configured, engine) == len(unrecorded)
    # The second send carries the same Idempotency-Key…
    assert fake.deliveries == {ref: 2 if ref in unrecorded else 1 for ref in refs}
    assert sorted(fake.documents) == sorted(refs)  # …which the receiver stored once
    recorded = [row for row in await rows(engine) if row.channel == UPSTREAM]
    # The dead worker's try left no trace but the claim: attempts count recorded outcomes.
    assert [(row.status, row.attempts, row.claimed_by) for row in recorded] == [(OutboxStatus.sent, 1, "")] * 3


async def test_a_chat_notice_is_repeated_only_when_its_worker_died_before_recording_it(
    aiohttp_client: Any, aiohttp_server: Any, settings: Settings, engine: AsyncEngine
) -> None:
    lock = RowLock(engine)
    openids = [f"oFollower00000000000000000{n:02d}" for n in range(3)]

    class LockingWeChat(FakeWeChat):
        async def _custom(self, request: web.Request) -> web.Response:
            answer = await super()._custom(request)
            if len(self.custom) == len(openids) and not lock.held.is_set():
                # The row of the message being answered now (the worker sends the three at once, in any order).
                async with engine.connect() as connection:
                    answered = await connection.execute(
                        sa.select(outbox_t.c.id)
                        .join(contact_t, contact_t.c.complaint_id == outbox_t.c.complaint_id)
                        .where(contact_t.c.channel_user == self.custom[-1]["touser"])
                    )
                    message_id = answered.scalar_one()
                await lock.take(message_id=message_id)
            return answer

    fake = LockingWeChat()
    server = await aiohttp_server(fake.app())
    configured = wechat(settings, wechat_api_url=str(server.make_url("")).rstrip("/"))
    now = datetime.now(UTC)
    wx = await aiohttp_client(create_app(configured, clock=lambda: now))
    for openid in openids:
        shopper = push(openid)
        shopper.now = now.timestamp()
        await file_case(wx, shopper, ACCOUNT_TEXT)
    async with for_writing(engine).begin() as connection:  # each shopper is told their case was accepted
        case_ids = (await connection.execute(sa.text("SELECT id FROM complaint ORDER BY id"))).scalars().all()
        for case_id in case_ids:
            await take_action(connection, case_id, "accept", role=Role.handler, actor_id=None, facts={}, now=now)
    assert len(await rows(engine)) == len(openids)

    extra = {
        "WECHAT_APP_ID": fake.app_id,
        "WECHAT_APP_SECRET": fake.secret,
        "WECHAT_API_URL": configured.wechat_api_url,
    }
    extra |= {"WECHAT_TOKEN": configured.wechat_token.get_secret_value() if configured.wechat_token else ""}
    async with worker_process(configured, extra) as process:
        # The three are sent at once and their answers recorded in groups (README, "The outbox's second delivery"):
        # whether the answers before the locked one were committed alone or wait in its group depends on timing.
        await kill_in_the_window(process, lock)

    assert sorted(message["touser"] for message in fake.custom) == openids
    unrecorded = [row.complaint_id for row in await rows(engine) if row.status == OutboxStatus.pending]
    assert unrecorded, "the notice answered while its row was locked cannot have been recorded"

    # The next worker repeats exactly the notices whose "sent" was not committed when the worker died.
    assert await take_over(configured, engine) == len(unrecorded)
    told = [message["touser"] for message in fake.custom]
    assert sorted(told[: len(openids)]) == openids  # everyone once
    async with engine.connect() as connection:
        repeated_to = await connection.execute(
            sa.select(contact_t.c.channel_user).where(contact_t.c.complaint_id.in_(unrecorded))
        )
        assert sorted(told[len(openids) :]) == sorted(repeated_to.scalars())
    assert {row.status for row in await rows(engine)} == {OutboxStatus.sent}
