"""`fairweigh users …`: staff accounts from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from lookup.models import table_of
from web.auth.accounts import AccountError, add_user, issue_token, revoke_tokens
from web.auth.models import StaffRole, User, WebSession
from web.auth.second_factor import reset_factor
from web.auth.throttle import record_attempt
from web.db import create_engine, for_writing, require_current_schema
from web.settings import Settings

T = TypeVar("T")
user_t, session_t = table_of(User), table_of(WebSession)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="staff accounts").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="add a user; the password is read from stdin or asked for")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[role.value for role in StaffRole])
    add.add_argument("--station", help="the station a handler works for (its registered name)")
    add.add_argument("--name", default="", help="the name shown in the queue")
    add.set_defaults(run=_add)
    token = users.add_parser("token", help="print a new bearer token for the JSON API (last line)")
    token.add_argument("username")
    token.add_argument("--label", default="", help="what the token is for")
    token.set_defaults(run=_token)
    revoke = users.add_parser("revoke", help="revoke every API token of a user")
    revoke.add_argument("username")
    revoke.set_defaults(run=_revoke)
    reset = users.add_parser("reset-factor", help="forget a user's second factor (a lost phone); it signs in again")
    reset.add_argument("username")
    reset.set_defaults(run=_reset_factor)


def write_transaction(settings: Settings, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.async_database_url)
        try:
            await require_current_schema(engine)
            async with for_writing(engine).begin() as connection:
                return await work(connection)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("密码 (password): ")
    if getpass.getpass("再输入一次 (again): ") != first:
        raise AccountError("两次输入的密码不一致 (the passwords differ)")
    return first


def _add(settings: Settings, args: argparse.Namespace) -> int:
    try:
        password = _read_password()
        role = StaffRole(args.role)
        write_transaction(
            settings, lambda c: add_user(c, args.username, role, password, station=args.station, display_name=args.name)
        )
    except AccountError as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    print(f"已添加用户 {args.username}（{args.role}） (added)")
    return 0


def _token(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        token = write_transaction(settings, lambda c: issue_token(c, args.username, label=args.label, now=now))
    except AccountError as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    print(f"API token for {args.username} (shown once; revoke with `fairweigh users revoke {args.username}`):")
    print(token)
    return 0


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        count = write_transaction(settings, lambda c: revoke_tokens(c, args.username, now=now))
    except AccountError as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    print(f"已撤销 {count} 个令牌 (revoked {count} tokens)")
    return 0


async def _reset(connection: AsyncConnection, username: str, now: datetime) -> None:
    user_id = (await connection.execute(sa.select(user_t.c.id).where(user_t.c.username == username))).scalar()
    if user_id is None:
        raise AccountError(f"没有这个用户 (no such user): {username}")
    await reset_factor(connection, user_id)
    await connection.execute(sa.delete(session_t).where(session_t.c.user_id == user_id))
    await record_attempt(connection, username, "factor_reset", remote="console", now=now, actor="console")


def _reset_factor(settings: Settings, args: argparse.Namespace) -> int:
    """The way back for the last administrator who lost their phone and recovery codes."""
    try:
        write_transaction(settings, lambda c: _reset(c, args.username, datetime.now(UTC)))
    except AccountError as exc:
        print(f"fairweigh: {exc}", file=sys.stderr)
        return 2
    print(f"已重置 {args.username} 的两步验证 (second factor reset; their sessions have ended)")
    return 0
