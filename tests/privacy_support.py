"""Cases with personal data for the privacy tests: a chat case and a web case with contact, chat id and photos,
moved along their workflow by a handler, and the purge run at a chosen moment."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.cases import take_action
from complaints.personal_data.retention import PurgeReport
from complaints.photos import prepare_photo
from complaints.receipt import Receipt
from complaints.submission import Contact, Submission
from complaints.workflow import Role
from tests.support import NOW
from web.db import for_writing
from web.keys import INTAKE, SETTINGS
from web.ops.purge import purge_now

Client = TestClient[Any, Any]
NAME, PHONE, CHAT_ID = "王芳", "13800138000", "987654321"
TEXT = "张记水产的秤不准，称的鱼少了二两，要求退钱"
CLOSING = ({"action": "accept"}, {"action": "start_mediation"}, {"action": "resolve", "outcome": "refund"})


def jpeg() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def submit(client: Client, *, channel: str = "telegram", text: str = TEXT, photos: int = 1) -> Receipt:
    """A complaint with name, phone, a chat id (for a chat channel) and photos, through the app's intake."""
    contact = Contact(name=NAME, phone=PHONE, channel_user=CHAT_ID if channel in {"telegram", "wechat"} else "")
    prepared = tuple(prepare_photo(jpeg()) for _ in range(photos))
    submission = Submission(text=text, channel=channel, contact=contact, photos=prepared)
    return await client.app[INTAKE].submit(submission, None)


async def close_case(engine: AsyncEngine, complaint_id: int, *, at: datetime = NOW) -> None:
    """Accept, mediate, resolve and close the complaint, every step at ``at``."""
    for facts in (*CLOSING, {"action": "close"}):
        async with for_writing(engine).begin() as connection:
            await take_action(
                connection,
                complaint_id,
                str(facts["action"]),
                role=Role.handler,
                actor_id=None,
                facts=facts,
                now=at,
            )


async def purge(client: Client, engine: AsyncEngine, *, days: float) -> PurgeReport:
    return await purge_now(engine, client.app[SETTINGS], now=NOW + timedelta(days=days))


async def held(engine: AsyncEngine, complaint_id: int) -> dict[str, Any]:
    """What the database still holds about the case's consumer."""
    async with engine.connect() as connection:
        contact = (
            await connection.execute(
                sa.text("SELECT name, phone, channel_user FROM complaintcontact WHERE complaint_id = :id"),
                {"id": complaint_id},
            )
        ).first()
        photos = (
            await connection.execute(
                sa.text("SELECT count(*) FROM complaintphoto WHERE complaint_id = :id"), {"id": complaint_id}
            )
        ).scalar_one()
        dedupe = (
            await connection.execute(sa.text("SELECT dedupe_key FROM complaint WHERE id = :id"), {"id": complaint_id})
        ).scalar_one()
    return {"contact": None if contact is None else tuple(contact), "photos": photos, "dedupe": dedupe}


async def removals(engine: AsyncEngine, complaint_id: int) -> list[dict[str, Any]]:
    """The facts of the case's personal_data_removed events, oldest first."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT facts FROM complaintevent WHERE complaint_id = :id AND action = 'personal_data_removed' "
                "ORDER BY id"
            ),
            {"id": complaint_id},
        )
        return [facts if isinstance(facts, dict) else json.loads(facts) for (facts,) in rows]
