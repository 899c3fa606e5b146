"""`fairweigh warnings run [--day D]`: the early warning's comparison for a day, by hand (the worker runs it each
night)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from datetime import date, datetime, timedelta

from web.db import create_engine, require_current_schema
from web.nightly import run_night_once
from web.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    warnings = commands.add_parser("warnings", help="early warnings").add_subparsers(
        dest="warnings_command", required=True
    )
    run = warnings.add_parser("run", help="compare a day's figures and raise warnings (once per day)")
    run.add_argument("--day", help="the day to compare, YYYY-MM-DD (default: yesterday)")
    run.set_defaults(run=_run)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(settings.zone)
    try:
        day = date.fromisoformat(args.day) if args.day else now.date() - timedelta(days=1)
    except ValueError:
        print(f"fairweigh: 看不懂的日期 {args.day!r}（应为 YYYY-MM-DD）(not a date)", file=sys.stderr)
        return 2
    if day >= now.date():
        print(f"fairweigh: {day} 还没有过完，只能比较已结束的日子 (only a day that is over)", file=sys.stderr)
        return 2

    async def run() -> int:
        engine = create_engine(settings.async_database_url)
        try:
            await require_current_schema(engine)
            result = await run_night_once(
                engine, day, zone=settings.zone, now=now, worker=f"cli:{socket.gethostname()}:{os.getpid()}"
            )
        finally:
            await engine.dispose()
        if not result.ran:
            print(f"{day} 已比较过（already run）")
            return 0
        print(f"{day}：新预警 {result.raised}，持续 {result.refreshed}，消退 {result.subsided}")
        return 0

    return asyncio.run(run())
