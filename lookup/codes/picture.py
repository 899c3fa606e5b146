"""The codes in a picture: what a shopper's photo of a sticker, a nameplate or a meter carries, decoded with zxing-cpp.

QR codes (ours, a GS1 Digital Link, a GB/T 36377 code carried as GB/T 18284 QR), Data Matrix (GS1 element strings),
Code 128 (meters' asset numbers, GS1-128) and EAN/UPC (a product's barcode). GS1 symbols come out as element strings
in brackets, ``(01)…(21)…``, which lookup/codes/resolve.py reads like a typed one.

Pure: bytes in, texts out; nothing is kept. A picture that cannot be opened, or is too large to decode cheaply,
holds no code. CPU-bound (tens of milliseconds for a phone photo): call it off the event loop.
"""

from __future__ import annotations

from io import BytesIO

import zxingcpp
from PIL import Image

MAX_PICTURE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # checked from the header, before any pixel is decoded
MAX_SIDE = 2048  # a code on a phone photo is still read at this size, and decoding stays fast
MAX_TEXTS = 8
_ACCEPTED = ("JPEG", "PNG", "WEBP")  # what the chats deliver
_FORMATS = zxingcpp.BarcodeFormats(
    (
        zxingcpp.BarcodeFormat.QRCode,
        zxingcpp.BarcodeFormat.DataMatrix,
        zxingcpp.BarcodeFormat.Code128,
        zxingcpp.BarcodeFormat.EAN13,
        zxingcpp.BarcodeFormat.EAN8,
        zxingcpp.BarcodeFormat.UPCA,
    )
)


def codes_in_picture(data: bytes) -> tuple[str, ...]:
    """The texts the picture's codes carry, each once, in the order they were found; () when it holds none."""
    if not data or len(data) > MAX_PICTURE_BYTES:
        return ()
    try:
        with Image.open(BytesIO(data), formats=_ACCEPTED) as image:
            if image.width * image.height > MAX_PIXELS:
                return ()
            picture = image.convert("L")
    except Exception:  # not a picture, or one its decoder cannot read: it holds no code we can see
        return ()
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    found = zxingcpp.read_barcodes(picture, formats=_FORMATS)
    texts = [barcode.text.strip() for barcode in found if barcode.valid and barcode.text.strip()]
    return tuple(dict.fromkeys(texts))[:MAX_TEXTS]
