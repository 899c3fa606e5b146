from __future__ import annotations

import pytest

from lookup.uscc import CHARSET, is_valid_uscc, is_well_formed_uscc, normalise_uscc, uscc_check_char

# Published codes of real organisations, each also confirmed by make_valid below.
REAL_CODES = [
    "91350100M000100Y43",  # the example in GB 32100-2015 explanations
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110108551385082Q",  # 北京小米科技有限责任公司
    "91330100716105852F",
    "91230184MA1BUFLT44",
    "92371000MA3MXH0E3W",  # 个体工商户: type 2
    "12100000400000624D",  # 事业单位: authority 1, type 2
    "11100000000013127D",  # 机关: authority 1, type 1
]

_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_valid(first17: str) -> str:
    """A valid code from any 17 characters, computed here rather than trusting the code under test."""
    total = sum(_CHARS.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + _CHARS[(31 - total % 31) % 31]


def test_hand_computed_check_character() -> None:
    # 91350100M000100Y4: values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4
    # 9×1 + 1×3 + 3×9 + 5×27 + 0×19 + 1×26 + 0×16 + 0×17 + 21×20 + 0×29 + 0×25 + 0×13 + 1×8 + 0×24
    #   + 0×10 + 30×30 + 4×28 = 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1640
    # 1640 mod 31 = 28 (31 × 52 = 1612); check = 31 − 28 = 3
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert is_valid_uscc("91350100M000100Y43")


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert make_valid(code[:17]) == code
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_character_change_is_rejected(code: str) -> None:
    for position in range(18):
        for char in CHARSET + "IOZSVa-":
            if char == code[position]:
                continue
            changed = code[:position] + char + code[position + 1 :]
            assert not is_valid_uscc(changed), changed


def test_helper_generates_codes_the_module_accepts() -> None:
    for first17 in ("91350100MA2XY3K7P", "93110000MA00000A0", "Y1440300ABCDEFGHJ", "N2330100000000000"):
        code = make_valid(first17)
        assert is_valid_uscc(code)
        assert uscc_check_char(first17) == code[17]


def test_check_char_zero_remainder_maps_to_zero() -> None:
    # A sum divisible by 31 must give '0', not index 31 (a classic off-by-one in published validators).
    first17 = next(
        f"9111000000000{a}{b}{c}{d}"
        for a in CHARSET
        for b in CHARSET
        for c in CHARSET
        for d in CHARSET
        if make_valid(f"9111000000000{a}{b}{c}{d}")[17] == "0"
    )
    assert uscc_check_char(first17) == "0"


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", "9135 0100M000100Y43"])
def test_wrong_length_or_spaces_rejected(code: str) -> None:
    assert not is_valid_uscc(code)


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_excluded_letters_rejected(letter: str) -> None:
    first17 = f"91350100M{letter}00100Y4"
    assert not is_well_formed_uscc(first17 + "0")
    with pytest.raises(ValueError, match="not allowed"):
        uscc_check_char(first17)
    # Whatever check character is put after it, the code stays invalid.
    assert not any(is_valid_uscc(first17 + c) for c in CHARSET)


def test_division_code_must_be_digits() -> None:
    assert not is_valid_uscc(make_valid("91A50100M000100Y4"))


def test_check_char_wants_17_characters() -> None:
    with pytest.raises(ValueError, match="17"):
        uscc_check_char("91350100M000100Y")


def test_lower_case_and_spaces_accepted_after_normalising() -> None:
    assert not is_valid_uscc("91350100m000100y43")
    assert normalise_uscc(" 91350100m000100y43\t") == "91350100M000100Y43"
    assert normalise_uscc("9135 0100\u3000M000 100Y43") == "91350100M000100Y43"
    assert is_valid_uscc(normalise_uscc("  91350100m000100y43 "))


def test_full_width_characters_folded() -> None:
    assert normalise_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"
