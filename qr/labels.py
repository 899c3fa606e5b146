"""Printable A4 sheets of QR stickers, one per instrument, drawn straight onto a reportlab canvas."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from qr.codes import format_code
from qr.render import QUIET_ZONE, qr_matrix

# Sheet geometry in PDF points (origin bottom left). 3 x 8 stickers of 60 x 34 mm, centred on A4.
PAGE_WIDTH, PAGE_HEIGHT = A4
COLUMNS = 3
ROWS = 8
LABELS_PER_PAGE = COLUMNS * ROWS
LABEL_WIDTH = 60 * mm
LABEL_HEIGHT = 34 * mm
MARGIN_X = (PAGE_WIDTH - COLUMNS * LABEL_WIDTH) / 2
MARGIN_Y = (PAGE_HEIGHT - ROWS * LABEL_HEIGHT) / 2
PADDING = 1.5 * mm
# The QR square includes its quiet zone, so the symbol itself is ~24-25 mm for lookup URLs.
QR_BOX = LABEL_HEIGHT - 2 * PADDING
TEXT_LEFT = PADDING + QR_BOX + 0.5 * mm
TEXT_WIDTH = LABEL_WIDTH - TEXT_LEFT - PADDING

# Adobe-GB1 CID font: not embedded, yet every PDF reader that handles Chinese ships it (the PDF spec's
# standard CJK fonts), so sheets stay small and nothing has to be downloaded or bundled.
DEFAULT_FONT = "STSong-Light"
# Codes are pure ASCII; a monospaced standard-14 font keeps the two groups visibly aligned.
CODE_FONT = "Courier-Bold"
LATIN_FONT = "Helvetica"
_MIN_SIZE = 5.5
_ELLIPSIS = "…"
_CUT_GREY = 0.75

_registered: dict[str, str] = {}


@dataclass(frozen=True)
class Label:
    url: str
    code: str
    kind_name: str
    serial_no: str
    merchant: str
    stall: str


@dataclass(frozen=True)
class LabelTexts:
    # No "·" (U+00B7): poppler-based readers draw it from the non-embedded Adobe-GB1 font as a box.
    call_to_action: str = "扫码查检定、投诉"
    hotline: str = "投诉举报 12315"


DEFAULT_TEXTS = LabelTexts()


def label_origin(slot: int) -> tuple[float, float]:
    """Bottom-left corner (points) of the sticker in `slot` (0 = top left, row by row) on its page."""
    row, column = divmod(slot % LABELS_PER_PAGE, COLUMNS)
    return MARGIN_X + column * LABEL_WIDTH, PAGE_HEIGHT - MARGIN_Y - (row + 1) * LABEL_HEIGHT


# Free CJK TrueType fonts Debian ships (fonts-wqy-microhei, fonts-wqy-zenhei). `fairweigh labels` embeds a subset of
# the first one installed when FAIRWEIGH_LABEL_FONT names none, so the sheet reads the same in every PDF reader; the
# standard CID font it falls back to is not embedded, and some readers draw it with odd glyphs.
FREE_CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)


def installed_cjk_font() -> Path | None:
    """The first free CJK font of :data:`FREE_CJK_FONTS` on this machine, or None."""
    return next((path for path in FREE_CJK_FONTS if path.exists()), None)


def register_font(font_file: Path | None = None) -> str:
    """The reportlab font name for label text, registering the font on first use."""
    key = "" if font_file is None else str(font_file.resolve())
    name = _registered.get(key)
    if name is None:
        if font_file is None:
            name = DEFAULT_FONT
            pdfmetrics.registerFont(UnicodeCIDFont(DEFAULT_FONT))
        else:
            # Names are global in reportlab, so number them instead of trusting file stems to be unique.
            name = f"FairweighLabel{len(_registered)}"
            pdfmetrics.registerFont(TTFont(name, key))
        _registered[key] = name
    return name


def fit_text(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """`text` and a font size at which it fits `width`: shrunk down to a legible minimum, then cut with …."""
    text = " ".join(text.split())
    natural = pdfmetrics.stringWidth(text, font, size)
    if natural <= width:
        return text, size
    shrunk = size * width / natural
    if shrunk >= _MIN_SIZE:
        return text, shrunk
    # No sticker line holds 200 characters even at the minimum size; the cap bounds the search below.
    keep = min(len(text), 200)
    while keep > 0 and pdfmetrics.stringWidth(text[:keep] + _ELLIPSIS, font, _MIN_SIZE) > width:
        keep -= 1
    return text[:keep].rstrip() + _ELLIPSIS, _MIN_SIZE


def _qr_rectangles(matrix: Sequence[Sequence[bool]]) -> list[tuple[int, int, int, int]]:
    """Dark modules as (column, row, width, height) rectangles: horizontal runs, stacked where they repeat.

    A lookup URL's symbol becomes ~170 rectangles instead of ~420 squares, which keeps the PDF small, the
    drawing fast, and leaves no anti-aliasing seams inside finder patterns.
    """
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (column, width) -> first row
    for row, modules in enumerate(matrix):
        runs: set[tuple[int, int]] = set()
        column = 0
        while column < len(modules):
            if modules[column]:
                start = column
                while column < len(modules) and modules[column]:
                    column += 1
                runs.add((start, column - start))
            column += 1
        for run, first in list(open_runs.items()):
            if run not in runs:
                done.append((run[0], first, run[1], row - first))
                del open_runs[run]
        for run in runs:
            open_runs.setdefault(run, row)
    done.extend((run[0], first, run[1], len(matrix) - first) for run, first in open_runs.items())
    return done


def _draw_qr(canvas: Canvas, data: str, left: float, bottom: float) -> None:
    matrix = qr_matrix(data)
    module = QR_BOX / (len(matrix) + 2 * QUIET_ZONE)
    canvas.saveState()
    # Work in module units with rows counting downwards, so rectangles are small integers in the PDF.
    canvas.translate(left + QUIET_ZONE * module, bottom + QR_BOX - QUIET_ZONE * module)
    canvas.scale(module, -module)
    # Raw operators: reportlab's path API formats every number through a slow pure-Python float printer
    # (~1 s per 1,000 labels). Integers need no formatting; 'f' fills the non-overlapping
    # rectangles with the current (black) fill colour.
    rects = " ".join(f"{c} {r} {w} {h} re" for c, r, w, h in _qr_rectangles(matrix))
    canvas.addLiteral(f"{rects} f")
    canvas.restoreState()


def _draw_line(canvas: Canvas, text: str, font: str, size: float, left: float, baseline: float) -> None:
    if not text.strip():
        return
    fitted, fitted_size = fit_text(text, font, size, TEXT_WIDTH)
    canvas.setFont(font, fitted_size)
    canvas.drawString(left, baseline, fitted)


def _draw_label(canvas: Canvas, label: Label, texts: LabelTexts, font: str, slot: int) -> None:
    x, y = label_origin(slot)
    canvas.rect(x, y, LABEL_WIDTH, LABEL_HEIGHT, stroke=1, fill=0)
    _draw_qr(canvas, label.url, x + PADDING, y + PADDING)
    left = x + TEXT_LEFT
    top = y + LABEL_HEIGHT - PADDING
    # Baselines from the sticker's top edge: what to do, the code to type, whose instrument it is.
    _draw_line(canvas, texts.call_to_action, font, 8, left, top - 3.4 * mm)
    _draw_line(canvas, format_code(label.code), CODE_FONT, 10, left, top - 8.2 * mm)
    _draw_line(canvas, label.merchant, font, 8, left, top - 13.2 * mm)
    _draw_line(canvas, label.stall, font, 7, left, top - 16.8 * mm)
    _draw_line(canvas, label.kind_name, font, 7, left, top - 20.6 * mm)
    # A serial number the shopper compares with the nameplate: Latin letters and digits from the CID font come out
    # with the wide, uneven spacing some readers give its half-width forms ("A C S2023…"), so ASCII is set in
    # Helvetica, which every reader has with its real widths.
    serial_font = LATIN_FONT if label.serial_no.isascii() else font
    _draw_line(canvas, label.serial_no, serial_font, 6.5, left, top - 23.8 * mm)
    _draw_line(canvas, texts.hotline, font, 7, left, y + PADDING + 1 * mm)


def render_label_sheet(
    labels: Iterable[Label],
    out: BinaryIO,
    *,
    texts: LabelTexts = DEFAULT_TEXTS,
    font_file: Path | None = None,
) -> int:
    """Write an A4 PDF of QR stickers for `labels` to `out`; return how many were drawn.

    Raises ValueError for an empty `labels` (nothing is written) or a label whose code is not canonical.
    """
    font = register_font(font_file)
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("QR labels")
    canvas.setCreator("fairweigh")
    count = 0
    for label in labels:
        slot = count % LABELS_PER_PAGE
        if slot == 0:
            if count:
                canvas.showPage()
            canvas.setLineWidth(0.3)
            canvas.setStrokeGray(_CUT_GREY)
            canvas.setFillGray(0)
        _draw_label(canvas, label, texts, font, slot)
        count += 1
    if not count:
        raise ValueError("no labels")
    canvas.showPage()
    canvas.save()
    return count
