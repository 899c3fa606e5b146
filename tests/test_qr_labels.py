"""QR images and printable label sheets: decoded back with zxing-cpp from pdfium renderings."""

from __future__ import annotations

import io
import random
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
import reportlab
import zxingcpp
from PIL import Image

from qr.codes import format_code, new_code
from qr.labels import (
    DEFAULT_TEXTS,
    LABEL_HEIGHT,
    LABEL_WIDTH,
    LABELS_PER_PAGE,
    PADDING,
    PAGE_HEIGHT,
    TEXT_LEFT,
    Label,
    LabelTexts,
    fit_text,
    label_origin,
    register_font,
    render_label_sheet,
)
from qr.render import qr_matrix, qr_png, qr_svg

DPI_SCALE = 300 / 72
BASE_URL = "https://fairweigh.example.cn/i/"


def make_labels(count: int, seed: int = 42) -> list[Label]:
    randbelow = random.Random(seed).randrange
    labels = []
    for number in range(count):
        code = new_code(randbelow)
        labels.append(
            Label(
                url=BASE_URL + code,
                code=code,
                kind_name="电子计价秤",
                serial_no=f"JJ-2024-{number:05d}",
                merchant="张记水产",
                stall=f"东门市场 B区 {number + 1}号",
            )
        )
    return labels


def render(labels: list[Label], **options: object) -> bytes:
    out = io.BytesIO()
    assert render_label_sheet(labels, out, **options) == len(labels)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.fixture(scope="module")
def sheet() -> tuple[list[Label], bytes]:
    labels = make_labels(30)
    return labels, render(labels)


@pytest.fixture(scope="module")
def first_page(sheet: tuple[list[Label], bytes]) -> Iterator[tuple[Image.Image, str]]:
    pdf = pypdfium2.PdfDocument(sheet[1])
    page = pdf[0]
    textpage = page.get_textpage()
    yield page.render(scale=DPI_SCALE).to_pil(), textpage.get_text_range()
    textpage.close()
    page.close()
    pdf.close()


def cell_image(page: Image.Image, slot: int) -> Image.Image:
    x, y = label_origin(slot)
    top = PAGE_HEIGHT - y - LABEL_HEIGHT
    left, upper, right, lower = (round(edge * DPI_SCALE) for edge in (x, top, x + LABEL_WIDTH, top + LABEL_HEIGHT))
    return page.crop((left, upper, right, lower))


