"""Photos a shopper attaches to a complaint — of the scale, the receipt — checked and re-encoded before they are kept.

Why re-encode rather than keep the upload: a phone photo's EXIF holds the GPS position where it was taken, and for a
photo of a kitchen scale or a receipt on the table that is where the shopper lives; it also names the phone and the
time. Decoding the pixels and writing a fresh JPEG keeps only the picture — no EXIF, GPS, ICC, XMP or comment — and
also neutralises malformed-file tricks (polyglots, oversized metadata, bytes hidden after the image), since nothing
of the uploaded bytes survives. Everything happens in memory.

Only JPEG, PNG and HEIC/HEIF (what phones and screenshots produce) are opened, and only by their own decoders. The
pixel count is checked from the header before any pixel is decoded, so a small file that would unpack to gigabytes
(a decompression bomb) is refused cheaply.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import warnings
from dataclasses import dataclass
from io import BytesIO

import pillow_heif
from PIL import Image, ImageOps

from lookup.problems import Kind, Problem

pillow_heif.register_heif_opener()

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # per photo, as uploaded
MAX_PHOTOS = 4
MAX_SIDE = 2048  # longest side after re-encoding
MAX_PIXELS = 40_000_000  # checked before decoding; a phone's usual 12 MP passes, its optional 48/50 MP mode does not
JPEG_QUALITY = 82

_ACCEPTED = ("JPEG", "PNG", "HEIF")  # Pillow's names; HEIF is pillow-heif's opener, which also reads .heic
_ACCEPTED_TEXT = ("请上传 JPEG、PNG 或 HEIC 格式的照片", "please upload a JPEG, PNG or HEIC photo")

# Pillow reports malformed files (corrupt EXIF, a possible decompression bomb) through the process-wide warnings
# filters, which `warnings.catch_warnings` swaps without regard for threads; one photo at a time keeps two calls
# from restoring each other's filters, and also bounds memory to one decoded photo.
_decoding = threading.Lock()


@dataclass(frozen=True)
class PreparedPhoto:
    content_type: str  # always "image/jpeg"
    data: bytes
    width: int
    height: int
    sha256: str  # hex of data


class PhotoError(Problem, ValueError):
    """A photo that will not be kept. `code` is stable for APIs: not_an_image and unsupported_format (content not
    taken), too_large and too_many_pixels (too large); the messages are for the shopper."""

    kind = Kind.unsupported

    def __init__(self, code: str, chinese: str, english: str, *, field: str | None = "photos") -> None:
        too_large = code in ("too_large", "too_many_pixels")
        super().__init__(code, chinese, english, field=field, kind=Kind.too_large if too_large else None)

    def __str__(self) -> str:
        return f"{self.chinese} ({self.english})"


def prepare_photo(data: bytes) -> PreparedPhoto:
    """The uploaded photo upright, in RGB, at most MAX_SIDE on its longest side, as a JPEG with no metadata.

    Raises PhotoError. CPU-bound (a fraction of a second for a phone photo): call it off the event loop.
    """
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(
            "too_large",
            f"照片超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB",
            f"the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB",
        )
    with _decoding, warnings.catch_warnings():
        # Nothing a malformed upload makes Pillow say is worth a log line, its DecompressionBombWarning included:
        # MAX_PIXELS is below Pillow's own limits, so such an image is refused just after opening anyway.
        warnings.simplefilter("ignore")
        picture = _decode(data)
    output = BytesIO()
    picture.save(output, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    encoded = output.getvalue()
    return PreparedPhoto(
        content_type="image/jpeg",
        data=encoded,
        width=picture.width,
        height=picture.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )


def _decode(data: bytes) -> Image.Image:
    try:
        image = Image.open(BytesIO(data), formats=_ACCEPTED)
    except Image.DecompressionBombError as error:  # Pillow refuses by itself above ~179 MP
        raise _too_many_pixels() from error
    except Exception as error:  # not one of the accepted formats, or a header that breaks its parser
        other = _other_picture_format(data)
        if other is not None:
            raise PhotoError(
                "unsupported_format",
                f"不接受 {other} 格式的图片，{_ACCEPTED_TEXT[0]}",
                f"{other} images are not accepted; {_ACCEPTED_TEXT[1]}",
            ) from error
        raise PhotoError(
            "not_an_image", f"这个文件不是照片，{_ACCEPTED_TEXT[0]}", f"this file is not a photo; {_ACCEPTED_TEXT[1]}"
        ) from error
    with image:
        if image.width * image.height > MAX_PIXELS:
            raise _too_many_pixels()
        try:
            image.load()  # every pixel decoded here, so a truncated or corrupt file fails now, not later
            picture = _to_rgb(image)
        except Exception as error:  # a damaged file can make a decoder raise almost anything
            raise PhotoError(
                "not_an_image",
                "无法读取这张照片，文件可能已损坏或不完整",
                "the photo cannot be read; the file may be damaged or incomplete",
            ) from error
    picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # never enlarges
    with contextlib.suppress(Exception):  # EXIF too broken to read: keep the photo as stored rather than refuse it
        ImageOps.exif_transpose(picture, in_place=True)  # uses the metadata copied along from the upload...
    picture.info.clear()  # ...which goes now: Pillow's JPEG writer would otherwise carry over the comment
    return picture


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB; transparency is laid over white, as the picture looked on the phone's screen (JPEG has none)."""
    if image.mode.startswith("I"):  # 16-bit greyscale PNG: scale to 8 bits rather than clip everything to white
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba)
        flat.info = dict(image.info)  # keep the EXIF orientation for exif_transpose
        return flat
    return image.convert("RGB")


def _too_many_pixels() -> PhotoError:
    return PhotoError(
        "too_many_pixels",
        f"照片像素过多（上限 {MAX_PIXELS // 1_000_000} 百万像素），请缩小后再上传",
        f"the photo has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels); please make it smaller",
    )


def _other_picture_format(data: bytes) -> str | None:
    """The name of a picture format phones and browsers also send, so the shopper knows what to change."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "AVIF"
    for magic, name in ((b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"BM", "BMP"), (b"II*\0", "TIFF"), (b"MM\0*", "TIFF")):
        if data.startswith(magic):
            return name
    return None
