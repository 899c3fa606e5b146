"""E-mail through SMTP (``aiosmtplib``), as the outbox channel ``email``.

Consumers give no e-mail address, so this channel carries what is written to a station or a person of the service
(a digest, a list): the message's payload names the address (``to``), the ``subject`` and the plain ``text``, all
written by the code that queues it, which must keep personal data out of them as every payload does.

The server's answers map onto the outbox's rules: a 4xx reply, a dropped connection or a timeout is tried again
later; a refused login is tried again too (a password being fixed; the message waits); any other 5xx refusal (no
such mailbox, a message refused) is given up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from complaints.outbox.claims import Delivery
from complaints.outbox.senders import DeliveryError, PermanentDeliveryError, RetryableDeliveryError

log = logging.getLogger(__name__)

CHANNEL = "email"
TIMEOUT = 20.0  # seconds, for each step of the SMTP conversation


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls, tls (implicit, port 465) or none
    username: str = ""
    password: str = ""
    timeout: float = TIMEOUT


def compose(delivery: Delivery, sender: str) -> EmailMessage:
    """The message for ``delivery``; refuses permanently a payload without an address, a subject or a text."""
    payload = delivery.payload
    to, subject, text = (str(payload.get(name) or "") for name in ("to", "subject", "text"))
    if not to or "@" not in to or not subject or not text:
        raise PermanentDeliveryError(f"an e-mail needs an address, a subject and a text ({delivery.kind})")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(idstring=delivery.idempotency_key.replace(":", ".")[:60])
    message.set_content(text)
    return message


def refusal(error: Exception) -> DeliveryError:
    """The outbox error an SMTP failure means; the server's words are left out (they may quote an address)."""
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return RetryableDeliveryError(f"SMTP login refused ({error.code}): check the SMTP user and password")
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = sorted({refused.code for refused in error.recipients})
        if all(code >= 500 for code in codes):
            return PermanentDeliveryError(f"SMTP server refused the address ({', '.join(map(str, codes))})")
        return RetryableDeliveryError(f"SMTP server deferred the address ({', '.join(map(str, codes))})")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        if error.code >= 500:
            return PermanentDeliveryError(f"SMTP server refused the message ({error.code})")
        return RetryableDeliveryError(f"SMTP server deferred the message ({error.code})")
    return RetryableDeliveryError(f"SMTP server unreachable: {type(error).__name__}")


class MailSender:
    """The outbox sender of channel ``email``: one SMTP conversation per message."""

    def __init__(self, server: SmtpServer, *, sender: str) -> None:
        self._server, self._sender = server, sender

    async def send(self, delivery: Delivery) -> str:
        message = compose(delivery, self._sender)
        server = self._server
        try:
            await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username or None,
                password=server.password or None,
                use_tls=server.security == "tls",
                start_tls=server.security == "starttls",
                timeout=server.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise refusal(exc) from None
        log.info("email: sent %s (%s) via %s", delivery.kind, delivery.ref or "no case", server.host)
        return str(message["Message-ID"])
