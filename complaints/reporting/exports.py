"""Exports of cases (CSV, XLSX) and of handlers' corrections (JSON Lines, to improve the classifier).

The cases are those the queue shows (:func:`complaints.queue.listing.list_cases`: the same scope and filters, the same
order), read a page at a time so an export of a province's month never sits in memory as ORM objects.

Spreadsheet safety: a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be a
formula to Excel or LibreOffice (``=HYPERLINK(…)`` in a complaint's words). In CSV such a cell gets a leading
single quote; in XLSX every cell is written as a string, never a formula. Contact details are written only when
the caller says they may be (the composition root decides who may).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.case_view import outcome_of
from complaints.models import Complaint, ComplaintContact, ComplaintEvent
from complaints.privacy import mask_name, mask_phone, reveals_contact
from complaints.queue.conditions import QueueFilter
from complaints.queue.listing import MAX_LIMIT, list_cases
from complaints.scope import Scope
from lookup.models import Merchant, Station, table_of

complaint_t, contact_t, event_t = table_of(Complaint), table_of(ComplaintContact), table_of(ComplaintEvent)
station_t, merchant_t = table_of(Station), table_of(Merchant)

CASE_COLUMNS = (
    "ref",
    "received_at",
    "channel",
    "intent",
    "category",
    "priority",
    "status",
    "station",
    "merchant",
    "due_on",
    "text",
    "outcome",
    "refund_yuan",
    "closed_on",
    "satisfaction",
)
CONTACT_COLUMNS = ("contact_name", "contact_phone")
# Columns whose values are codes a caller may want to show as words (intent.complaint → 投诉).
CODED_COLUMNS = frozenset({"channel", "intent", "category", "priority", "status", "outcome"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a CSV without it in the system's code page, which garbles Chinese
XLSX_MAX_CELL = 32767
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Label = Callable[[str, str], str]  # (column, code) → what to write


@dataclass(frozen=True, slots=True)
class CaseRow:
    complaint_id: int  # whose contact an export shows is logged by case (complaints.personal_data.access_log)
    ref: str
    received_at: datetime  # UTC
    channel: str
    intent: str
    category: str
    priority: str
    status: str
    station: str | None
    station_id: int | None  # whose reporters' contacts the export may show (Scope.handles)
    merchant: str | None
    due_on: date | None  # the deadline that counts now, or for an ended case the last one that applied
    text: str
    contact_name: str | None  # None when contacts were not asked for
    contact_phone: str | None
    outcome: str = ""  # what a mediation agreed (refund, make_up, apology, other)
    refund_yuan: float | None = None
    closed_at: datetime | None = None
    satisfaction: int | None = None


def columns(*, include_contacts: bool) -> tuple[str, ...]:
    return CASE_COLUMNS + CONTACT_COLUMNS if include_contacts else CASE_COLUMNS


async def case_rows(
    connection: AsyncConnection,
    scope: Scope,
    filters: QueueFilter,
    *,
    include_contacts: bool,
    page_size: int = MAX_LIMIT,
) -> AsyncIterator[list[CaseRow]]:
    """The cases of the queue's scope and filters, in the queue's order, one page of rows at a time."""
    after: str | None = None
    while True:
        page = await list_cases(connection, scope, filters, after=after, limit=page_size)
        if page.rows:
            yield await _details(connection, [row.id for row in page.rows], include_contacts=include_contacts)
        if page.next_cursor is None:
            return
        after = page.next_cursor


async def _details(connection: AsyncConnection, ids: list[int], *, include_contacts: bool) -> list[CaseRow]:
    c = complaint_t.c
    wanted: list[Any] = [
        c.id,
        c.ref,
        c.received_at,
        c.channel,
        c.intent,
        c.category,
        c.priority,
        c.status,
        c.station_id,
        station_t.c.name.label("station"),
        merchant_t.c.name.label("merchant"),
        # An ended case keeps the deadline it worked to last: mediation once accepted, else acceptance.
        sa.func.coalesce(c.due_on, c.handle_due, c.accept_due).label("due_on"),
        c.text,
        c.satisfaction,
    ]
    query = sa.select(*wanted).outerjoin(station_t, station_t.c.id == c.station_id)
    query = query.outerjoin(merchant_t, merchant_t.c.id == c.merchant_id)
    if include_contacts:
        query = query.add_columns(contact_t.c.name.label("contact_name"), contact_t.c.phone.label("contact_phone"))
        query = query.outerjoin(contact_t, contact_t.c.complaint_id == c.id)
    found = {row.id: row for row in await connection.execute(query.where(c.id.in_(ids)))}
    endings = await _endings(connection, ids)
    return [
        CaseRow(
            complaint_id=row.id,
            ref=row.ref,
            received_at=row.received_at,
            channel=row.channel,
            intent=str(row.intent),
            category=row.category,
            priority=str(row.priority),
            status=str(row.status),
            station=row.station,
            station_id=row.station_id,
            merchant=row.merchant,
            due_on=row.due_on,
            text=row.text,
            contact_name=(row.contact_name or "") if include_contacts else None,
            contact_phone=(row.contact_phone or "") if include_contacts else None,
            satisfaction=row.satisfaction,
            **endings.get(row.id, {}),
        )
        for row in (found[i] for i in ids if i in found)
    ]


async def _endings(connection: AsyncConnection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per case, what its last `resolve` agreed and when it was last closed."""
    endings: dict[int, dict[str, Any]] = {}
    events = await connection.execute(
        sa.select(event_t.c.complaint_id, event_t.c.action, event_t.c.at, event_t.c.facts)
        .where(event_t.c.complaint_id.in_(ids), event_t.c.action.in_(("resolve", "close")))
        .order_by(event_t.c.id)
    )
    for complaint_id, action, at, facts in events:
        ending = endings.setdefault(complaint_id, {})
        if action == "close":
            ending["closed_at"] = at
        else:
            outcome = outcome_of(dict(facts or {}))
            ending |= {"outcome": outcome.kind, "refund_yuan": outcome.refund_yuan}
    return endings