def decode(image: Image.Image) -> list[tuple[str, zxingcpp.BarcodeFormat]]:
    return [(barcode.text, barcode.format) for barcode in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("slot", [0, 1, 2, 4, 13, 21, 23])
def test_each_sticker_scans_to_its_url(first_page: tuple[Image.Image, str], slot: int) -> None:
    labels = make_labels(30)
    assert decode(cell_image(first_page[0], slot)) == [(labels[slot].url, zxingcpp.BarcodeFormat.QRCode)]


def test_second_page_holds_the_rest(sheet: tuple[list[Label], bytes]) -> None:
    labels, data = sheet
    pdf = pypdfium2.PdfDocument(data)
    assert len(pdf) == 2
    page = pdf[1]
    image = page.render(scale=DPI_SCALE).to_pil()
    assert decode(cell_image(image, 5)) == [(labels[LABELS_PER_PAGE + 5].url, zxingcpp.BarcodeFormat.QRCode)]
    assert decode(cell_image(image, 6)) == []
    page.close()
    pdf.close()


def test_page_text_is_real_chinese(sheet: tuple[list[Label], bytes], first_page: tuple[Image.Image, str]) -> None:
    text = first_page[1]
    for needle in ["张记水产", "扫码查检定、投诉", "投诉举报 12315", "电子计价秤", "东门市场 B区 1号"]:
        assert needle in text
    for label in sheet[0][:LABELS_PER_PAGE]:
        assert format_code(label.code) in text
        assert label.serial_no in text
    assert format_code(sheet[0][LABELS_PER_PAGE].code) not in text


def test_long_text_is_cut_and_stays_clear_of_the_qr() -> None:
    merchant = "东门农贸市场李家新鲜猪肉批发零售有限公司第三分店"
    label = Label(BASE_URL + "0000000000", "0000000000", "燃油加油机", "SN-1", merchant, "")
    data = render([label] * 3)
    pdf = pypdfium2.PdfDocument(data)
    page = pdf[0]
    textpage = page.get_textpage()
    text = textpage.get_text_range()
    assert merchant not in text
    assert merchant[:6] in text
    assert "…" in text
    for index in range(textpage.count_chars()):
        if textpage.get_text_range(index, 1).isspace():
            continue
        left, _, right, _ = textpage.get_charbox(index)
        slot = 0 if left < label_origin(1)[0] else 1 if left < label_origin(2)[0] else 2
        cell_left = label_origin(slot)[0]
        assert left >= cell_left + TEXT_LEFT - 0.5
        assert right <= cell_left + LABEL_WIDTH - PADDING + 0.5
    assert decode(cell_image(page.render(scale=DPI_SCALE).to_pil(), 0)) == [(label.url, zxingcpp.BarcodeFormat.QRCode)]
    textpage.close()
    page.close()
    pdf.close()


def test_custom_texts_and_generator_input() -> None:
    texts = LabelTexts(call_to_action="扫一扫 查秤", hotline="市场监管 0571-12345")
    data = render(make_labels(2), texts=texts)
    out = io.BytesIO()
    assert render_label_sheet(iter(make_labels(3)), out) == 3
    pdf = pypdfium2.PdfDocument(data)
    textpage = pdf[0].get_textpage()
    text = textpage.get_text_range()
    assert "扫一扫 查秤" in text
    assert "市场监管 0571-12345" in text
    assert "扫码查检定" not in text
    textpage.close()
    pdf.close()


def test_embedded_truetype_font() -> None:
    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    assert register_font(vera) == register_font(vera) != register_font()
    code = new_code(random.Random(1).randrange)
    label = Label(BASE_URL + code, code, "Scale", "S-1", "Fish & Co", "Stall 7")
    data = render([label], texts=LabelTexts("Scan to check", "Hotline 12315"), font_file=vera)
    assert b"/FontFile2" in data
    pdf = pypdfium2.PdfDocument(data)
    textpage = pdf[0].get_textpage()
    assert "Fish & Co" in textpage.get_text_range()
    textpage.close()
    pdf.close()


def test_empty_input_writes_nothing() -> None:
    out = io.BytesIO()
    with pytest.raises(ValueError, match="no labels"):
        render_label_sheet([], out)
    assert out.getvalue() == b""


def test_bad_code_is_refused() -> None:
    label = Label(BASE_URL + "X", "0000000001", "秤", "1", "张记", "A1")
    with pytest.raises(ValueError, match="not a canonical"):
        render_label_sheet([label], io.BytesIO())


def test_thousand_labels_page_count() -> None:
    data = render(make_labels(1000, seed=7))
    pdf = pypdfium2.PdfDocument(data)
    assert len(pdf) == -(-1000 // LABELS_PER_PAGE) == 42
    pdf.close()


def test_fit_text() -> None:
    font = register_font()
    assert fit_text("张记水产", font, 8, 100) == ("张记水产", 8)
    text, size = fit_text("张记水产  \n 二号", font, 8, 40)
    assert text == "张记水产 二号"
    assert 6 < size < 8
    text, size = fit_text("很" * 60, font, 8, 72)
    assert text.endswith("…")
    assert len(text) < 60
    assert fit_text(text, font, size, 72) == (text, size)


@pytest.mark.parametrize("data", [BASE_URL + "7K3MQ9XR4P", "1", "https://x.cn/i/张记水产?a=1&b=<2>"])
def test_png_decodes_to_its_input(data: str) -> None:
    image = Image.open(io.BytesIO(qr_png(data, scale=4)))
    assert image.size[0] == image.size[1] == 4 * (len(qr_matrix(data)) + 8)
    assert decode(image) == [(data, zxingcpp.BarcodeFormat.QRCode)]


def test_matrix_is_never_micro_qr() -> None:
    matrix = qr_matrix("1")
    assert len(matrix) == 21
    assert all(len(row) == 21 for row in matrix)
    assert matrix[0][:7] == [True] * 7


def test_svg_is_small_self_contained_xml() -> None:
    data = BASE_URL + "7K3MQ9XR4P&x=<1>"
    svg = qr_svg(data)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    assert root.get("width") == root.get("height")
    assert root.findtext("{http://www.w3.org/2000/svg}title") == data
    assert not svg.startswith(b"<?xml")
    for forbidden in [b"<image", b"href", b"<script", b"<style", b"url("]:
        assert forbidden not in svg
    assert len(svg) < 4000


def test_every_qr_code_on_a_page_decodes_at_150_dpi(sheet: tuple[list[Label], bytes]) -> None:
    """The whole page, as a phone photographs it or a reader rasterises it, not one cropped sticker at a time."""
    labels, data = sheet
    pdf = pypdfium2.PdfDocument(data)
    for number, expected in enumerate((labels[:LABELS_PER_PAGE], labels[LABELS_PER_PAGE:])):
        page = pdf[number]
        found = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())
        assert sorted(barcode.text for barcode in found) == sorted(label.url for label in expected)
        page.close()
    pdf.close()


def test_the_sheet_avoids_the_glyph_readers_draw_as_a_box_and_sets_serials_in_a_latin_font(
    sheet: tuple[list[Label], bytes], first_page: tuple[Image.Image, str]
) -> None:
    assert "\u00b7" not in first_page[1]
    assert "\u00b7" not in DEFAULT_TEXTS.call_to_action
    assert b"/BaseFont /Helvetica" in sheet[1] or b"/BaseFont/Helvetica" in sheet[1]
    for label in sheet[0][:LABELS_PER_PAGE]:
        assert label.serial_no in first_page[1]  # whole, with no spaces a reader put between its letters


WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian's fonts-wqy-microhei


@pytest.mark.skipif(not WQY.exists(), reason="fonts-wqy-microhei is not installed")
def test_a_free_cjk_font_is_embedded_as_a_subset_when_configured() -> None:
    """FAIRWEIGH_LABEL_FONT=…/wqy-microhei.ttc: every reader then draws the sheet from the same glyphs."""
    labels = make_labels(30)
    data = render(labels, font_file=WQY)
    assert b"/FontFile2" in data  # embedded
    assert b"+WenQuanYiMicroHei" in data  # as a subset (a tag before the name), not the whole 5 MB font
    assert len(data) < 100_000
    pdf = pypdfium2.PdfDocument(data)
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    assert "扫码查检定、投诉" in text
    assert "张记水产" in text
    found = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil())
    assert sorted(barcode.text for barcode in found) == sorted(label.url for label in labels[:LABELS_PER_PAGE])
    page.close()
    pdf.close()
