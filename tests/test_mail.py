"""E-mail through SMTP against a real SMTP server (aiosmtpd) on the test's own event loop: the message arrives as
queued, a login is made, and each refusal is retried or given up."""

from __future__ import annotations

import asyncio
import email
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import OutboxStatus
from complaints.outbox.enqueue import outbox_t
from complaints.outbox.mail import MailSender, SmtpServer
from tests.outbox_support import FakeClock, deliver, outbox, queue_cases
from tests.support import NOW

USER, PASSWORD = "station@jl.example.gov.cn", "mail-password"
SUBJECT, TEXT = "吉林站 每日汇总 2026-11-23", "新案件 3 件，今日到期 1 件，逾期 0 件。"


@dataclass
class Mailbox:
    """The SMTP server's handler: keeps what it accepted, refuses some addresses as a real server would."""

    received: list[tuple[str, list[str], Message]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos), email.message_from_bytes(content)))
        return "250 Message accepted for delivery"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (USER, PASSWORD)
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself


@pytest.fixture
async def mailbox() -> AsyncIterator[tuple[Mailbox, int]]:
    box = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(box, authenticator=box.authenticate, auth_require_tls=False, hostname="mail.test"),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    yield box, port
    server.close()
    await server.wait_closed()


def mail(port: int, *, password: str = PASSWORD) -> dict[str, MailSender]:
    smtp = SmtpServer(host="127.0.0.1", port=port, security="none", username=USER, password=password, timeout=5)
    return {"email": MailSender(smtp, sender=USER)}


async def queue_mails(engine: AsyncEngine, *addresses: str) -> None:
    cases = await queue_cases(engine, len(addresses), channel="email", kind="digest")
    async with engine.begin() as connection:
        for case, address in zip(cases, addresses, strict=True):
            payload = {"to": address, "subject": SUBJECT, "text": TEXT}
            await connection.execute(
                sa.update(outbox_t).where(outbox_t.c.complaint_id == case.id).values(payload=payload)
            )


async def test_a_message_arrives_as_queued_after_a_login(engine: AsyncEngine, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    await queue_mails(engine, "leader@jl.example.gov.cn")

    assert await deliver(engine, mail(port), FakeClock(NOW)) == 1

    assert [row.status for row in await outbox(engine)] == [OutboxStatus.sent]
    assert box.logins == [USER]
    [(mail_from, to, message)] = box.received
    assert (mail_from, to) == (USER, ["leader@jl.example.gov.cn"])
    assert str(email.header.make_header(email.header.decode_header(message["Subject"]))) == SUBJECT
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body.decode(message.get_content_charset() or "utf-8").strip() == TEXT
    assert message["Message-ID"]


async def test_refusals_are_retried_or_given_up(engine: AsyncEngine, mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    await queue_mails(engine, "nobody@jl.example.gov.cn", "busy@jl.example.gov.cn", "leader@jl.example.gov.cn")
    clock = FakeClock(NOW)

    assert await deliver(engine, mail(port, password="wrong"), clock, limit=1) == 1  # the first, with a bad login
    assert await deliver(engine, mail(port), clock) == 2

    rows = await outbox(engine)
    assert [(row.status, row.last_error) for row in rows] == [
        (OutboxStatus.pending, "SMTP login refused (535): check the SMTP user and password"),
        (OutboxStatus.pending, "SMTP server deferred the address (450)"),
        (OutboxStatus.sent, ""),
    ]
    clock.now = rows[0].next_attempt_at
    assert await deliver(engine, mail(port), clock, limit=1) == 1
    rows = await outbox(engine)
    assert (rows[0].status, rows[0].last_error) == (OutboxStatus.failed, "SMTP server refused the address (550)")
    assert [to for _, to, _ in box.received] == [["leader@jl.example.gov.cn"]]


async def test_no_server_is_retried_and_a_message_without_an_address_given_up(engine: AsyncEngine) -> None:
    await queue_mails(engine, "leader@jl.example.gov.cn", "")

    assert await deliver(engine, mail(9), FakeClock(NOW)) == 2  # port 9 (discard): nothing listens

    rows = await outbox(engine)
    assert (rows[0].status, rows[0].last_error) == (OutboxStatus.pending, "SMTP server unreachable: SMTPConnectError")
    assert rows[1].status == OutboxStatus.failed
    assert rows[1].last_error == "an e-mail needs an address, a subject and a text (digest)"
