"""`fairweigh purge`, `fairweigh backup`, `fairweigh restore`: running the service for years."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from web.db import create_engine, require_current_schema
from web.ops.backup import BackupError, backup, restore, sqlite_path, upgrade_needed
from web.ops.purge import purge_now
from web.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = commands.add_parser("purge", help="remove the personal data that is due now (the worker does it nightly)")
    purge.set_defaults(run=_purge)
    copy = commands.add_parser("backup", help="copy the SQLite database while the service runs")
    copy.add_argument("--out", type=Path, required=True, help="the backup file to write")
    copy.add_argument("--force", action="store_true", help="replace --out if it exists")
    copy.set_defaults(run=_backup)
    put_back = commands.add_parser("restore", help="put a backup in place of the SQLite database (service stopped)")
    put_back.add_argument("file", type=Path, help="a file written by `fairweigh backup`")
    put_back.add_argument("--force", action="store_true", help="replace a database that already holds data")
    put_back.set_defaults(run=_restore)


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> str:
        engine = create_engine(settings.async_database_url)
        try:
            await require_current_schema(engine)
            report = await purge_now(engine, settings, now=datetime.now(settings.zone))
        finally:
            await engine.dispose()
        return report.summary()

    print(f"fairweigh: {asyncio.run(run())}")
    return 0


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    try:
        copied = backup(sqlite_path(settings.async_database_url), args.out, force=args.force)
    except BackupError as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    print(
        f"已备份到 {copied.path}：{copied.size:,} 字节，{copied.cases} 件案件，完整性检查通过 "
        f"(backed up {copied.cases} cases to {copied.path}, schema {copied.revision}, integrity_check ok)"
    )
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    try:
        copied = restore(args.file, sqlite_path(settings.async_database_url), force=args.force)
    except BackupError as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    print(
        f"已恢复 {copied.path}：{copied.cases} 件案件，完整性检查通过 "
        f"(restored {copied.cases} cases, schema {copied.revision}, integrity_check ok)"
    )
    if upgrade_needed(copied):
        print("The backup's schema is older than this release: run `fairweigh db upgrade` before serving.")
    return 0
