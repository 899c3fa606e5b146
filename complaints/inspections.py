"""Hotspots as a station works them: the open ones in a viewer's scope, and the inspection that answers one.

A hotspot (complaints/hotspots.py) asks for a focused on-site inspection. The station records what it found as
an :class:`~complaints.models.Inspection` — the figures the monthly inspection report (计量检查月报表) sums — and,
usually in the same step, clears the hotspot.

Who may see which hotspot is the one access rule (:class:`complaints.scope.Scope`): a handler their station's,
a supervisor the district's, including hotspots of merchants no station could be told for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from complaints.models import Hotspot, Inspection
from complaints.scope import Scope
from lookup.models import Instrument, Market, Merchant, Station, table_of
from lookup.problems import Problem
from lookup.vocab import InstrumentKind, InstrumentState, Standing

hotspot_t, inspection_t = table_of(Hotspot), table_of(Inspection)
merchant_t, market_t, instrument_t, station_t = (
    table_of(Merchant),
    table_of(Market),
    table_of(Instrument),
    table_of(Station),
)

MAX_LISTED = 500  # a district with more open hotspots than this has a problem no list solves
MAX_INSPECTORS = 1000
MAX_INSTRUMENTS = 100_000
MAX_FINE_YUAN = 100_000_000  # 1 亿元; also keeps the figure inside a 32-bit INTEGER column
MAX_NOTES_CHARS = 2000
EARLIEST_INSPECTION = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class HotspotView:
    id: int
    merchant_id: int
    merchant_name: str
    market_name: str | None
    stall: str
    standing: Standing
    standing_reason: str
    station_id: int | None
    station_name: str | None
    complaint_count: int
    raised_at: datetime
    last_complaint_at: datetime
    cleared_at: datetime | None
    # The instrument every counted complaint named, if they agreed on one.
    instrument_code: str | None
    instrument_kind: InstrumentKind | None
    instrument_state: InstrumentState | None

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


@dataclass(frozen=True, slots=True)
class PastInspection:
    inspected_on: date
    instruments_checked: int
    unverified: int
    tampered: int
    case_opened: bool
    fine_yuan: int


class InspectionError(Problem, ValueError):
    """Figures an inspection cannot have; ``field`` names the one at fault, ``code`` is stable for callers."""


@dataclass(frozen=True)
class InspectionFigures:
    """What the inspectors report (the columns of the monthly inspection report)."""

    inspected_on: date
    inspectors: int = 1  # 出动检查人次数
    instruments_checked: int = 0  # 检查计量器具数
    unverified: int = 0  # 未检定 / 检定不合格 / 超周期
    tampered: int = 0  # 破坏准确度（改装）
    short_weight_found: bool = False
    case_opened: bool = False  # 立案
    fine_yuan: int = 0  # 罚没款
    notes: str = ""


def check_figures(figures: InspectionFigures, *, today: date) -> None:
    """Raise :class:`InspectionError` for the first figure that cannot be right."""
    counts = {
        "inspectors": (figures.inspectors, MAX_INSPECTORS),
        "instruments_checked": (figures.instruments_checked, MAX_INSTRUMENTS),
        "unverified": (figures.unverified, MAX_INSTRUMENTS),
        "tampered": (figures.tampered, MAX_INSTRUMENTS),
        "fine_yuan": (figures.fine_yuan, MAX_FINE_YUAN),
    }
    for name, (value, most) in counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise InspectionError("not_a_number", f"{name} 必须是整数。", f"{name} must be a whole number", field=name)
        if value < 0:
            raise InspectionError(
                "negative", f"{name} 不能是负数（{value}）。", f"{name} cannot be negative ({value})", field=name
            )
        if value > most:
            raise InspectionError(
                "too_large", f"{name} 最多 {most}（{value}）。", f"{name} is at most {most} ({value})", field=name
            )
    if figures.inspectors < 1:
        raise InspectionError(
            "no_inspectors",
            "检查至少要有一名检查人员。",
            "an inspection needs at least one inspector",
            field="inspectors",
        )
    for name in ("unverified", "tampered"):
        if getattr(figures, name) > figures.instruments_checked:
            raise InspectionError(
                "more_than_checked",
                f"{name} 不能多于检查的器具数（{figures.instruments_checked}）。",
                f"{name} cannot exceed the instruments checked ({figures.instruments_checked})",
                field=name,
            )
    if figures.fine_yuan > 0 and not figures.case_opened:
        raise InspectionError(
            "fine_without_case", "立案后才有罚没款。", "a fine follows an opened case (立案)", field="fine_yuan"
        )
    if figures.inspected_on > today:
        raise InspectionError(
            "in_future",
            f"检查日期 {figures.inspected_on} 晚于今天。",
            f"the inspection date {figures.inspected_on} is after today",
            field="inspected_on",
        )
    if figures.inspected_on < EARLIEST_INSPECTION:
        raise InspectionError(
            "too_old",
            f"检查日期 {figures.inspected_on} 太早了。",
            f"the inspection date {figures.inspected_on} is too early",
            field="inspected_on",
        )
    if len(figures.notes) > MAX_NOTES_CHARS:
        raise InspectionError(
            "too_long",
            f"备注最多 {MAX_NOTES_CHARS} 个字。",
            f"notes are at most {MAX_NOTES_CHARS} characters",
            field="notes",
        )


def _select() -> sa.Select[tuple[object, ...]]:
    h, m, k, i, s = hotspot_t.c, merchant_t.c, market_t.c, instrument_t.c, station_t.c
    return (
        sa.select(
            h.id,
            h.merchant_id,
            m.name.label("merchant_name"),
            k.name.label("market_name"),
            m.stall,
            m.standing,
            m.standing_reason,
            h.station_id,
            s.name.label("station_name"),
            h.complaint_count,
            h.raised_at,
            h.last_complaint_at,
            h.cleared_at,
            i.code.label("instrument_code"),
            i.kind.label("instrument_kind"),
            i.state.label("instrument_state"),
        )
        .select_from(hotspot_t)
        .join(merchant_t, m.id == h.merchant_id)
        .outerjoin(market_t, k.id == m.market_id)
        .outerjoin(station_t, s.id == h.station_id)
        .outerjoin(instrument_t, i.id == h.instrument_id)
    )


def _view(row: sa.Row[tuple[object, ...]]) -> HotspotView:
    kind, state = row.instrument_kind, row.instrument_state
    return HotspotView(
        id=row.id,
        merchant_id=row.merchant_id,
        merchant_name=row.merchant_name,
        market_name=row.market_name,
        stall=row.stall,
        standing=Standing(row.standing),
        standing_reason=row.standing_reason,
        station_id=row.station_id,
        station_name=row.station_name,
        complaint_count=row.complaint_count,
        raised_at=row.raised_at,
        last_complaint_at=row.last_complaint_at,
        cleared_at=row.cleared_at,
        instrument_code=row.instrument_code,
        instrument_kind=InstrumentKind(kind) if kind is not None else None,
        instrument_state=InstrumentState(state) if state is not None else None,
    )


async def open_hotspots(connection: AsyncConnection, scope: Scope, *, limit: int = MAX_LISTED) -> list[HotspotView]:
    """The scope's open hotspots, the most recently complained-about first."""
    statement = (
        _select()
        .where(hotspot_t.c.cleared_at.is_(None), scope.station_condition(hotspot_t.c.station_id))
        .order_by(hotspot_t.c.last_complaint_at.desc(), hotspot_t.c.id.desc())
        .limit(limit)
    )
    return [_view(row) for row in await connection.execute(statement)]


