"""Photos that reach a case after it was filed: a chat's photos are fetched from the platform by the outbox
worker once the case exists, so the shopper's answer never waits for a download."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.models import ComplaintPhoto
from complaints.photos import MAX_PHOTOS, prepare_photo
from lookup.models import table_of

photo_t = table_of(ComplaintPhoto)


async def attach_photo(engine: AsyncEngine, complaint_id: int, data: bytes) -> bool:
    """Re-encode the photo and add it to the case; False when the case has it already or is full.

    Raises :class:`complaints.photos.PhotoError` for a file that is not a usable picture. Idempotent: a fetch
    repeated after a timeout finds the same picture (same bytes after re-encoding) and adds nothing.
    """
    photo = await asyncio.to_thread(prepare_photo, data)
    async with engine.begin() as connection:
        held = (
            await connection.execute(
                sa.select(photo_t.c.sha256).where(photo_t.c.complaint_id == complaint_id).with_for_update()
            )
        ).scalars()
        hashes = set(held)
        if photo.sha256 in hashes or len(hashes) >= MAX_PHOTOS:
            return False
        await connection.execute(
            sa.insert(photo_t).values(
                complaint_id=complaint_id,
                content_type=photo.content_type,
                width=photo.width,
                height=photo.height,
                sha256=photo.sha256,
                data=photo.data,
            )
        )
    return True
