"""`fairweigh worker` and the SMS channel: a shopper who left a mobile number in the web form is texted through the
configured provider; with SMS off the text waits in the outbox and the worker says so once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from aiohttp import FormData
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import OutboxStatus
from complaints.outbox.enqueue import outbox_t
from tests.fake_sms import FakeAliyunSms
from web.app import create_app
from web.settings import Settings

TEXT = "菜市场卖菜的秤短斤少两，少了一斤多，要求退款"
PHONE = "13912345678"


async def complain_by_web_form(aiohttp_client: Any, settings: Settings, clock: Any, text: str = TEXT) -> str:
    """Posts the public form with a name, a mobile number and consent; returns the status page's path."""
    client = await aiohttp_client(create_app(settings, clock=clock))
    form = FormData()
    for name, value in (("code", ""), ("text", text), ("name", "王芳"), ("phone", PHONE), ("consent", "yes")):
        form.add_field(name, value)
    response = await client.post("/complain", data=form, allow_redirects=False)
    assert response.status == 303
    return str(response.headers["Location"])


@asynccontextmanager
async def worker(settings: Settings, extra: Mapping[str, str]) -> AsyncIterator[list[str]]:
    """`fairweigh worker` in its own process; yields the lines it has said so far (read as it runs)."""
    environment = {**os.environ, "DATABASE_URL": settings.database_url, "FAIRWEIGH_SECRET": settings.secret(), **extra}
    for name in list(environment):
        if name.startswith(("FAIRWEIGH_SMS_", "FAIRWEIGH_SMTP_", "UPSTREAM_12315_")) and name not in extra:
            environment.pop(name)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main(['worker']))",
        env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    said: list[str] = []

    async def read() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            said.append(line.decode())

    reading = asyncio.create_task(read())
    try:
        yield said
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await asyncio.wait_for(reading, 10)
    assert process.returncode == 0, "".join(said)


async def test_a_web_form_complaint_with_a_mobile_number_is_texted_its_reference_and_link(
    aiohttp_client: Any, aiohttp_server: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    fake = FakeAliyunSms()
    server = await aiohttp_server(fake.app())
    status_page = await complain_by_web_form(aiohttp_client, settings, clock)
    sms = {
        "FAIRWEIGH_SMS_PROVIDER": "aliyun",
        "FAIRWEIGH_SMS_KEY_ID": fake.key_id,
        "FAIRWEIGH_SMS_KEY_SECRET": "secret",
        "FAIRWEIGH_SMS_SIGN_NAME": "南门市场监管所",
        "FAIRWEIGH_SMS_TEMPLATE_RECEIVED": "SMS_100000001",
        "FAIRWEIGH_SMS_TEMPLATE_UPDATE": "SMS_100000002",
        "FAIRWEIGH_SMS_ENDPOINT": f"http://127.0.0.1:{server.port}",
    }
    async with worker(settings, sms) as said:
        async with asyncio.timeout(60):
            while not fake.sent:  # noqa: ASYNC110 - the worker is another process
                await asyncio.sleep(0.2)

    [text] = fake.sent
    ref = status_page.split("/")[2].split("?")[0]
    assert (text["phone"], text["sign"], text["template"]) == (PHONE, "南门市场监管所", "SMS_100000001")
    # The link the text carries is the very status page the form led to, below the station's address.
    assert text["params"] == {"ref": ref, "link": status_page.removeprefix("/")}
    assert "王芳" not in text["request"]
    assert TEXT not in text["request"]
    async with engine.connect() as connection:
        [row] = (await connection.execute(sa.select(outbox_t))).all()
    assert (row.channel, row.kind, row.status) == ("sms", "received", OutboxStatus.sent)
    assert not [line for line in said if PHONE in line]
    assert any("SMS goes out through aliyun" in line for line in said)


async def test_with_sms_off_the_text_waits_and_the_worker_says_so_once(
    aiohttp_client: Any, settings: Settings, clock: Any, engine: AsyncEngine
) -> None:
    for n in range(3):
        await complain_by_web_form(aiohttp_client, settings, clock, f"{TEXT}（第{n + 1}次）")
    looked_at = sa.select(sa.func.count()).where(outbox_t.c.last_error != "")

    async with worker(settings, {}) as said:
        async with asyncio.timeout(60):
            while True:
                async with engine.connect() as connection:
                    if (await connection.execute(looked_at)).scalar_one() == 3:
                        break
                await asyncio.sleep(0.2)

    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(outbox_t))).all()
    assert [(row.channel, row.status, row.attempts) for row in rows] == [("sms", OutboxStatus.pending, 0)] * 3
    about_sms = [line for line in said if "sms" in line.lower()]
    assert len(about_sms) == 1, about_sms
    assert "FAIRWEIGH_SMS_PROVIDER is not set: SMS is off; texts to consumers wait in the outbox" in about_sms[0]