async def hotspot_in_scope(connection: AsyncConnection, hotspot_id: int, scope: Scope) -> HotspotView | None:
    """The hotspot (open or cleared), or None when there is none by that id *in the scope*: the caller cannot
    tell another station's hotspot from one that does not exist."""
    row = (
        await connection.execute(
            _select().where(hotspot_t.c.id == hotspot_id, scope.station_condition(hotspot_t.c.station_id))
        )
    ).first()
    return _view(row) if row is not None else None


async def record_inspection(
    connection: AsyncConnection,
    hotspot: HotspotView,
    figures: InspectionFigures,
    *,
    recorded_by: int | None,
    clear: bool,
    today: date,
    now: datetime,
) -> int:
    """Store the inspection of the hotspot's merchant; with ``clear``, clear the hotspot. Returns the row's id.

    Raises :class:`InspectionError` (nothing written) for figures that cannot be right. The inspection counts
    for the hotspot's station, or the merchant's own when the hotspot had none.
    """
    check_figures(figures, today=today)
    station_id = hotspot.station_id
    if station_id is None:
        merchant_station = sa.select(merchant_t.c.station_id).where(merchant_t.c.id == hotspot.merchant_id)
        station_id = (await connection.execute(merchant_station)).scalar_one()
    inspection_id = (
        await connection.execute(
            sa.insert(inspection_t)
            .values(
                merchant_id=hotspot.merchant_id,
                station_id=station_id,
                hotspot_id=hotspot.id,
                inspected_on=figures.inspected_on,
                inspectors=figures.inspectors,
                instruments_checked=figures.instruments_checked,
                unverified=figures.unverified,
                tampered=figures.tampered,
                short_weight_found=figures.short_weight_found,
                case_opened=figures.case_opened,
                fine_yuan=figures.fine_yuan,
                notes=figures.notes,
                recorded_by=recorded_by,
                created_at=now,
            )
            .returning(inspection_t.c.id)
        )
    ).scalar_one()
    if clear:
        # Guarded, so a hotspot cleared twice at once keeps the first moment.
        await connection.execute(
            sa.update(hotspot_t)
            .where(hotspot_t.c.id == hotspot.id, hotspot_t.c.cleared_at.is_(None))
            .values(cleared_at=now)
        )
    return int(inspection_id)


async def inspections_of(connection: AsyncConnection, hotspot_id: int) -> list[PastInspection]:
    """The inspections recorded against a hotspot, oldest first."""
    i = inspection_t.c
    rows = await connection.execute(
        sa.select(i.inspected_on, i.instruments_checked, i.unverified, i.tampered, i.case_opened, i.fine_yuan)
        .where(i.hotspot_id == hotspot_id)
        .order_by(i.inspected_on, i.id)
    )
    return [PastInspection(*row) for row in rows]
