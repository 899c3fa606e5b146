"""The integrity index's sheet is data, and its arithmetic is checked by hand."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from complaints.programme.integrity_index import SheetError, load_sheet, score

# A fixture area's values, and the points each earns by the street sheet, worked out by hand.
VALUES = {
    "instrument_pass_rate": "0.9",  # 20 × 0.9 = 18
    "instrument_database": "1",  # 10
    "rules_published": "1",  # 10
    "staff_trained": "0.93",  # below 0.95: 0
    "disputes_handled": "0.8",  # 15 × 0.8 = 12
    "complaint_phone": "1",  # 5
    "fair_scale": "0.5",  # 10 × 0.5 = 5           basic 60
    "compensation_fund": "0",  # 0
    "satisfaction_survey": "1",  # 5
    "volunteer_activity": "9",  # 10 × 9 / 12 = 7.5   bonus 12.5
    "tampering_found": "1",  # 5
    "short_weight_found": "6",  # 6 × 2 = 12, capped at 10   deductions 15
}


def test_the_street_sheet_scores_a_fixture_area_as_worked_out_by_hand() -> None:
    sheet = load_sheet()
    assert [item.code for item in sheet.items] == list(VALUES)
    by_section: dict[str, Decimal] = {}
    for item in sheet.items:
        by_section[item.section] = by_section.get(item.section, Decimal(0)) + item.points
    assert by_section == {"basic": 80, "bonus": 20, "deduction": 7}
    result = score(sheet, {code: Decimal(value) for code, value in VALUES.items()})
    assert (result.basic, result.bonus, result.deductions, result.total) == (60, Decimal("12.5"), 15, Decimal("57.5"))
    assert [str(s.points) for s in result.items] == [
        "18.00", "10.00", "10.00", "0.00", "12.00", "5.00", "5.00", "0.00", "5.00", "7.50", "5.00", "10.00",
    ]  # fmt: skip
    assert result.missing == ()


def test_an_item_not_yet_assessed_scores_nothing_and_is_named() -> None:
    values = {code: Decimal(value) for code, value in VALUES.items() if code != "complaint_phone"}
    result = score(load_sheet(), values)
    assert result.missing == ("complaint_phone",)
    assert result.total == Decimal("52.5")
    heavy = score(load_sheet(), {"tampering_found": Decimal(9)})
    assert (heavy.deductions, heavy.total) == (20, 0)  # capped, and never below zero


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=1\nrule="rate"\n' * 2, "a code of its own"),
        ('[[item]]\ncode="a"\nsection="extra"\ntext="x"\npoints=1\nrule="rate"\n', "section must be"),
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=1\nrule="each"\n', "rule is one of"),
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=1\nrule="threshold"\n', "needs threshold"),
        ('[[item]]\ncode="a"\nsection="basic"\ntext="x"\npoints=-3\nrule="rate"\n', "zero or more"),
        ('[[item]]\ncode="a"\nsection="bonus"\ntext="x"\npoints=1\nrule="rate"\nsource="a robot"\n', "source is"),
        ("name = 'empty'\n", "no [[item]]"),
        ("[[item]\n", "not valid TOML"),
    ],
)
def test_a_city_editing_the_sheet_is_told_what_is_wrong(tmp_path: Path, body: str, complaint: str) -> None:
    path = tmp_path / "sheet.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SheetError, match=re.escape(complaint)):
        load_sheet(path)