def _plain(_column: str, code: str) -> str:
    return code


def shows_contact(row: CaseRow, *, own_station: bool) -> bool:
    """Whether the export shows this row's contact in full (asked for, held, and not a reporter's elsewhere)."""
    held = bool(row.contact_name or row.contact_phone)
    return held and row.contact_name is not None and reveals_contact(row.intent, own_station=own_station)


def cells(row: CaseRow, *, zone: tzinfo, include_contacts: bool, own_station: bool, label: Label = _plain) -> list[str]:
    """The row as text, in :func:`columns` order: times in ``zone``, codes through ``label``; a reporter's contact
    masked unless the export is the handling station's own (``own_station``)."""
    name, phone = row.contact_name or "", row.contact_phone or ""
    if not reveals_contact(row.intent, own_station=own_station):
        name, phone = mask_name(name), mask_phone(phone)
    values = {
        "ref": row.ref,
        "received_at": row.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "station": row.station or "",
        "merchant": row.merchant or "",
        "due_on": row.due_on.isoformat() if row.due_on else "",
        "text": row.text,
        "refund_yuan": f"{row.refund_yuan:.2f}" if row.refund_yuan is not None else "",
        "closed_on": row.closed_at.astimezone(zone).date().isoformat() if row.closed_at else "",
        "satisfaction": str(row.satisfaction) if row.satisfaction is not None else "",
        "contact_name": name,
        "contact_phone": phone,
    }
    for column in CODED_COLUMNS:
        code = getattr(row, column)
        values[column] = label(column, code) if code else ""
    return [values[column] for column in columns(include_contacts=include_contacts)]


def csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run: a leading quote before what would start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_lines(rows: Sequence[Sequence[str]]) -> str:
    """Rows as CSV text (RFC 4180 quoting, CRLF), every cell made formula-safe. Start the file with :data:`BOM`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([csv_safe(value) for value in row] for row in rows)
    return buffer.getvalue()


def _xlsx_text(value: str) -> str:
    # XML 1.0 cannot hold most control characters (openpyxl refuses them), and a cell holds at most 32767.
    return str(ILLEGAL_CHARACTERS_RE.sub("", value))[:XLSX_MAX_CELL]


class XlsxSheet:
    """A one-sheet workbook written row by row (openpyxl's write-only mode: rows go to a temporary file)."""

    def __init__(self, title: str, header: Sequence[str], widths: Sequence[int] = ()) -> None:
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title=_xlsx_text(title)[:31])
        for index, width in enumerate(widths):
            self._sheet.column_dimensions[_column_letter(index)].width = width
        self._sheet.freeze_panes = "A2"
        self.append(header)

    def append(self, row: Sequence[str]) -> None:
        written = []
        for value in row:
            cell = WriteOnlyCell(self._sheet, value=_xlsx_text(value))
            cell.data_type = "s"  # a string, whatever it starts with: never a formula
            written.append(cell)
        self._sheet.append(written)

    def finish(self) -> bytes:
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


CASE_WIDTHS = {
    "ref": 18,
    "received_at": 17,
    "text": 60,
    "station": 18,
    "merchant": 20,
    "contact_phone": 14,
    "outcome": 14,
    "closed_on": 12,
}


def case_widths(names: Sequence[str]) -> list[int]:
    return [CASE_WIDTHS.get(name, 11) for name in names]


async def corrections(
    connection: AsyncConnection,
    scope: Scope,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Every reclassification a handler made (in [since, until) when given), as a training example.

    ``from_intent``/``from_category`` are the reading just before the change: the classifier's (its
    ``classified`` event) or an earlier reclassification's. A reclassification that kept the reading (it only
    confirmed it) is no correction and is left out. ``classifier_version`` is the classifier that read the case;
    ``classifier_intent`` its reading of the type and ``consumer_intent`` the shopper's own choice (None: none).
    """
    e, r = event_t.alias("e"), event_t.alias("r")
    c = complaint_t.c
    window = [r.c.action == "reclassify"]
    if since is not None:
        window.append(r.c.at >= since)
    if until is not None:
        window.append(r.c.at < until)
    corrected = sa.select(r.c.complaint_id).where(*window)
    query = (
        sa.select(
            c.id,
            c.ref,
            c.text,
            c.classifier_version,
            c.classifier_intent,
            c.consumer_intent,
            e.c.action,
            e.c.at,
            e.c.facts,
        )
        .join(e, e.c.complaint_id == c.id)
        .where(
            e.c.action.in_(("classified", "reclassify")),
            c.id.in_(corrected),
            scope.case_condition(c.station_id, c.queue),
        )
        .order_by(c.id, e.c.at, e.c.id)
    )
    reading: tuple[int, str | None, str | None, str] | None = None
    for row in await connection.execute(query):
        facts = row.facts or {}
        if reading is None or reading[0] != row.id:
            reading = (row.id, None, None, row.classifier_version)
        if row.action == "classified":
            version = str(facts.get("classifier_version") or row.classifier_version)
            reading = (row.id, facts.get("intent"), facts.get("category"), version)
            continue
        intent, category = facts.get("intent"), facts.get("category")
        in_window = (since is None or row.at >= since) and (until is None or row.at < until)
        if in_window and (intent, category) != (reading[1], reading[2]):
            yield {
                "text": row.text,
                "from_intent": reading[1],
                "from_category": reading[2],
                "intent": intent,
                "category": category,
                "ref": row.ref,
                "at": row.at.isoformat(),
                "classifier_version": reading[3],
                # Both readings the case started from: the classifier's, and the shopper's own choice (or None).
                "classifier_intent": _value(row.classifier_intent),
                "consumer_intent": _value(row.consumer_intent),
            }
        reading = (row.id, intent, category, reading[3])


def _value(intent: object) -> str | None:
    return None if intent is None else str(getattr(intent, "value", intent))


def json_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
