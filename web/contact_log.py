"""Recording, from any view, that the signed-in staff member is being shown consumers' full contacts."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from complaints.personal_data.access_log import AccessRoute, record_contact_access
from web.auth.access import VIEWER
from web.keys import CLOCK, ENGINE


async def contacts_shown(
    request: web.Request, complaint_ids: Sequence[int], route: AccessRoute, *, reason: str = ""
) -> None:
    """One access-log row per case, written before the answer leaves: a contact is never shown unlogged."""
    if not complaint_ids:
        return
    async with request.app[ENGINE].begin() as connection:
        await record_contact_access(
            connection,
            user_id=request[VIEWER].user_id,
            complaint_ids=complaint_ids,
            route=route,
            now=request.app[CLOCK](),
            reason=reason,
        )
