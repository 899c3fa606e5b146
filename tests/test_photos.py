"""Complaint photos: metadata stripped, turned upright, flattened, shrunk; everything else refused with a reason."""

from __future__ import annotations

import hashlib
import random
import struct
import warnings
import zlib
from io import BytesIO
from typing import Any

import pytest
from PIL import ExifTags, Image, ImageCms

from complaints.photos import MAX_PHOTO_BYTES, MAX_PIXELS, MAX_SIDE, PhotoError, PreparedPhoto, prepare_photo

RED, BLUE, WHITE = (220, 20, 20), (20, 20, 220), (255, 255, 255)
HOME_MAKE = "FairweighTestPhone"  # ASCII markers: if any metadata survived, its bytes would show in the output
HOME_DATUM = "WGS-84"
COMMENT = "taken-at-home-comment"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description city="home-city"/></rdf:RDF></x:xmpmeta>'


def encode(image: Image.Image, format: str, **options: Any) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def halves(size: tuple[int, int], left: tuple[int, ...], right: tuple[int, ...], mode: str = "RGB") -> Image.Image:
    """Left half one colour, right half another, so a test can tell which way the picture was turned."""
    image = Image.new(mode, size, left)
    image.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return image


def phone_exif(orientation: int) -> bytes:
    """EXIF as a phone writes it: the camera, how the phone was held, and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = HOME_MAKE
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 2.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 7.5)
    gps[ExifTags.GPS.GPSMapDatum] = HOME_DATUM
    return exif.tobytes()


def phone_jpeg(orientation: int = 6) -> bytes:
    """A 300×200 sensor picture, red left and blue right, with GPS EXIF, an ICC profile, XMP and a comment."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(
        halves((300, 200), RED, BLUE),
        "JPEG",
        exif=phone_exif(orientation),
        icc_profile=icc,
        xmp=XMP,
        comment=COMMENT,
    )
    stored = Image.open(BytesIO(data))  # the upload really carries what the tests below expect to disappear
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert {"exif", "icc_profile", "xmp", "comment"} <= stored.info.keys()
    return data


def opened(result: PreparedPhoto) -> Image.Image:
    """The stored photo as a viewer would open it, after checking it is the JPEG the record says it is."""
    assert result.content_type == "image/jpeg"
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    image = Image.open(BytesIO(result.data))
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (result.width, result.height)
    return image


