"""Volunteer supervisors (群众计量监督员): the visit form on a phone, their own visits, and the supervisors' list
of volunteers and visits. A finding becomes a report in the station's queue (complaints/programme/visits.py).

The form has a field per instrument checked, filled by typing or by 扫一扫; each code is resolved and kept with
whether it named an instrument (complaints/programme/code_checks.py), the monitoring sheet's GM2D item."""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from complaints.models import Complaint, VisitCodeCheck, VolunteerVisit
from complaints.photos import MAX_PHOTOS, PhotoError, prepare_photo
from complaints.programme.code_checks import CodeCheck, code_check
from complaints.programme.visits import (
    CHECKS,
    MAX_NOTES_CHARS,
    MAX_SCANNED,
    Visit,
    VisitError,
    as_report,
    clean_checks,
    one_merchant,
    record_visit,
)
from complaints.submission import VOLUNTEER, Contact, Submission, SubmissionError
from lookup.codes.resolve import resolve
from lookup.free_text import clean_block
from lookup.models import Merchant, Station, table_of
from lookup.scan import InstrumentCard
from lookup.status import PRESENTATION
from web.auth.access import VIEWER, staff
from web.auth.accounts import Viewer
from web.auth.models import StaffRole, User
from web.auth.scope import Reach
from web.http.protective_headers import allow_scanner
from web.i18n import request_language
from web.keys import CLOCK, ENGINE, INTAKE, SCAN_READER
from web.render.staff_pages import render_staff_page
from web.uploads import read_form

visit_t, complaint_t, merchant_t = table_of(VolunteerVisit), table_of(Complaint), table_of(Merchant)
code_check_t = table_of(VisitCodeCheck)
user_t, station_t = table_of(User), table_of(Station)
_SEPARATORS = re.compile(r"[\s,，;；]+")
CODE_FIELDS = 8  # one field per instrument checked; more appear as they fill (a form sent back keeps them)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/visits/new", visit_form)
    app.router.add_post("/visits/new", record)
    app.router.add_get("/visits", own_visits)
    app.router.add_get("/volunteers", volunteers)


def _form(request: web.Request, *, values: dict[str, str], error: str | None = None, status: int = 200) -> web.Response:
    filled = max((n for n in range(1, MAX_SCANNED + 1) if values.get(f"code_{n}", "").strip()), default=0)
    response = render_staff_page(
        request, "visit_form.html", status=status, checks=list(CHECKS), values=values, error=error,
        max_photos=MAX_PHOTOS, max_notes=MAX_NOTES_CHARS, code_fields=min(MAX_SCANNED, max(CODE_FIELDS, filled + 2)),
    )  # fmt: skip
    return allow_scanner(request, response)  # 扫一扫 fills the next field


@staff(StaffRole.volunteer, reach=Reach.none)
async def visit_form(request: web.Request) -> web.Response:
    return _form(request, values={"code_1": request.query.get("code", "")[:40]})


def _typed(values: dict[str, str]) -> list[str]:
    """The codes as entered, one per field (a GS1 element string may hold spaces), then any in a list ("codes")."""
    typed = [values.get(f"code_{n}", "").strip() for n in range(1, MAX_SCANNED + 2)]
    typed += _SEPARATORS.split(values.get("codes", ""))
    return list(dict.fromkeys(text for text in typed if text))


async def _cards(request: web.Request, values: dict[str, str]) -> tuple[list[InstrumentCard], list[CodeCheck]]:
    """The instruments the codes name, and each code with whether it named one."""
    typed = _typed(values)
    if len(typed) > MAX_SCANNED:
        raise VisitError("too_many", f"一次最多 {MAX_SCANNED} 台器具。", f"At most {MAX_SCANNED} instruments.")
    cards: list[InstrumentCard] = []
    checks: list[CodeCheck] = []
    for text in typed:
        async with request.app[ENGINE].connect() as connection:
            check = code_check(await resolve(connection, text))
        checks.append(check)
        card = await request.app[SCAN_READER].card(check.code) if check.code else None
        if card is not None and card.code not in {seen.code for seen in cards}:
            cards.append(card)
    unresolved = [check.text for check in checks if not check.resolved]
    if unresolved and not cards:  # no instrument to say whose stall this is
        raise VisitError(
            "unknown_code",
            f"没有编码为 {unresolved[0][:20]} 的器具：贴纸可能是伪造的，请拍照并在备注中说明。",
            f"No instrument has the code {unresolved[0][:20]}: the sticker may be forged; photograph it and say so.",
        )
    return cards, checks


def trusted(card: InstrumentCard, visit: Visit) -> bool:
    return PRESENTATION[card.status(visit.visited_on)].trustworthy


