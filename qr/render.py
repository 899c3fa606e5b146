"""QR images of public lookup URLs: SVG for pages, PNG for downloads, a module matrix for PDFs."""

from __future__ import annotations

import io

import segno

# The spec's minimum quiet zone; scanners struggle to find the finder patterns with less.
QUIET_ZONE = 4
_DARK = "#000"
_LIGHT = "#fff"


def make_qr(data: str) -> segno.QRCode:
    # Level M survives scuffed and dirty stickers on a market stall; boost_error raises it for free when
    # the data leaves room in the chosen version. make_qr (never make) rules out Micro QR, which many
    # phone scanners cannot read.
    return segno.make_qr(data, error="m", boost_error=True)


def qr_svg(data: str, *, scale: int = 8) -> bytes:
    """A standalone SVG (no XML declaration, no external references) of `data`, black on white."""
    qr = make_qr(data)
    out = io.BytesIO()
    # omitsize gives a viewBox so CSS can scale the image; the explicit size is added back below so the
    # image still has a sensible intrinsic size where no CSS applies.
    qr.save(
        out,
        kind="svg",
        border=QUIET_ZONE,
        dark=_DARK,
        light=_LIGHT,
        xmldecl=False,
        omitsize=True,
        title=data,
        nl=False,
    )
    side = (qr.symbol_size(scale=1, border=QUIET_ZONE)[0]) * scale
    return out.getvalue().replace(b"<svg ", f'<svg width="{side}" height="{side}" '.encode(), 1)


def qr_png(data: str, *, scale: int = 8) -> bytes:
    """A 1-bit PNG of `data`, `scale` pixels per module, black on white with the quiet zone."""
    out = io.BytesIO()
    make_qr(data).save(out, kind="png", scale=scale, border=QUIET_ZONE, dark=_DARK, light=_LIGHT)
    return out.getvalue()


def qr_matrix(data: str) -> list[list[bool]]:
    """Rows of modules (True = dark), top row first, without the quiet zone: callers leave it blank."""
    # segno's matrix is documented as rows of 0x0/0x1 bytes; reading it directly is 10x faster than
    # matrix_iter, which matters when drawing a thousand labels.
    return [[bool(module) for module in row] for row in make_qr(data).matrix]
