"""The texts a merchant gets by SMS, composed when they are sent: the private link a handler sent to the merchant's
phone, and a verification reminder. Each has its approved template (FAIRWEIGH_SMS_TEMPLATE_MERCHANT_LINK,
FAIRWEIGH_SMS_TEMPLATE_REMINDER), never a consumer's: a consumer's template speaks of a complaint and its status page.

The outbox message says what to send, never to whom: the merchant's phone is read from the registry at sending
time, and the link's token derived from its row, so a link revoked or expired since is not sent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.merchants.links import link_t, link_token
from complaints.merchants.reminders import KIND as REMINDER_KIND
from complaints.outbox.claims import Delivery
from complaints.outbox.senders import PermanentDeliveryError
from complaints.outbox.sms import MAINLAND_MOBILE, MERCHANT_LINK, REMINDER, SmsTemplates, Text
from lookup.models import Merchant, table_of

merchant_t = table_of(Merchant)
LINK_KIND = "merchant_link"  # the outbox kind of a link sent to the merchant's phone


def mobile(phone: str) -> str:
    """The ledger's phone (spaces, dashes, +86 allowed) as a mainland mobile number, or "" when it is not one."""
    digits = re.sub(r"\D", "", phone)
    digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
    return digits if MAINLAND_MOBILE.fullmatch(digits) else ""


class MerchantSmsTexts:
    """The SMS sender's :class:`complaints.outbox.sms.MerchantTexts`, over the database."""

    def __init__(self, engine: AsyncEngine, secret: str) -> None:
        self._engine, self._secret = engine, secret

    def handles(self, kind: str) -> bool:
        return kind in {LINK_KIND, REMINDER_KIND}

    async def compose(self, delivery: Delivery, templates: SmsTemplates) -> tuple[str, Text]:
        payload = delivery.payload
        merchant_id = int(payload["merchant_id"])
        async with self._engine.connect() as connection:
            ledger_phone = (
                await connection.execute(sa.select(merchant_t.c.contact_phone).where(merchant_t.c.id == merchant_id))
            ).scalar()
            link = None
            if delivery.kind == LINK_KIND:
                link = (
                    await connection.execute(
                        sa.select(link_t).where(
                            link_t.c.id == int(payload["link_id"]), link_t.c.merchant_id == merchant_id
                        )
                    )
                ).first()
        phone = mobile(ledger_phone or "")
        if not phone:
            raise PermanentDeliveryError(f"merchant {merchant_id} has no mainland mobile number in the registry")
        if delivery.kind == REMINDER_KIND:
            variables = (("code", str(payload["code"])), ("date", str(payload["valid_until"])))
            return REMINDER, Text(phone=phone, template=templates.reminder, ref="", variables=variables)
        if link is None or link.revoked_at is not None or _aware(link.expires_at) <= datetime.now(UTC):
            raise PermanentDeliveryError(f"merchant {merchant_id}'s link was revoked or has expired: not sent")
        path = f"merchant-link/{link_token(self._secret, link.id, merchant_id, link.nonce)}"
        return MERCHANT_LINK, Text(phone=phone, template=templates.merchant_link, ref="", variables=(("link", path),))


def _aware(moment: datetime) -> datetime:
    """SQLite hands times back naive (stored as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
