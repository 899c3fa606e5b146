"""Text messages to consumers, as the outbox channel ``sms``: one sender, a provider chosen by the settings.

Chinese SMS carries only approved templates. Every message is one of three (received, an update, closed), each
with exactly two variables: ``ref``, the case's reference, and ``link``, the path of the case's status page below
the station's address (``c/JL20261123-0001?token=…``). Providers accept no link as a variable, so the template
holds the address itself and the variable only the rest. Nothing else of the case goes into a text: no name, no
words of the complaint, no decision; the status page behind the link shows those to whoever holds the token.

Texts to merchants (their private link, a verification reminder) have no case: templates of their own, and a
:class:`MerchantTexts` (complaints/merchants/texts.py) reads the merchant's phone and the variables when sending.

The providers' SDKs block, so a send runs in a small thread pool of its own, under a timeout. A provider answers
with a code; :class:`Refusal` sorts the codes into what trying again may fix (rate limits, a template or a key
being fixed, an outage) and what it cannot (the number, the text itself). Messages and logs name the case and
the code, never the phone number.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from complaints.outbox.claims import Delivery
from complaints.outbox.senders import DeliveryError, PermanentDeliveryError, RetryableDeliveryError
from complaints.tokens import case_token

log = logging.getLogger(__name__)

CHANNEL = "sms"
RECEIVED, UPDATE, CLOSED = "received", "update", "closed"
MERCHANT_LINK, REMINDER = "merchant_link", "reminder"  # the merchant's texts
# A mainland mobile number as intake stores it (+86 taken off); only these can receive a domestic template.
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
SEND_TIMEOUT = 10.0  # seconds: the SDK's own connect and read timeouts, and the wait for the thread
THREADS = 4  # sends in flight at once; the rest of a batch waits for a thread


class Refusal(enum.Enum):
    """What a provider's answer means for the message: the value says whether to try again and why."""

    invalid_number = (False, "the number cannot receive SMS")
    rejected = (False, "the provider rejected this message's text")
    not_approved = (True, "template or signature not approved or not found: fix the setting, the message waits")
    rate_limited = (True, "rate limited or out of credit")
    auth_failed = (True, "authentication failed: check the SMS keys, the message waits")
    unreachable = (True, "provider unreachable or failing")

    @property
    def retry(self) -> bool:
        return bool(self.value[0])

    def error(self, provider: str, code: str) -> DeliveryError:
        """The outbox error for this refusal; ``code`` is the provider's, reduced to a safe token."""
        safe = re.sub(r"[^A-Za-z0-9._-]", "", code)[:80] or "?"
        message = f"{provider} refused ({safe}): {self.value[1]}"
        return RetryableDeliveryError(message) if self.retry else PermanentDeliveryError(message)


@dataclass(frozen=True, slots=True)
class SmsTemplates:
    """Template ids (Alibaba Cloud ``SMS_…``, Tencent Cloud a number) of the consumer's three texts (``closed`` may
    be "") and the merchant's two ("" while not approved: those texts wait)."""

    received: str
    update: str
    closed: str = ""
    merchant_link: str = ""
    reminder: str = ""

    def for_kind(self, kind: str) -> tuple[str, str]:
        """(which text, template id) for an outbox message kind."""
        if kind == "received":
            return RECEIVED, self.received
        if kind == "close" and self.closed:
            return CLOSED, self.closed
        return UPDATE, self.update


@dataclass(frozen=True, slots=True)
class Text:
    """One SMS as handed to a provider: the number, the template and its variables in the template's order (a
    consumer's: ref, link); ``ref`` names the case, or "" for a text to a merchant."""

    phone: str
    template: str
    ref: str
    variables: tuple[tuple[str, str], ...]

    @property
    def params(self) -> dict[str, str]:
        return dict(self.variables)


class MerchantTexts(Protocol):
    """Composes the texts to merchants (no case): which text, and the SMS, read when it is sent."""

    def handles(self, kind: str) -> bool: ...
    async def compose(self, delivery: Delivery, templates: SmsTemplates) -> tuple[str, Text]: ...


class SmsProvider(Protocol):
    """A provider's SDK, called in a worker thread: returns the provider's receipt id or raises a DeliveryError."""

    name: str

    def send(self, text: Text, *, timeout: float) -> str: ...


def status_path(secret: str, ref: str) -> str:
    """The status page's address below PUBLIC_BASE_URL, as the ``link`` variable carries it."""
    return f"c/{ref}?token={case_token(secret, ref)}"


def compose(delivery: Delivery, templates: SmsTemplates, *, secret: str) -> tuple[str, Text]:
    """(which text, the SMS) for a message about a case; refuses permanently what no SMS can carry."""
    if not delivery.ref:
        raise PermanentDeliveryError("an SMS needs a case; this message has none")
    phone = delivery.recipient.phone if delivery.recipient is not None else ""
    if not phone:
        raise PermanentDeliveryError(f"case {delivery.ref} has no phone number to text (none given, or purged)")
    if not MAINLAND_MOBILE.fullmatch(phone):
        raise PermanentDeliveryError(f"case {delivery.ref}: the number given is not a mainland mobile number")
    which, template = templates.for_kind(delivery.kind)
    link = status_path(secret, delivery.ref)
    return which, Text(
        phone=phone, template=template, ref=delivery.ref, variables=(("ref", delivery.ref), ("link", link))
    )


class SmsSender:
    """The outbox sender of channel ``sms``: composes the text and has the provider send it from a thread."""

    def __init__(
        self,
        provider: SmsProvider,
        templates: SmsTemplates,
        *,
        secret: str,
        timeout: float = SEND_TIMEOUT,
        merchants: MerchantTexts | None = None,
    ) -> None:
        self._provider, self._templates, self._secret, self._timeout = provider, templates, secret, timeout
        self._merchants = merchants
        self._pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="sms")

    @property
    def provider(self) -> str:
        return self._provider.name

    async def send(self, delivery: Delivery) -> str:
        if self._merchants is not None and self._merchants.handles(delivery.kind):
            which, text = await self._merchants.compose(delivery, self._templates)
        else:
            which, text = compose(delivery, self._templates, secret=self._secret)
        if not text.template:
            raise RetryableDeliveryError(f"no SMS template is set for the {which} text: it waits for the setting")
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(self._pool, lambda: self._provider.send(text, timeout=self._timeout))
        try:
            # A little longer than the SDK's own timeouts, which end the thread's request too.
            receipt = await asyncio.wait_for(call, self._timeout + 2)
        except TimeoutError as exc:
            raise RetryableDeliveryError(f"{self.provider}: no answer within {self._timeout:g} s") from exc
        about = delivery.ref or f"message {delivery.message_id}"
        log.info("sms: sent the %s text for %s via %s (receipt %s)", which, about, self.provider, receipt)
        return f"{self.provider} {which} {receipt}"

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def classify(code: str, table: Mapping[str, Refusal], prefixes: Mapping[str, Refusal], default: Refusal) -> Refusal:
    """The refusal a provider's code means: the exact code, else its longest listed prefix, else ``default``."""
    if code in table:
        return table[code]
    for prefix in sorted(prefixes, key=len, reverse=True):
        if code.startswith(prefix):
            return prefixes[prefix]
    return default
