"""`serve --demo`: a demo district (registry, staff accounts, integrity-index street) and three weeks of its
cases, seeded into an empty database through the same functions the service itself uses."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lookup.models import table_of
from web.auth.models import StaffRole, User
from web.settings import Settings

user_t = table_of(User)
VOLUNTEER = ("demo-volunteer", "群众计量监督员 林晓")


async def _enrol_where_required(
    connection: AsyncConnection,
    accounts: list[tuple[str, str, str]],
    users: list[Any],
    settings: Settings,
    now: datetime,
) -> list[tuple[str, str, str]]:
    """The new demo accounts whose role must have a second factor (FAIRWEIGH_SECOND_FACTOR_ROLES) are enrolled now,
    and their line printed once says the secret to type into an authenticator app."""
    from web.auth.second_factor import enrol_at_once, grouped

    required, roles = settings.second_factor_roles, {username: (user_id, role) for username, user_id, role in users}
    printed = []
    for username, label, password in accounts:
        user_id, role = roles[username]
        if str(getattr(role, "value", role)) in required:
            secret = await enrol_at_once(connection, user_id, now=now)
            label = f"{label}; TOTP secret {grouped(secret)}" if label else f"TOTP secret {grouped(secret)}"
        printed.append((username, label, password))
    return printed


async def seed_demo_district(engine: AsyncEngine, settings: Settings) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Seed what is missing; returns lookup URLs worth trying and the staff accounts made now (with passwords).

    ``engine`` opens write transactions that lock before they read (``web.db.for_writing``).
    """
    # Imported here: only --demo pays for building the demo district and loading the classifier.
    from complaints.classify import Classifier
    from complaints.demo.seed import DemoSetting, seed_demo_cases
    from complaints.programme.index_metrics import AreaError, save_area
    from lookup.demo import MARKETS as DEMO_MARKETS
    from lookup.demo import seed_demo
    from web.auth.accounts import add_demo_accounts, add_user
    from web.intake_service import intake_policy

    now = datetime.now(settings.zone)
    urls = await seed_demo(engine, today=now.date(), base_url=settings.public_base_url)
    async with engine.begin() as connection:
        accounts = await add_demo_accounts(connection)
        if accounts:
            password = secrets.token_urlsafe(12)
            await add_user(
                connection, VOLUNTEER[0], StaffRole.volunteer, password, station=None, display_name=VOLUNTEER[1]
            )
            accounts.append((VOLUNTEER[0], "群众计量监督员 · volunteer", password))
        # The integrity index scores the demo's markets as one street (left alone on a registry without them).
        with contextlib.suppress(AreaError):
            markets = [market.name for market in DEMO_MARKETS]
            await save_area(connection, "鼓楼诚信计量示范街区", kind="street", district="鼓楼区", markets=markets)
            await save_area(connection, "西湖景区", kind="scenic", district="鼓楼区", markets=markets[-1:])
        users = list(await connection.execute(sa.select(user_t.c.username, user_t.c.id, user_t.c.role)))
        ids: dict[str, int] = {username: user_id for username, user_id, _ in users}
        accounts = await _enrol_where_required(connection, accounts, users, settings, now)
    setting = DemoSetting(
        now=now,
        zone=settings.zone,
        secret=settings.secret(),
        policy=intake_policy(settings),
        classifier=Classifier.load(),
        handler_id=ids.get("demo-handler"),
        volunteer_id=ids.get(VOLUNTEER[0]),
        volunteer_name=VOLUNTEER[1],
    )
    filed = await seed_demo_cases(engine, setting)
    if filed:
        urls.append(f"{settings.public_base_url}/queue   ({filed} demo cases of the last three weeks)")
    return urls, accounts
