"""Monitoring points (诚信计量监测点): merchants who file a 15-item self-check each quarter, which a
handler of their station verifies item by item; and the year's summary.

A merchant has no account: the station gives them a link carrying a token derived from the service's secret
and the merchant (as a consumer's status link is), printed or sent by the handler who enrolled them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import MonitoringPoint, SelfCheck
from complaints.programme.code_checks import CodeShare, share
from complaints.scope import Scope
from lookup.free_text import clean_line
from lookup.models import Market, Merchant, Station, table_of
from lookup.problems import Kind, Problem

point_t, check_t = table_of(MonitoringPoint), table_of(SelfCheck)
merchant_t, market_t, station_t = table_of(Merchant), table_of(Market), table_of(Station)

# The quarterly self-check's fifteen items, in the form's order.
ITEMS = (
    "instruments_in_date",  # 在用计量器具均在检定有效期内
    "codes_scan_clean",  # 每台器具的码扫出的信息都正确
    "ledger_kept",  # 建立并更新计量器具台账
    "rules_in_place",  # 建立计量管理制度
    "person_responsible",  # 明确计量管理负责人
    "maintenance",  # 计量器具定期维护保养
    "knows_platform",  # 了解计量检定服务平台
    "staff_trained",  # 员工接受计量知识培训
    "commitment_made",  # 作出诚信计量承诺并公示
    "no_short_weight",  # 无缺斤短两
    "units_shown",  # 使用法定计量单位并明示
    "prices_marked",  # 明码标价
    "seals_intact",  # 铅封、签封完好
    "disputes_handled",  # 计量纠纷及时处理
    "problems_fixed",  # 发现的问题及时整改
)
MAX_NOTE_CHARS = 200


class MonitoringError(Problem, ValueError):
    """A self-check, verification or enrolment that cannot be taken; the messages are for the merchant or handler."""


def point_token(secret: str, merchant_id: int) -> str:
    digest = hmac.new(secret.encode(), f"monitoring-point:{merchant_id}".encode(), hashlib.sha256).digest()
    return digest[:16].hex()


def token_matches(secret: str, merchant_id: int, token: str) -> bool:
    return hmac.compare_digest(point_token(secret, merchant_id), token)


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _note(raw: object) -> str:
    return clean_line(raw)[:MAX_NOTE_CHARS] if isinstance(raw, str) else ""


def clean_answers(posted: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Every item answered yes or no, with an optional note; MonitoringError naming the first gap."""
    answers = {}
    for item in ITEMS:
        answer = posted.get(item, "")
        if answer not in {"yes", "no"}:
            raise MonitoringError("unanswered", "请回答每一项（是 / 否）。", "Please answer every item (yes / no).")
        answers[item] = {"ok": answer == "yes", "note": _note(posted.get(f"{item}_note"))}
    return answers


@dataclass(frozen=True, slots=True)
class Point:
    merchant_id: int
    merchant_name: str
    market_name: str | None
    stall: str
    station_id: int
    station_name: str
    since: date


async def enrol(connection: AsyncConnection, merchant_id: int, scope: Scope, *, on: date) -> bool:
    """Make the merchant a monitoring point of its station; False when it already is one. Write transaction.

    Only someone whose scope holds the merchant's station enrols it (``other_station`` otherwise)."""
    station_id = (
        await connection.execute(sa.select(merchant_t.c.station_id).where(merchant_t.c.id == merchant_id))
    ).scalar()
    if station_id is None:
        raise MonitoringError("no_merchant", "没有这个经营者。", "No such merchant.", kind=Kind.not_found)
    if not scope.sees_station(station_id):
        raise MonitoringError(
            "other_station", "这个经营者不归您的监管所管辖。", "This merchant is another station's.", kind=Kind.refused
        )
    exists = (await connection.execute(sa.select(point_t.c.since).where(point_t.c.merchant_id == merchant_id))).first()
    if exists is not None:
        return False
    await connection.execute(sa.insert(point_t).values(merchant_id=merchant_id, station_id=station_id, since=on))
    return True


