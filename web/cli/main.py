"""The `fairweigh` command: builds the settings once and hands them to each sub-command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from pydantic import ValidationError

from complaints.deadlines.calendar_store import import_schedule
from complaints.deadlines.working_days import ScheduleFileError
from web.cli import index as index_commands
from web.cli import operations as operation_commands
from web.cli import pages as page_commands
from web.cli import registry as registry_commands
from web.cli import telegram as telegram_commands
from web.cli import users as user_commands
from web.cli import warnings as warning_commands
from web.db import DatabaseNotReady, create_engine, database_unavailable, for_writing, require_current_schema, upgrade
from web.ops.logs import TEXT_FORMAT
from web.ops.logs import configure as configure_logs
from web.settings import ConfigurationError, Settings

log = logging.getLogger("fairweigh")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fairweigh", description="诚信计量 · 扫码查询与投诉")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web application")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--demo", action="store_true", help="migrate and seed demo data into an empty database")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser(
        "worker", help="deliver the outbox: notices to shoppers, chat photos, forwards to 12315"
    )
    worker.set_defaults(run=_worker)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(run=_db_upgrade)

    imports = commands.add_parser("import", help="import data").add_subparsers(dest="import_command", required=True)
    ledger = imports.add_parser("ledger", help="import an instrument ledger (CSV or XLSX)")
    ledger.add_argument("file", type=Path)
    ledger.set_defaults(run=registry_commands.import_ledger_command)

    calendar = commands.add_parser("calendar", help="official holiday schedules for deadlines")
    calendar_commands = calendar.add_subparsers(dest="calendar_command", required=True)
    calendar_import = calendar_commands.add_parser("import", help="import one year's schedule (CSV: date,type,name)")
    calendar_import.add_argument("file", type=Path)
    calendar_import.set_defaults(run=_calendar_import)

    classify = commands.add_parser(
        "classify", help="classify messages: JSON Lines {id, text} on stdin, {id, intent, category, confidence} out"
    )
    classify.add_argument("--evaluate", type=Path, metavar="FILE.jsonl", help="score a labelled file instead")
    classify.set_defaults(run=_classify)

    codes = commands.add_parser("codes", help="list instrument codes and lookup URLs")
    codes.add_argument("--market", help="only this market (its registered name)")
    codes.add_argument("--format", choices=("csv", "json"), default="csv")
    codes.set_defaults(run=registry_commands.codes_command)

    for module in (
        user_commands,
        telegram_commands,
        index_commands,
        warning_commands,
        operation_commands,
        page_commands,
    ):
        module.add_parser(commands)

    labels = commands.add_parser("labels", help="print an A4 sheet of QR stickers as PDF")
    labels.add_argument("--market", help="only this market (its registered name)")
    labels.add_argument("--merchant", help="only this merchant (its registered name)")
    labels.add_argument("--out", type=Path, required=True, help="the PDF file to write")
    labels.add_argument(
        "--form",
        choices=("lookup", "gs1"),
        default="lookup",
        help="gs1: QR codes carry the GS1 Digital Link path /01/{gtin}/21/{serial} for instruments with a GTIN",
    )
    labels.set_defaults(run=registry_commands.labels_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
    # Alembic narrates every connection it configures; the commands say what matters themselves.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiosqlite logs every statement with its parameters at DEBUG: contact details must never reach a log.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    try:
        settings = Settings()
        configure_logs(settings.fairweigh_log_format)
        result: int = args.run(settings, args)
        return result
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        print(f"fairweigh: configuration error: {problems}", file=sys.stderr)
    except (ConfigurationError, DatabaseNotReady) as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `fairweigh codes | head`: the reader has all it wanted. Point stdout at nothing so that the
        # interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        # One line that says where and why, instead of the driver's traceback.
        where = sa.engine.make_url(settings.async_database_url).render_as_string(hide_password=True)
        reason = (str(exc).splitlines() or [""])[0][:200]
        print(f"fairweigh: cannot reach the database at {where}: {type(exc).__name__}: {reason}", file=sys.stderr)
    return 2


async def _prepare_database(settings: Settings, *, demo: bool) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Migrate and seed for --demo; otherwise only check. Returns lookup URLs worth trying and new demo accounts."""
    engine = create_engine(settings.async_database_url)
    try:
        if not demo:
            await require_current_schema(engine)
            return [], []
        from web.cli.demo import seed_demo_district  # imported here: only --demo pays for the demo

        await upgrade(engine)
        urls, accounts = await seed_demo_district(for_writing(engine), settings)
        return urls, accounts
    finally:
        await engine.dispose()


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from aiohttp import web

    from web.app import create_app
    from web.http.access_log import server_options

    if "public_base_url" not in settings.model_fields_set:
        # Links printed and encoded in QR codes must point at this server when no public URL is set.
        settings = settings.model_copy(update={"public_base_url": f"http://{args.host}:{args.port}"})
    if args.demo and "fairweigh_second_factor_roles" not in settings.model_fields_set:
        # A reviewer signs in with the printed passwords alone; the second factor stays one page away.
        settings = settings.model_copy(update={"fairweigh_second_factor_roles": ""})
    urls, accounts = asyncio.run(_prepare_database(settings, demo=args.demo))
    if urls:
        print("Demo data is ready. Try these lookups:")
        for url in urls:
            print(f"  {url}")
    if accounts:
        print(f"Demo staff accounts (sign in at {settings.public_base_url}/login; shown only now):")
        for username, station, password in accounts:
            print(f"  {username} / {password}" + (f"  ({station})" if station else ""))
    if args.demo:
        print(_second_factor_line(settings))
    try:
        options = server_options(settings)
        web.run_app(create_app(settings), host=args.host, port=args.port, print=print, **options)
    except OSError as exc:
        print(f"fairweigh: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def _second_factor_line(settings: Settings) -> str:
    roles = ", ".join(sorted(settings.second_factor_roles))
    if roles:
        return (
            f"Second factor (TOTP): required for {roles}; the demo accounts of those roles are enrolled (their TOTP "
            "secret is printed above, for an authenticator app), others enrol at /account/second-factor."
        )
    return (
        "Second factor (TOTP): optional for every demo account (enrol at /account/second-factor); "
        "set FAIRWEIGH_SECOND_FACTOR_ROLES=admin,supervisor to require it as production does."
    )


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from web.worker import run

    run(settings)
    return 0


def _calendar_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"fairweigh: 无法读取 {args.file}：{exc} (cannot read the file)", file=sys.stderr)
        return 2

    async def run() -> tuple[int, int]:
        engine = create_engine(settings.async_database_url)
        try:
            await require_current_schema(engine)
            async with for_writing(engine).begin() as connection:
                return await import_schedule(connection, text)
        finally:
            await engine.dispose()

    try:
        year, count = asyncio.run(run())
    except ScheduleFileError as exc:
        print(f"fairweigh: {args.file}: {exc}", file=sys.stderr)
        return 2
    print(
        f"已导入 {year} 年的节假日安排，共 {count} 天，替换此前导入的 {year} 年安排 (imported {count} days for {year})"
    )
    return 0


def _classify(settings: Settings, args: argparse.Namespace) -> int:
    from complaints.classify.evaluate import classify_lines, evaluate, format_report

    if args.evaluate is None:
        errors = classify_lines(sys.stdin, sys.stdout)
        return 1 if errors else 0
    if not args.evaluate.is_file():
        print(f"fairweigh: 找不到文件 {args.evaluate} (no such file)", file=sys.stderr)
        return 2
    print(format_report(evaluate(args.evaluate)))
    return 0


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> None:
        engine = create_engine(settings.async_database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("fairweigh: the database schema is up to date.")
    return 0