@staff(StaffRole.volunteer, reach=Reach.none)
async def record(request: web.Request) -> web.Response:
    viewer: Viewer = request[VIEWER]
    values: dict[str, str] = {}
    try:
        values, raw_photos = await read_form(request)
        checks = clean_checks(values)
        cards, code_checks = await _cards(request, values)
        first = one_merchant(cards)
        notes = clean_block(values.get("notes", ""))[:MAX_NOTES_CHARS]
        photos = tuple(await asyncio.gather(*(asyncio.to_thread(prepare_photo, raw) for raw in raw_photos)))
    except (SubmissionError, VisitError, PhotoError) as problem:
        message = problem.english if request_language(request).language == "en" else problem.chinese
        return _form(request, values=values, error=message, status=400)
    now = request.app[CLOCK]()
    async with request.app[ENGINE].connect() as connection:
        station_id = (
            await connection.execute(sa.select(merchant_t.c.station_id).where(merchant_t.c.id == first.merchant_id))
        ).scalar_one()
    visit = Visit(
        volunteer_id=viewer.user_id,
        volunteer_name=viewer.display_name,
        merchant_id=first.merchant_id,
        merchant_name=first.merchant_name,
        station_id=station_id,
        visited_on=now.date(),
        checks=checks,
        instruments=cards,
        notes=notes,
        code_checks=code_checks,
    )
    report = None
    if visit.findings():
        # The volunteer is the reporter: their name stays in the case's contact, never on a public page.
        contact = Contact(name=viewer.display_name, channel_user=f"volunteer:{viewer.user_id}")
        bad = next((card for card in cards if card.status(visit.visited_on).value not in {"valid", "expiring"}), first)
        submission = Submission(
            text=visit.report_text(), channel=VOLUNTEER, code=bad.code, contact=contact, photos=photos
        )
        report = as_report(await request.app[INTAKE].prepare(submission, bad), visit)
    work = functools.partial(record_visit, visit=visit, report=report, now=now)
    receipt = await request.app[INTAKE].transactions.run(work)
    target = f"/visits?recorded={receipt.ref}" if receipt is not None else "/visits?recorded=clean"
    raise web.HTTPSeeOther(location=target)


def _codes_of_visit(resolved_only: bool) -> Any:
    c = code_check_t.c
    condition = c.visit_id == visit_t.c.id
    if resolved_only:
        condition = sa.and_(condition, c.resolved.is_(True))
    return sa.select(sa.func.count(c.id)).where(condition).scalar_subquery()


async def _visits(request: web.Request, volunteer_id: int | None) -> list[Any]:
    query = (
        sa.select(
            visit_t.c.id,
            visit_t.c.visited_on,
            visit_t.c.checks,
            visit_t.c.instruments,
            _codes_of_visit(False).label("codes_scanned"),
            _codes_of_visit(True).label("codes_resolved"),
            merchant_t.c.name.label("merchant"),
            station_t.c.name.label("station"),
            complaint_t.c.ref.label("report_ref"),
            user_t.c.display_name.label("volunteer"),
        )
        .join(merchant_t, merchant_t.c.id == visit_t.c.merchant_id)
        .join(station_t, station_t.c.id == visit_t.c.station_id)
        .join(user_t, user_t.c.id == visit_t.c.volunteer_id)
        .outerjoin(complaint_t, complaint_t.c.id == visit_t.c.report_id)
        .order_by(visit_t.c.id.desc())
        .limit(200)
    )
    if volunteer_id is not None:
        query = query.where(visit_t.c.volunteer_id == volunteer_id)
    async with request.app[ENGINE].connect() as connection:
        return list(await connection.execute(query))


@staff(StaffRole.volunteer, reach=Reach.none)
async def own_visits(request: web.Request) -> web.Response:
    visits = await _visits(request, request[VIEWER].user_id)
    recorded = request.query.get("recorded", "")[:20]
    return render_staff_page(request, "visits.html", visits=visits, recorded=recorded, checks=list(CHECKS))


@staff(StaffRole.supervisor, reach=Reach.district)
async def volunteers(request: web.Request) -> web.Response:
    async with request.app[ENGINE].connect() as connection:
        people = list(
            await connection.execute(
                sa.select(
                    user_t.c.display_name,
                    user_t.c.username,
                    user_t.c.active,
                    sa.func.count(visit_t.c.id).label("visits"),
                    sa.func.count(visit_t.c.report_id).label("reports"),
                    sa.func.max(visit_t.c.visited_on).label("last_visit"),
                )
                .outerjoin(visit_t, visit_t.c.volunteer_id == user_t.c.id)
                .where(user_t.c.role == StaffRole.volunteer)
                .group_by(user_t.c.id, user_t.c.display_name, user_t.c.username, user_t.c.active)
                .order_by(user_t.c.display_name)
            )
        )
    visits = await _visits(request, None)
    return render_staff_page(request, "volunteers.html", people=people, visits=visits, checks=list(CHECKS))
