"""Telling the consumer: every public event of their case becomes an outbox message on the channel they used.

A chat user (WeChat, Telegram) hears back in the chat; a web or API sender who gave a phone number and agreed
to be contacted gets an SMS; anyone else reads the status page. The message names the event, never the person.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from complaints.models import Complaint, ComplaintContact
from complaints.outbox.enqueue import queue_message
from lookup.models import table_of

complaint_t, contact_t = table_of(Complaint), table_of(ComplaintContact)

_REACH = (
    sa.select(complaint_t.c.ref, complaint_t.c.channel, contact_t.c.channel_user, contact_t.c.phone)
    .add_columns(contact_t.c.consent_to_contact)
    .join(contact_t, contact_t.c.complaint_id == complaint_t.c.id)
    .where(complaint_t.c.id == sa.bindparam("complaint_id"))
)


def notice_channel(channel: str, channel_user: str, phone: str, consent: bool) -> str | None:
    if channel_user:
        return channel
    if phone and consent:
        return "sms"
    return None


def notify_consumer(
    connection: sa.Connection, complaint_id: int, *, kind: str, key: str, payload: Mapping[str, Any], now: datetime
) -> bool:
    """Queue a notice for the case's consumer, if they can be reached; True when one was queued."""
    row = connection.execute(_REACH, {"complaint_id": complaint_id}).first()
    if row is None:
        return False
    channel = notice_channel(row.channel, row.channel_user, row.phone, bool(row.consent_to_contact))
    if channel is None:
        return False
    return queue_message(
        connection,
        complaint_id=complaint_id,
        channel=channel,
        kind=kind,
        key=key,
        payload={"ref": row.ref, **payload},
        now=now,
    )