def near(actual: float | tuple[int, ...] | None, expected: tuple[int, ...], tolerance: int = 30) -> bool:
    """An RGB pixel within JPEG's rounding of the expected colour."""
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def quietly(data: bytes) -> PreparedPhoto:
    """prepare_photo under production warning filters (not this suite's "error"): it must not warn at all."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        result = prepare_photo(data)
    assert [str(warning.message) for warning in said] == []
    return result


def refusal(data: bytes) -> PhotoError:
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")  # production filters: a warning must not escape besides the refusal
        with pytest.raises(PhotoError) as caught:
            prepare_photo(data)
    assert [str(warning.message) for warning in said] == []
    error = caught.value
    assert str(error) == f"{error.chinese} ({error.english})"
    assert any("\u4e00" <= character <= "\u9fff" for character in error.chinese)
    assert error.english.isascii()
    return error


def png_claiming(width: int, height: int) -> bytes:
    """A real 8×8 PNG whose header claims another size: tiny to send, gigabytes if anyone decoded it."""
    data = encode(Image.new("1", (8, 8)), "PNG")
    assert data[12:16] == b"IHDR"  # after the 8-byte signature and the chunk's 4-byte length
    header = struct.pack(">II", width, height) + data[24:29]
    return data[:16] + header + struct.pack(">I", zlib.crc32(b"IHDR" + header)) + data[33:]


# --- what is kept, and how it is cleaned ---


def test_phone_photo_keeps_no_location_camera_or_other_metadata() -> None:
    result = prepare_photo(phone_jpeg())

    image = opened(result)
    assert len(image.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp", "comment"} & image.info.keys()
    for trace in (b"Exif", HOME_DATUM.encode(), HOME_MAKE.encode(), b"ICC_PROFILE", b"home-city", COMMENT.encode()):
        assert trace not in result.data


def test_photo_taken_sideways_is_turned_upright() -> None:
    # Orientation 6: the viewer must turn the stored picture 90° clockwise, so its left half ends up on top.
    image = opened(prepare_photo(phone_jpeg(orientation=6)))

    assert image.size == (200, 300)
    assert near(image.getpixel((100, 40)), RED)
    assert near(image.getpixel((100, 260)), BLUE)


@pytest.mark.parametrize(
    "exif",
    [
        pytest.param(b"Exif\x00\x00not a TIFF header at all", id="not-TIFF"),
        pytest.param(b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff\x01", id="truncated-Pillow-warns"),
    ],
)
def test_photo_whose_exif_cannot_be_read_is_accepted_as_stored(exif: bytes) -> None:
    data = encode(halves((300, 200), RED, BLUE), "JPEG", exif=exif)

    image = opened(quietly(data))

    assert image.size == (300, 200)
    assert near(image.getpixel((40, 100)), RED)
    assert len(image.getexif()) == 0


@pytest.mark.parametrize(
    "transparent",
    [
        pytest.param(halves((200, 100), (0, 0, 0, 0), (*RED, 255), mode="RGBA"), id="RGBA"),
        pytest.param(halves((200, 100), (0, 0, 0, 0), (*RED, 255), mode="RGBA").convert("P"), id="palette"),
        pytest.param(halves((200, 100), (0, 0), (0, 255), mode="LA"), id="grey-alpha"),
    ],
)
def test_transparent_png_is_laid_over_white(transparent: Image.Image) -> None:
    image = opened(prepare_photo(encode(transparent, "PNG")))

    assert image.size == (200, 100)
    assert near(image.getpixel((20, 50)), WHITE, tolerance=8)  # not the black that dropping alpha gives
    assert not near(image.getpixel((180, 50)), WHITE)


def test_sixteen_bit_grey_png_keeps_its_greys() -> None:
    data = encode(Image.new("I;16", (64, 64), 40000), "PNG")

    image = opened(prepare_photo(data))

    assert near(image.getpixel((32, 32)), (156, 156, 156), tolerance=4)  # 40000 / 256, not clipped to white


@pytest.mark.parametrize(
    ("size", "format", "expected"),
    [((4000, 3000), "JPEG", (2048, 1536)), ((1500, 3000), "PNG", (1024, 2048))],
)
def test_large_photo_is_shrunk_to_the_longest_side_limit(
    size: tuple[int, int], format: str, expected: tuple[int, int]
) -> None:
    result = prepare_photo(encode(halves(size, RED, BLUE), format))

    assert (result.width, result.height) == expected
    assert max(expected) == MAX_SIDE
    image = opened(result)
    assert near(image.getpixel((10, 10)), RED)
    assert near(image.getpixel((expected[0] - 10, 10)), BLUE)


def test_small_photo_is_not_enlarged() -> None:
    result = prepare_photo(encode(halves((640, 480), RED, BLUE), "JPEG"))

    assert (result.width, result.height) == (640, 480)


def test_heic_is_accepted_turned_once_and_stripped() -> None:
    # pillow-heif stores the orientation as a HEIF transform that the decoder applies; it must not be applied twice.
    data = encode(halves((300, 200), RED, BLUE), "HEIF", exif=phone_exif(orientation=6))
    assert data[4:12] == b"ftypheic"
    assert HOME_DATUM.encode() in data

    result = prepare_photo(data)

    image = opened(result)
    assert image.size == (200, 300)
    assert near(image.getpixel((100, 40)), RED)
    assert near(image.getpixel((100, 260)), BLUE)
    assert len(image.getexif()) == 0
    assert b"Exif" not in result.data
    assert HOME_DATUM.encode() not in result.data


def test_photo_of_exactly_the_size_limit_is_accepted() -> None:
    photo = encode(halves((300, 200), RED, BLUE), "JPEG")
    padded = photo + b"\0" * (MAX_PHOTO_BYTES - len(photo))  # bytes after the end of a JPEG are ignored
    assert len(padded) == MAX_PHOTO_BYTES

    result = prepare_photo(padded)

    assert (result.width, result.height) == (300, 200)


# --- what is refused, and why ---


def test_photo_over_ten_megabytes_is_refused_before_it_is_read() -> None:
    photo = encode(halves((300, 200), RED, BLUE), "JPEG")

    assert refusal(photo + b"\0" * (MAX_PHOTO_BYTES + 1 - len(photo))).code == "too_large"


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((7000, 7000), id="49MP-over-our-limit"),
        pytest.param((10000, 10000), id="100MP-where-Pillow-warns"),
        pytest.param((50000, 50000), id="2500MP-where-Pillow-errs"),
    ],
)
def test_image_claiming_too_many_pixels_is_refused_without_decoding(size: tuple[int, int]) -> None:
    assert size[0] * size[1] > MAX_PIXELS
    # Were the pixels decoded, the 8×8 image data would run out and the refusal would be "not_an_image" instead.
    assert refusal(png_claiming(*size)).code == "too_many_pixels"


def test_image_just_under_the_pixel_limit_is_not_refused_for_its_pixels() -> None:
    # Same trick, but within the limit: the decoder is reached, and finds the data missing.
    assert refusal(png_claiming(6000, 6000)).code == "not_an_image"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(encode(halves((60, 40), RED, BLUE), "GIF"), "unsupported_format", id="GIF"),
        pytest.param(encode(halves((60, 40), RED, BLUE), "WEBP"), "unsupported_format", id="WebP"),
        pytest.param(encode(halves((60, 40), RED, BLUE), "BMP"), "unsupported_format", id="BMP"),
        pytest.param(encode(halves((60, 40), RED, BLUE), "TIFF"), "unsupported_format", id="TIFF"),
        pytest.param(b"", "not_an_image", id="empty"),
        pytest.param(random.Random(7).randbytes(4096), "not_an_image", id="random-bytes"),
        pytest.param("收据：猪肉 2 斤，58 元\n".encode(), "not_an_image", id="text-file-renamed-jpg"),
        pytest.param(
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n", "not_an_image", id="PDF"
        ),
    ],
)
def test_files_that_are_not_accepted_photos_are_refused(data: bytes, code: str) -> None:
    error = refusal(data)

    assert error.code == code
    assert "JPEG" in error.chinese  # tells the shopper what to send instead
    assert "JPEG" in error.english


def test_unsupported_format_is_named() -> None:
    error = refusal(encode(halves((60, 40), RED, BLUE), "GIF"))

    assert "GIF" in error.chinese
    assert error.english.startswith("GIF images are not accepted")


def test_truncated_jpeg_is_refused() -> None:
    photo = encode(halves((600, 400), RED, BLUE), "JPEG")

    error = refusal(photo[: len(photo) // 2])

    assert error.code == "not_an_image"
    assert "damaged or incomplete" in error.english
