"""The dashboard and reports (`/reports…`): figures and charts of a month, case exports, the monthly inspection
report, and the classifier's corrections.

A handler sees their own station, a supervisor the district; an administrator is refused (403). Each handler is a
few lines over complaints.reporting.reports / charts / exports / inspection_report. A bad parameter answers a 400 page.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from complaints.odr.figures import odr_figures
from complaints.personal_data.access_log import AccessRoute, clean_export_reason
from complaints.reporting.charts import Series, bar_chart, stacked_bar_chart
from complaints.reporting.exports import (
    BOM,
    CODED_COLUMNS,
    XLSX_TYPE,
    CaseRow,
    Label,
    XlsxSheet,
    case_rows,
    case_widths,
    cells,
    columns,
    corrections,
    csv_lines,
    json_line,
    shows_contact,
)
from complaints.reporting.inspection_report import (
    COLUMNS,
    SAFETY,
    Footer,
    InspectionReport,
    inspection_report,
    inspection_xlsx,
)
from complaints.reporting.reports import REPLY_TARGET, SATISFACTION_TARGET, Period, Ratio, Report, build_report
from complaints.scope import Scope
from lookup.legal_use import LegalUse
from lookup.problems import Problem
from web.auth.access import VIEWER, staff
from web.auth.models import StaffRole
from web.auth.scope import CASE_WORKERS, SCOPE, Reach
from web.contact_log import contacts_shown
from web.i18n import Catalogue, LanguageChoice, request_language
from web.keys import CLOCK, ENGINE, PAGES, SETTINGS
from web.queue_filters import BadFilter, parse_filter
from web.render.staff_pages import render_staff_page

REPORTERS = CASE_WORKERS
_MONTH = re.compile(r"(\d{4})-(\d{2})")
# Where the catalogue keeps the words for an exported code (status `resolved` → `case_status.resolved`).
_CODE_KEYS = {
    "channel": "channel.",
    "intent": "intent.",
    "category": "category.",
    "priority": "priority.",
    "status": "case_status.",
    "outcome": "outcome.",
}


class BadParameter(Problem, ValueError):
    """A report parameter (``month``, ``from``, ``to``) that is not a date of the form asked for."""

    name = value = ""

    @classmethod
    def of(cls, name: str, value: str) -> BadParameter:
        shown = value[:40]
        error = cls("bad_parameter", f"{name} 的值 {shown!r} 无效。", f"{name}={shown!r}", field=name)
        error.name, error.value = name, shown
        return error


MAX_HEAD_CHARS = 50


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reports", reports_page)
    app.router.add_get("/reports/cases.csv", cases_csv)
    app.router.add_get("/reports/cases.xlsx", cases_xlsx)
    app.router.add_get("/reports/inspections", inspections_page)
    app.router.add_get("/reports/inspections.xlsx", inspections_workbook)
    app.router.add_get("/reports/corrections.jsonl", corrections_jsonl)


def _catalogue(request: web.Request) -> tuple[LanguageChoice, Catalogue]:
    choice = request_language(request)
    return choice, request.app[PAGES].catalogues[choice.language]


def _bad_request(request: web.Request, bad: BadParameter | BadFilter, template: str = "reports.html") -> web.Response:
    value = bad.value if isinstance(bad, BadParameter) else request.query.get(bad.name, "")[:40]
    return render_staff_page(request, template, status=400, error={"name": bad.name, "value": value}, report=None)


def _today(request: web.Request) -> date:
    return request.app[CLOCK]().astimezone(request.app[SETTINGS].zone).date()


def _month(request: web.Request) -> Period:
    raw = request.query.get("month", "").strip()
    zone = request.app[SETTINGS].zone
    if not raw:
        today = _today(request)
        return Period.month(today.year, today.month, zone)
    found = _MONTH.fullmatch(raw)
    if found is None or not (2000 <= int(found[1]) <= 2999 and 1 <= int(found[2]) <= 12):
        raise BadParameter.of("month", raw)
    return Period.month(int(found[1]), int(found[2]), zone)


def _scope_name(request: web.Request, t: Catalogue) -> str:
    return t("reports.scope.district") if request[SCOPE].whole_district else request[VIEWER].station_name or ""


def percent(ratio: Ratio) -> str:
    return "—" if ratio.rate is None else f"{ratio.rate * 100:.1f} %"


def _month_text(period: Period) -> str:
    return f"{period.start:%Y-%m}"


def _charts(report: Report, t: Catalogue) -> dict[str, str]:
    labels = [row.station_name or t("reports.intake") for row in report.stations]
    category_name = _labeller(t)
    series = [
        Series(category_name("category", category), [report.by_week[week].get(category, 0) for week in report.weeks])
        for category in report.categories
    ]
    weeks = [report.period.week_label(week) for week in report.weeks]
    charts = {"weeks": stacked_bar_chart(t("reports.chart.weeks"), weeks, series, chart_id="chart-weeks")}
    for name, target in (("replied", REPLY_TARGET), ("on_time", None), ("satisfied", SATISFACTION_TARGET)):
        values = [getattr(row.figures, name).rate for row in report.stations]
        charts[name] = bar_chart(t(f"reports.chart.{name}"), labels, values, chart_id=f"chart-{name}", target=target)
    return charts


@staff(*REPORTERS, reach=Reach.scope)
async def reports_page(request: web.Request) -> web.Response:
    try:
        period = _month(request)
    except BadParameter as bad:
        return _bad_request(request, bad)
    scope = request[SCOPE]
    use = request.query.get("use", "").strip()
    if use and use not in LegalUse.__members__:
        return _bad_request(request, BadParameter.of("use", use))
    async with request.app[ENGINE].connect() as connection:
        report = await build_report(connection, scope, period, legal_use=LegalUse(use) if use else None)
        since, until = period.bounds()
        # Settled by the merchant (ODR) is counted apart from the stations' mediation: cases sent in the period.
        odr = await odr_figures(connection, station_ids=scope.station_ids, since=since, until=until)
    _, t = _catalogue(request)
    previous = period.start - timedelta(days=1)
    following = period.end + timedelta(days=1)
    return render_staff_page(
        request,
        "reports.html",
        report=report,
        odr_figures=odr,
        error=None,
        month=_month_text(period),
        previous=f"{previous:%Y-%m}",
        following=f"{following:%Y-%m}",
        scope_name=_scope_name(request, t),
        charts=_charts(report, t),
        percent=percent,
        export_query=urlencode({"from": period.start.isoformat(), "to": period.end.isoformat(), "use": use}),
        uses=list(LegalUse),
        use=use,
        may_export_corrections=scope.whole_district,  # the corrections export is the whole district's
    )


def _may_include_contacts(request: web.Request) -> bool:
    """Contacts only when asked for (`contacts=yes`), and only for someone whose scope holds cases: an export
    leaves personal data out unless someone needs it."""
    return request.query.get("contacts") == "yes" and not request[SCOPE].is_empty


def _export_setup(request: web.Request) -> tuple[Scope, Any, bool, Catalogue, str]:
    """(scope, filters, contacts asked for, catalogue, the reason given for contacts); raises BadFilter, or
    ReasonError when contacts are asked for without a reason — before anything is written."""
    filters = parse_filter(request.query, zone=request.app[SETTINGS].zone, today=_today(request))
    _, t = _catalogue(request)
    contacts = _may_include_contacts(request)
    reason = clean_export_reason(request.query.get("reason")) if contacts else ""
    return request[SCOPE], filters, contacts, t, reason


async def _log_shown(request: web.Request, page: list[CaseRow], scope: Scope, route: AccessRoute, reason: str) -> None:
    shown = [row.complaint_id for row in page if shows_contact(row, own_station=scope.handles(row.station_id))]
    await contacts_shown(request, shown, route, reason=reason)


def _labeller(t: Catalogue) -> Label:
    def label(column: str, code: str) -> str:
        try:
            return t(_CODE_KEYS[column] + code) if column in CODED_COLUMNS else code
        except KeyError:
            return code

    return label


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def _file_stem(request: web.Request) -> str:
    return f"cases-{_today(request).isoformat()}"


@staff(*REPORTERS, reach=Reach.scope)
async def cases_csv(request: web.Request) -> web.StreamResponse:
    try:
        scope, filters, contacts, t, reason = _export_setup(request)
    except BadFilter as bad:
        return _bad_request(request, bad)
    names = columns(include_contacts=contacts)
    response = web.StreamResponse(headers=_attachment(f"{_file_stem(request)}.csv"))
    response.content_type, response.charset = "text/csv", "utf-8"
    await response.prepare(request)
    await response.write((BOM + csv_lines([[t(f"reports.export.{name}") for name in names]])).encode())
    zone, label = request.app[SETTINGS].zone, _labeller(t)
    async with request.app[ENGINE].connect() as connection:
        async for page in case_rows(connection, scope, filters, include_contacts=contacts):
            await _log_shown(request, page, scope, AccessRoute.export_csv, reason)
            rows = [
                cells(row, zone=zone, include_contacts=contacts, own_station=scope.handles(row.station_id), label=label)
                for row in page
            ]
            await response.write(csv_lines(rows).encode())
    await response.write_eof()
    return response


@staff(*REPORTERS, reach=Reach.scope)
async def cases_xlsx(request: web.Request) -> web.Response:
    try:
        scope, filters, contacts, t, reason = _export_setup(request)
    except BadFilter as bad:
        return _bad_request(request, bad)
    names = columns(include_contacts=contacts)
    sheet = XlsxSheet(t("reports.export.sheet"), [t(f"reports.export.{name}") for name in names], case_widths(names))
    zone, label = request.app[SETTINGS].zone, _labeller(t)
    async with request.app[ENGINE].connect() as connection:
        async for page in case_rows(connection, scope, filters, include_contacts=contacts):
            await _log_shown(request, page, scope, AccessRoute.export_xlsx, reason)
            for row in page:
                sheet.append(
                    cells(
                        row,
                        zone=zone,
                        include_contacts=contacts,
                        own_station=scope.handles(row.station_id),
                        label=label,
                    )
                )
    body = await asyncio.to_thread(sheet.finish)
    return web.Response(body=body, content_type=XLSX_TYPE, headers=_attachment(f"{_file_stem(request)}.xlsx"))


async def _inspections(request: web.Request) -> tuple[Period, InspectionReport, str] | web.Response:
    """The month's report for the viewer's scope and the scope's name, or the 400 page for a bad month."""
    try:
        period = _month(request)
    except BadParameter as bad:
        return _bad_request(request, bad, "inspection_report.html")
    async with request.app[ENGINE].connect() as connection:
        report = await inspection_report(connection, request[SCOPE], period)
    _, t = _catalogue(request)
    return period, report, _scope_name(request, t)


