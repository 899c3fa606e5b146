"""`fairweigh pages render`: every instrument's scan pages made ahead of the first scans (lookup/pages)."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime

import sqlalchemy as sa

from lookup.pages.bulk import render_all
from lookup.pages.models import HTML, JSON
from web.db import create_engine, for_writing, require_current_schema
from web.render.stored import scan_pages
from web.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pages = commands.add_parser("pages", help="scan pages made ahead of time").add_subparsers(
        dest="pages_command", required=True
    )
    render = pages.add_parser("render", help="render and store every instrument's lookup page and JSON")
    render.add_argument("--language", action="append", choices=["zh", "en"], help="default: zh (repeat for more)")
    render.set_defaults(run=_render)


def _render(settings: Settings, args: argparse.Namespace) -> int:
    variants = [(language, HTML) for language in args.language or ["zh"]] + [("", JSON)]

    async def run() -> int:
        engine = create_engine(settings.async_database_url)
        try:
            await require_current_schema(engine)
            today = datetime.now(settings.zone).date()
            rendered = await render_all(for_writing(engine), scan_pages(settings), today, variants)
            if engine.dialect.name == "postgresql":
                # Statistics of a table just filled are those of an empty one until autovacuum comes round; with
                # them the worker's search for missing pages was a parallel scan of the whole table per 500 codes.
                async with engine.begin() as connection:
                    await connection.execute(sa.text("ANALYZE rendered_page"))
            return rendered
        finally:
            await engine.dispose()

    started = time.perf_counter()
    count = asyncio.run(run())
    print(f"已生成 {count} 个页面，用时 {time.perf_counter() - started:.1f} 秒 (pages rendered)")
    return 0
