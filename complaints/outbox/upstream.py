"""Forwarding cases to an upstream 12315 system, as the outbox channel ``upstream``.

The protocol: ``POST`` of the case as JSON to the configured URL, signed with a shared secret::

    X-Fairweigh-Timestamp: <unix seconds>
    X-Fairweigh-Signature: sha256=<hex HMAC-SHA256 of timestamp + "." + body>
    Idempotency-Key: <the case's reference>

A 2xx answer means stored; 409 means the receiver already had it (a retry after a lost answer). 429 and 5xx are
retried with backoff; any other answer is a refusal that retrying cannot fix. The body holds the complainant's
name and phone number (the official system needs them to call back), so it is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from complaints.models import Complaint, ComplaintContact, ComplaintPhoto
from complaints.outbox.claims import Delivery
from complaints.outbox.senders import PermanentDeliveryError, RetryableDeliveryError
from lookup.models import Instrument, Market, Merchant, Station, table_of

log = logging.getLogger(__name__)

complaint_t, contact_t, photo_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintPhoto)
station_t, merchant_t, market_t, instrument_t = (table_of(m) for m in (Station, Merchant, Market, Instrument))

TIMESTAMP_HEADER = "X-Fairweigh-Timestamp"
SIGNATURE_HEADER = "X-Fairweigh-Signature"
SIGNATURE_PREFIX = "sha256="


async def upstream_document(connection: AsyncConnection, complaint_id: int, *, zone: tzinfo) -> dict[str, Any] | None:
    """The JSON document forwarded for a case (None when the case no longer exists); ``zone`` is the service's time
    zone, used for ``received_at``."""
    photos = (
        sa.select(sa.func.count())
        .select_from(photo_t)
        .where(photo_t.c.complaint_id == complaint_t.c.id)
        .scalar_subquery()
    )
    # A case that named only the merchant still tells the market the merchant trades in.
    market_id = sa.func.coalesce(complaint_t.c.market_id, merchant_t.c.market_id)
    row = (
        await connection.execute(
            sa.select(
                complaint_t.c.ref,
                complaint_t.c.received_at,
                complaint_t.c.channel,
                complaint_t.c.text,
                complaint_t.c.intent,
                complaint_t.c.category,
                complaint_t.c.priority,
                station_t.c.name.label("station"),
                instrument_t.c.code.label("instrument_code"),
                merchant_t.c.name.label("merchant_name"),
                merchant_t.c.uscc.label("merchant_uscc"),
                market_t.c.name.label("market"),
                contact_t.c.name.label("contact_name"),
                contact_t.c.phone.label("contact_phone"),
                photos.label("photo_count"),
            )
            .select_from(
                complaint_t.outerjoin(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
                .outerjoin(station_t, station_t.c.id == complaint_t.c.station_id)
                .outerjoin(instrument_t, instrument_t.c.id == complaint_t.c.instrument_id)
                .outerjoin(merchant_t, merchant_t.c.id == complaint_t.c.merchant_id)
                .outerjoin(market_t, market_t.c.id == market_id)
            )
            .where(complaint_t.c.id == complaint_id)
        )
    ).first()
    if row is None:
        return None
    return {
        "ref": row.ref,
        "received_at": row.received_at.astimezone(zone).isoformat(),
        "channel": row.channel,
        "text": row.text,
        "intent": str(row.intent),
        "category": row.category,
        "priority": str(row.priority),
        "station": row.station,
        "instrument_code": row.instrument_code,
        "merchant": None if row.merchant_name is None else {"name": row.merchant_name, "uscc": row.merchant_uscc},
        "market": row.market,
        "contact": {"name": row.contact_name or "", "phone": row.contact_phone or ""},
        "photo_count": row.photo_count,
    }


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp + "." + body``: the timestamp is signed so a captured request cannot be
    replayed later under a fresh one."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class UpstreamSender:
    """The sender of channel ``upstream``: builds the case's document when sending and POSTs it, signed.

    The caller owns ``session`` (and closes it); the timeout of a send is deliver_due's ``send_timeout``.
    """

    def __init__(
        self,
        *,
        url: str,
        secret: str,
        engine: AsyncEngine,
        session: aiohttp.ClientSession,
        zone: tzinfo,
        clock: Callable[[], datetime],
    ) -> None:
        self._url, self._secret, self._engine, self._session = url, secret, engine, session
        self._zone, self._clock = zone, clock

    async def send(self, delivery: Delivery) -> None:
        if delivery.complaint_id is None:
            raise PermanentDeliveryError("an upstream forward needs a case; this message has none")
        async with self._engine.connect() as connection:
            document = await upstream_document(connection, delivery.complaint_id, zone=self._zone)
        if document is None:
            raise PermanentDeliveryError(f"case {delivery.complaint_id} no longer exists")
        body = encode(document)
        timestamp = str(int(self._clock().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": document["ref"],
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: SIGNATURE_PREFIX + sign(self._secret, timestamp, body),
        }
        try:
            # A redirect would turn the POST into a GET on most servers; a moved endpoint is a setting to fix.
            async with self._session.post(self._url, data=body, headers=headers, allow_redirects=False) as answer:
                status, reason = answer.status, answer.reason or ""
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RetryableDeliveryError(f"upstream unreachable: {type(exc).__name__}") from exc
        if 200 <= status < 300 or status == 409:
            log.info("upstream: forwarded %s (HTTP %d)", delivery.ref, status)
            return
        if status == 429 or status >= 500:
            raise RetryableDeliveryError(f"upstream answered HTTP {status} {reason}".rstrip())
        raise PermanentDeliveryError(f"upstream refused the forward: HTTP {status} {reason}".rstrip())