@staff(*REPORTERS, reach=Reach.scope)
async def inspections_page(request: web.Request) -> web.Response:
    found = await _inspections(request)
    if isinstance(found, web.Response):
        return found
    period, report, scope_name = found
    return render_staff_page(
        request,
        "inspection_report.html",
        report=report,
        error=None,
        month=_month_text(period),
        scope_name=scope_name,
        columns=[name for name, _ in COLUMNS],
        safety=SAFETY,
        footer=_footer(request),
    )


def _footer(request: web.Request) -> Footer:
    """负责人 as typed on the page (``head``), 填表人 the viewer, 填表时间 today."""
    head = " ".join(request.query.get("head", "").split())[:MAX_HEAD_CHARS]
    viewer = request[VIEWER]
    return Footer(head=head, filled_by=viewer.display_name or viewer.username, filled_on=_today(request))


@staff(*REPORTERS, reach=Reach.scope)
async def inspections_workbook(request: web.Request) -> web.Response:
    found = await _inspections(request)
    if isinstance(found, web.Response):
        return found
    period, report, scope_name = found
    body = inspection_xlsx(report, scope_name, footer=_footer(request))
    return web.Response(
        body=body, content_type=XLSX_TYPE, headers=_attachment(f"inspections-{_month_text(period)}.xlsx")
    )


def _day_bound(request: web.Request, name: str, *, after: bool) -> datetime | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise BadParameter.of(name, raw) from exc
    if not 2000 <= day.year <= 2999:  # at the calendar's ends the next day, or UTC, overflows
        raise BadParameter.of(name, raw)
    return datetime.combine(day + timedelta(days=1) if after else day, time(), request.app[SETTINGS].zone)


@staff(StaffRole.supervisor, reach=Reach.district)
async def corrections_jsonl(request: web.Request) -> web.StreamResponse:
    """Reclassifications from `from` to `to` (local dates, both optional and inclusive), one JSON object a line."""
    try:
        since, until = _day_bound(request, "from", after=False), _day_bound(request, "to", after=True)
    except BadParameter as bad:
        return _bad_request(request, bad)
    response = web.StreamResponse(headers=_attachment(f"corrections-{_today(request).isoformat()}.jsonl"))
    response.content_type, response.charset = "application/x-ndjson", "utf-8"
    await response.prepare(request)
    async with request.app[ENGINE].connect() as connection:
        async for record in corrections(connection, request[SCOPE], since=since, until=until):
            await response.write(json_line(record).encode())
    await response.write_eof()
    return response
