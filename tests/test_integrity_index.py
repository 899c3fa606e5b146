"""The integrity index's two official sheets are data, item for item as the seed prints them, and their arithmetic
is checked by hand."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from complaints.programme.integrity_index import SHEETS, Sheet, SheetError, load_sheet, load_sheets, score

# The Taizhou guidance (附件3 重点景区诚信计量指数, 附件4 重点街区诚信计量指数), as the shared seeds hold it.
SEED = Path("/work/shared/seeds/002_0b8431b8fd03006c.txt")
needs_seed = pytest.mark.skipif(not SEED.exists(), reason=f"the Taizhou guidance is not at {SEED}")


def seed_table(annex: str) -> list[tuple[str, int]]:
    """(考评标准, 分值) of every row of one annex's table, in order, read from the seed's text.

    Each cell of the table is a line of its own; a row's last two cells are its standard and its points. A cell of
    digits right after a standard is that row's points (a 序号 follows an object or a blank, never a standard).
    """
    text = SEED.read_text(encoding="utf-8")
    start = text.index(f"\n{annex}\n")
    following = {"附件3": "\n附件4\n"}.get(annex)
    block = text[start : text.index(following) if following else len(text)]
    cells = [line.strip() for line in block.splitlines() if line.strip()]
    return [(cells[n - 1], int(cell)) for n, cell in enumerate(cells) if cell.isdigit() and len(cells[n - 1]) >= 8]


@needs_seed
@pytest.mark.parametrize(("kind", "annex", "title"), [("scenic", "附件3", "重点景区诚信计量指数"),
                                                      ("street", "附件4", "重点街区诚信计量指数")])  # fmt: skip
def test_every_item_of_the_shipped_sheet_is_a_row_of_the_official_table(kind: str, annex: str, title: str) -> None:
    sheet = load_sheet(SHEETS / f"{kind}.toml", kind=kind)
    assert sheet.name == title
    assert title in SEED.read_text(encoding="utf-8")
    official = seed_table(annex)
    assert [(item.text, int(item.points)) for item in sheet.items] == official
    # The headings and objects the sheet prints are the table's own words.
    seed = SEED.read_text(encoding="utf-8")
    for item in sheet.items:
        for words in (item.heading, item.object):
            assert words in seed, (item.code, words)


def _sums(sheet: Sheet) -> dict[str, Decimal]:
    return {section: sheet.most(section) for section in ("basic", "bonus", "deduction")}


def test_both_sheets_carry_the_official_points() -> None:
    sheets = load_sheets()
    scenic, street = sheets["scenic"], sheets["street"]
    assert (len(scenic.items), len(street.items)) == (37, 26)
    assert _sums(scenic) == {"basic": 100, "bonus": 10, "deduction": 15}
    assert _sums(street) == {"basic": 100, "bonus": 8, "deduction": 20}
    assert scenic.section_name("basic") == "基本项"
    assert street.section_name("basic") == "基础项目"
    # The scenic sheet's headings state their points (建档完整（6分）): each is the sum of its standards.
    by_heading: dict[str, Decimal] = {}
    for item in scenic.items:
        if item.heading:
            by_heading[item.heading] = by_heading.get(item.heading, Decimal(0)) + item.points
    for heading, points in by_heading.items():
        stated = re.search(r"（(\d+)分）", heading)
        assert stated is not None, heading
        assert Decimal(stated[1]) == points, heading
    assert len(by_heading) == 16


# A fixture area's values on the scenic sheet, and the points each earns, worked out by hand.
SCENIC_VALUES = {
    "records_ledger": ("0.9", "2.70"),  # 3 × 0.9
    "instruments_in_period": ("2", "2.00"),  # 6 − 2 × 2 instruments out of period
    "fair_scale": ("0.5", "1.00"),  # 2 × 0.5
    "legal_units": ("0.75", "2.25"),  # 3 × 0.75
    "commitment_posted": ("1", "3.00"),
    "satisfaction": ("0.94", "0.00"),  # below 95 %: nothing
    "media": ("1", "4.00"),  # bonus
    "tampering": ("3", "5.00"),  # a deduction once, however often
}


def test_the_scenic_sheet_scores_a_fixture_area_as_worked_out_by_hand() -> None:
    sheet = load_sheets()["scenic"]
    values = {code: Decimal(value) for code, (value, _) in SCENIC_VALUES.items()}
    result = score(sheet, values, measured=frozenset({"records_ledger", "instruments_in_period"}))
    earned = {s.item.code: str(s.points) for s in result.items if s.item.code in SCENIC_VALUES}
    assert earned == {code: points for code, (_, points) in SCENIC_VALUES.items()}
    assert (result.basic, result.bonus, result.deductions, result.total) == (
        Decimal("10.95"), Decimal("4.00"), Decimal("5.00"), Decimal("9.95"),
    )  # fmt: skip
    assert len(result.missing) == 37 - len(SCENIC_VALUES)
    by = {s.item.code: s.by for s in result.items}
    assert (by["records_ledger"], by["fair_scale"], by["responsible_person"]) == ("auto", "assessor", None)
    many = score(sheet, {"instruments_in_period": Decimal(7)})
    assert many.basic == 0  # never below nothing


def test_the_street_sheet_counts_each_occurrence_of_a_deduction_and_of_a_bonus() -> None:
    sheet = load_sheets()["street"]
    values = {
        "pass_rate": Decimal("0.8"),  # 10 × 0.8 = 8
        "staff_trained": Decimal("0.96"),  # ≥ 95 %: 5
        "volunteer_activity": Decimal(1),  # one visit in the year: 6
        "monitoring_points": Decimal(1),  # fewer than 2: nothing
        "media": Decimal(3),  # 3 × 2 = 6
        "not_corrected": Decimal(2),  # 2 × 5 = 10
        "penalised": Decimal(1),  # 10
    }
    result = score(sheet, values)
    assert (result.basic, result.bonus, result.deductions) == (19, 6, 20)
    assert result.total == 5
    heavy = score(sheet, {"tampering": Decimal(9)})
    assert (heavy.deductions, heavy.total) == (45, 0)  # no cap on the street sheet, and never below zero


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=1\nrule="rate"\n' * 2, "a code of its own"),
        ('[[item]]\ncode="a"\nsection="extra"\ntext="x"\npoints=1\nrule="rate"\n', "section must be"),
        ('[[item]]\ncode="a"\nsection="deduction"\ntext="x"\npoints=1\nrule="rate"\n', "rule is one of"),
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=1\nrule="threshold"\n', "needs threshold"),
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=6\nrule="less_each"\n', "needs per"),
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=-3\nrule="rate"\n', "zero or more"),
        ('[[item]]\ncode="a"\nsection="bonus"\ntext="x"\npoints=1\nrule="rate"\nsource="a robot"\n', "source is"),
        ('[[item]]\ncode="a"\nsection="bonus"\ntext="x"\npoints=1\nrule="rate"\nheading=3\n', "heading must be text"),
        ('kind="scenic"\n[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=1\nrule="rate"\n', "expected 'street'"),
        ("name = 'empty'\n", "no [[item]]"),
        ("[[item]\n", "not valid TOML"),
    ],
)
def test_a_city_editing_a_sheet_is_told_what_is_wrong(tmp_path: Path, body: str, complaint: str) -> None:
    path = tmp_path / "sheet.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SheetError, match=re.escape(complaint)):
        load_sheets(street=path)