async def points(connection: AsyncConnection, scope: Scope) -> list[Point]:
    """The monitoring points of the stations in the scope."""
    query = (
        sa.select(
            point_t.c.merchant_id,
            merchant_t.c.name,
            market_t.c.name,
            merchant_t.c.stall,
            point_t.c.station_id,
            station_t.c.name,
            point_t.c.since,
        )
        .join(merchant_t, merchant_t.c.id == point_t.c.merchant_id)
        .join(station_t, station_t.c.id == point_t.c.station_id)
        .outerjoin(market_t, market_t.c.id == merchant_t.c.market_id)
        .where(scope.station_condition(point_t.c.station_id))
        .order_by(station_t.c.name, merchant_t.c.name)
    )
    return [Point(*row) for row in await connection.execute(query)]


async def point(connection: AsyncConnection, merchant_id: int) -> Point | None:
    found = [p for p in await points(connection, Scope.everything()) if p.merchant_id == merchant_id]
    return found[0] if found else None


async def file_check(
    connection: AsyncConnection, merchant_id: int, quarter: str, answers: dict[str, Any], *, now: datetime
) -> int:
    """Store the quarter's self-check (a second filing replaces the first until a handler has verified it)."""
    row = (
        await connection.execute(
            sa.select(check_t.c.id, check_t.c.verified_at)
            .where(check_t.c.merchant_id == merchant_id, check_t.c.quarter == quarter)
            .with_for_update()
        )
    ).first()
    if row is None:
        inserted = await connection.execute(
            sa.insert(check_t)
            .values(merchant_id=merchant_id, quarter=quarter, answers=answers, submitted_at=now, verified={})
            .returning(check_t.c.id)
        )
        return int(inserted.scalar_one())
    if row.verified_at is not None:
        raise MonitoringError(
            "verified",
            "本季度的自查已经核实，不能再修改。",
            "This quarter's self-check has been verified already.",
            kind=Kind.conflict,
        )
    await connection.execute(sa.update(check_t).where(check_t.c.id == row.id).values(answers=answers, submitted_at=now))
    return int(row.id)


def clean_verification(posted: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    verified = {}
    for item in ITEMS:
        answer = posted.get(item, "")
        if answer not in {"confirmed", "rejected"}:
            raise MonitoringError(
                "unverified", "请逐项核实（属实 / 不属实）。", "Please verify every item (confirmed / not confirmed)."
            )
        verified[item] = {"ok": answer == "confirmed", "note": _note(posted.get(f"{item}_note"))}
    return verified


async def verify_check(
    connection: AsyncConnection, check_id: int, verified: dict[str, Any], *, by: int, now: datetime
) -> None:
    await connection.execute(
        sa.update(check_t).where(check_t.c.id == check_id).values(verified=verified, verified_by=by, verified_at=now)
    )


@dataclass(frozen=True, slots=True)
class YearLine:
    point: Point
    quarters_filed: int
    quarters_verified: int
    declared_problems: int  # items the merchant answered "no"
    confirmed_ok: int  # items a handler confirmed (of the verified checks)
    rejected: int  # items a handler found not as declared
    codes: CodeShare  # the GM2D item by the volunteers' visits: codes scanned, and how many named an instrument


async def year_summary(connection: AsyncConnection, year: int, scope: Scope) -> list[YearLine]:
    """The annual summary report: per monitoring point in the scope, what was filed and what the handlers found."""
    lines = []
    for p in await points(connection, scope):
        checks = await connection.execute(
            sa.select(check_t.c.answers, check_t.c.verified, check_t.c.verified_at).where(
                check_t.c.merchant_id == p.merchant_id, check_t.c.quarter.like(f"{year}-Q%")
            )
        )
        filed = verified_count = problems = confirmed = rejected = 0
        for answers, verified, verified_at in checks:
            filed += 1
            problems += sum(1 for item in ITEMS if not answers.get(item, {}).get("ok", False))
            if verified_at is not None:
                verified_count += 1
                confirmed += sum(1 for item in ITEMS if verified.get(item, {}).get("ok"))
                rejected += sum(1 for item in ITEMS if item in verified and not verified[item].get("ok"))
        codes = await share(connection, p.merchant_id, date(year, 1, 1), date(year, 12, 31))
        lines.append(YearLine(p, filed, verified_count, problems, confirmed, rejected, codes))
    return lines


async def checks_of(connection: AsyncConnection, merchant_id: int) -> list[Any]:
    return list(
        await connection.execute(
            sa.select(check_t).where(check_t.c.merchant_id == merchant_id).order_by(check_t.c.quarter.desc())
        )
    )


async def check(connection: AsyncConnection, check_id: int) -> Any:
    return (await connection.execute(sa.select(check_t).where(check_t.c.id == check_id))).first()
