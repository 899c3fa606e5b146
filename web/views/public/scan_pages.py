"""A scan's page from the store (lookup/pages): read by primary key, or rendered, stored and served."""

from __future__ import annotations

import logging
from datetime import date

import sqlalchemy as sa
from aiohttp import web

from lookup.pages.packing import pack
from lookup.pages.store import StoredPage, render_and_store
from web.db import for_writing
from web.keys import ENGINE, SCAN_PAGES, SCAN_READER

log = logging.getLogger(__name__)


async def stored_page(request: web.Request, code: str, language: str, format: str, today: date) -> StoredPage | None:
    """The page of ``code`` as true ``today``; None when no instrument has that code."""
    app = request.app
    maker, reader = app[SCAN_PAGES], app[SCAN_READER]
    page = await reader.page(code, language, format)
    if page is not None and page.true_on(today):  # an earlier release's page too, until the worker renews it
        return page
    try:
        async with for_writing(app[ENGINE]).begin() as connection:
            return await connection.run_sync(render_and_store, maker, code, language, format, today)
    except sa.exc.DBAPIError:
        # The store is a cache: when it cannot be written (a lock held too long), the scan is answered anyway
        # and the next one tries again.
        log.warning("The page of %s could not be stored; rendered without it.", code, exc_info=True)
    card = await reader.card(code)
    if card is None:
        return None
    body, date_at = maker.render(card, language, format, today)
    return StoredPage(stamp=maker.stamp, rendered_on=today, true_until=today, packed=pack(body, date_at))
