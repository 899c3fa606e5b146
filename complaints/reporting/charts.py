"""Small server-side SVG charts for the dashboard: a string each, no scripts, no external fonts or images.

Every text is escaped; each chart is an image to assistive technology (``role="img"``, ``aria-label``, a
``<title>`` and a ``<desc>`` that reads the figures out), and each bar carries its own ``<title>`` as a tooltip.
Chinese labels use the site's font list (web/static/site.css), so a Chinese system font renders them offline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = 'system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif'
# Okabe–Ito first (told apart by most colour-blind readers), then further distinct hues for 13 categories.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#d55e00",
    "#cc79a7",
    "#56b4e9",
    "#8c6d00",
    "#332288",
    "#117733",
    "#882255",
    "#44aa99",
    "#999933",
    "#555555",
)
AXIS, GRID, INK = "#555", "#e3e3e3", "#1a1a1a"
_ID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]


def _a(value: object) -> str:
    """An attribute value, quotes included."""
    return f'"{escape(str(value), quote=True)}"'


def _t(value: object) -> str:
    return escape(str(value), quote=False)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    safe = _ID.sub("-", chart_id) or "chart"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width={_a(width)} '
        f'height={_a(height)} role="img" aria-label={_a(title)} aria-describedby={_a(safe + "-desc")} '
        f'font-family={_a(FONT)} font-size="12">',
        f"<title>{_t(title)}</title>",
        f"<desc id={_a(safe + '-desc')}>{_t(desc)}</desc>",
        f'<text x="8" y="18" font-size="14" font-weight="600" fill="{INK}">{_t(title)}</text>',
    ]


def nice_ceiling(value: float) -> tuple[float, float]:
    """(top of the axis, step between ticks): at most five steps of 1, 2 or 5 × 10^k, at least ``value``."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1.0)  # counts: no ticks between whole numbers
    return math.ceil(value / step) * step, step


def stacked_bar_chart(
    title: str, x_labels: Sequence[str], series: Sequence[Series], *, chart_id: str, width: int = 640
) -> str:
    """Vertical bars, one per x label, stacked by series (only series with a count appear, in the legend too)."""
    shown = [s for s in series if any(s.values)]
    totals = [sum(s.values[i] for s in shown) for i in range(len(x_labels))]
    top, step = nice_ceiling(max(totals, default=0))
    left, right, plot_top, plot_h = 44, 12, 32, 180
    plot_w = width - left - right
    legend_cols = max(1, (width - left) // 180)
    legend_rows = math.ceil(len(shown) / legend_cols)
    height = plot_top + plot_h + 34 + legend_rows * 18 + 8
    desc = "; ".join(
        f"{label}: {total}" + "".join(f", {s.label} {s.values[i]}" for s in shown if s.values[i])
        for i, (label, total) in enumerate(zip(x_labels, totals, strict=True))
    )
    out = _open(chart_id, title, desc or "0", width, height)
    base = plot_top + plot_h
    tick = 0.0
    while tick <= top + 1e-9:
        y = base - tick / top * plot_h
        out.append(f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" fill="{AXIS}">{_num(tick)}</text>')
        tick += step
    slot = plot_w / max(1, len(x_labels))
    bar = min(48.0, slot * 0.6)
    for i, label in enumerate(x_labels):
        x = left + slot * i + (slot - bar) / 2
        y = float(base)
        for colour, s in zip(PALETTE * 3, shown, strict=False):
            value = s.values[i]
            if not value:
                continue
            h = value / top * plot_h
            y -= h
            out.append(
                f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(bar)}" height="{_num(h)}" fill="{colour}">'
                f"<title>{_t(label)} · {_t(s.label)}: {value}</title></rect>"
            )
        out.append(
            f'<text x="{_num(left + slot * i + slot / 2)}" y="{base + 16}" text-anchor="middle" fill="{AXIS}">'
            f"{_t(label)}</text>"
        )
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{AXIS}"/>')
    for n, (colour, s) in enumerate(zip(PALETTE * 3, shown, strict=False)):
        x = left + (n % legend_cols) * 180
        y = base + 34 + (n // legend_cols) * 18
        out.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 18}" y="{y}" fill="{INK}">{_t(s.label)} ({sum(s.values)})</text>')
    out.append("</svg>")
    return "\n".join(out)


def percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    chart_id: str,
    target: float | None = None,
    maximum: float = 1.0,
    show: Callable[[float], str] = percent,
    no_data: str = "—",
    width: int = 640,
) -> str:
    """Horizontal bars, one per label, on a 0…``maximum`` scale (rates: 0…1), with an optional dashed target.

    A value of None (nothing to measure) draws no bar and shows ``no_data``.
    """
    label_w, value_w, row_h, top = 170, 64, 24, 30
    plot_w = width - label_w - value_w
    height = top + row_h * len(labels) + 10
    desc = "; ".join(f"{label}: {no_data if v is None else show(v)}" for label, v in zip(labels, values, strict=True))
    if target is not None:
        desc += f"; {show(target)}"
    out = _open(chart_id, title, desc or no_data, width, height)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + row_h * i
        out.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{_t(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="{row_h - 8}" fill="#f0f1f3"/>')
        shown = no_data if value is None else show(value)
        if value is not None:
            w = max(0.0, min(value, maximum)) / maximum * plot_w
            out.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{_num(w)}" height="{row_h - 8}" fill="{PALETTE[0]}">'
                f"<title>{_t(label)}: {_t(shown)}</title></rect>"
            )
        out.append(f'<text x="{label_w + plot_w + 6}" y="{y + 16}" fill="{INK}">{_t(shown)}</text>')
    if target is not None:
        x = label_w + min(target, maximum) / maximum * plot_w
        out.append(
            f'<line x1="{_num(x)}" y1="{top}" x2="{_num(x)}" y2="{height - 8}" stroke="{PALETTE[3]}" '
            f'stroke-width="2" stroke-dasharray="4 3"><title>{_t(show(target))}</title></line>'
        )
    out.append("</svg>")
    return "\n".join(out)


def sparkline(
    label: str,
    months: Sequence[str],
    values: Sequence[float | None],
    *,
    target: float | None = None,
    width: int = 132,
    height: int = 30,
    no_data: str = "—",
) -> str:
    """A small line of monthly shares (0…1) with the target dashed, for a table cell. A month with nothing to
    measure breaks the line; the figures are read out in the chart's label and in each point's tooltip."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    desc = "; ".join(f"{m}: {no_data if v is None else percent(v)}" for m, v in zip(months, values, strict=True))
    step = (width - 8) / max(1, len(values) - 1)

    def xy(i: int, v: float) -> tuple[str, str]:
        return _num(4 + step * i), _num(height - 4 - max(0.0, min(v, 1.0)) * (height - 8))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label={_a(f"{label}: {desc or no_data}")}>'
    ]
    if target is not None:
        _, y = xy(0, target)
        out.append(f'<line x1="4" y1="{y}" x2="{width - 4}" y2="{y}" stroke="{PALETTE[3]}" stroke-dasharray="3 2"/>')
    run: list[str] = []
    for n, (i, v) in enumerate(points):
        run.append(",".join(xy(i, v)))
        if n + 1 == len(points) or points[n + 1][0] != i + 1:
            if len(run) > 1:
                out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5"/>')
            run = []
    for i, v in points:
        x, y = xy(i, v)
        out.append(
            f'<circle cx="{x}" cy="{y}" r="2" fill="{PALETTE[0]}"><title>{_t(months[i])}: {percent(v)}</title></circle>'
        )
    out.append("</svg>")
    return "".join(out)
