"""What a channel's sender is to the outbox: the :class:`Sender` protocol, the two failures it may raise (try again
later, or give up), and a stand-in that only logs. :mod:`complaints.outbox.delivery` hands each claimed row to one.
"""

from __future__ import annotations

import logging
from typing import Protocol

from complaints.outbox.claims import Delivery

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A sender's failure. The message is stored and logged, so it must not hold personal data."""


class RetryableDeliveryError(DeliveryError):
    """Try again later (the other side is down, busy or slow)."""


class PermanentDeliveryError(DeliveryError):
    """Give up now: trying again cannot help (the other side refused the message)."""


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> str | None:
        """Deliver or raise RetryableDeliveryError / PermanentDeliveryError; anything else counts as retryable.

        May return the other side's receipt for the message (an SMS provider's id), kept with the sent row; it must
        hold no personal data."""
        ...


class LoggingSender:
    """A stand-in sender for tests and demonstrations: it only logs that it would send, and succeeds. The worker
    never uses it (a channel that is not configured waits in the outbox instead of being marked sent).

    The line names the case and the kind of message, never the phone number, name or text.
    """

    def __init__(self, channel: str) -> None:
        self.channel = channel

    async def send(self, delivery: Delivery) -> None:
        log.info("%s stub: would send %r for %s (not sent: no gateway)", self.channel, delivery.kind, delivery.ref)
