"""Public instrument codes: generation, check symbol, and tolerant parsing of what people type."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from qr.codes import CODE_LENGTH, check_symbol, format_code, new_code, normalise_code

# Written out again rather than imported, so the tests do not share a mistake with the code.
SYMBOLS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def luhn_mod32_remainder(code: str) -> int:
    """Luhn mod N by hand: from the right, double every second value and add its base-32 digits."""
    total = 0
    for position, symbol in enumerate(reversed(code)):
        value = SYMBOLS.index(symbol)
        if position % 2 == 1:
            value *= 2
            value = value // 32 + value % 32
        total += value
    return total % 32


def seeded(seed: int) -> Callable[[int], int]:
    return random.Random(seed).randrange


def sample_codes() -> list[str]:
    return [new_code(seeded(seed)) for seed in range(12)] + ["0000000000", new_code(lambda n: n - 1)]


def test_new_code_shape_and_round_trip() -> None:
    codes = [new_code() for _ in range(3000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(SYMBOLS)
        assert luhn_mod32_remainder(code) == 0
        assert normalise_code(code) == code
        assert normalise_code(format_code(code)) == code


def test_new_code_with_all_zero_randomness() -> None:
    # Nine zeros have a Luhn sum of zero, so the check symbol is the zero symbol too.
    assert new_code(lambda _: 0) == "0000000000"


def test_new_code_uses_randbelow_for_each_payload_symbol() -> None:
    asked: list[int] = []
    values = iter([1, 2, 3, 4, 5, 6, 7, 8, 31])

    def randbelow(bound: int) -> int:
        asked.append(bound)
        return next(values)

    code = new_code(randbelow)
    assert asked == [32] * 9
    assert code[:9] == "12345678Z"
    fitting = [symbol for symbol in SYMBOLS if luhn_mod32_remainder("12345678Z" + symbol) == 0]
    assert fitting == [code[9]]
    assert check_symbol("12345678Z") == code[9]


@pytest.mark.parametrize("code", sample_codes())
def test_every_single_substitution_is_rejected(code: str) -> None:
    for position in range(CODE_LENGTH):
        for symbol in SYMBOLS:
            if symbol != code[position]:
                typo = code[:position] + symbol + code[position + 1 :]
                assert normalise_code(typo) is None, typo


def test_every_adjacent_transposition_is_rejected_except_zero_and_z() -> None:
    # Exhaustive over every ordered pair of symbols at every adjacent pair of payload positions.
    # Luhn mod N cannot see 0<->Z (both contribute the same whatever their weight); that is the one gap.
    base = "7K3MQ9XR4"
    missed = set()
    for position in range(len(base) - 1):
        for first in SYMBOLS:
            for second in SYMBOLS:
                if first == second:
                    continue
                payload = base[:position] + first + second + base[position + 2 :]
                code = payload + check_symbol(payload)
                swapped = code[:position] + second + first + code[position + 2 :]
                if normalise_code(swapped) is not None:
                    missed.add(first + second)
    assert missed == {"0Z", "Z0"}
    # The last payload symbol swapped with the check symbol.
    for last in SYMBOLS:
        code = base[:-1] + last + check_symbol(base[:-1] + last)
        swapped = code[:-2] + code[-1] + code[-2]
        if swapped != code and {code[-2], code[-1]} != {"0", "Z"}:
            assert normalise_code(swapped) is None, swapped


@pytest.mark.parametrize("code", sample_codes())
def test_adjacent_transpositions_of_sample_codes(code: str) -> None:
    for position in range(CODE_LENGTH - 1):
        pair = code[position : position + 2]
        if pair[0] != pair[1] and set(pair) != {"0", "Z"}:
            swapped = code[:position] + pair[::-1] + code[position + 2 :]
            assert normalise_code(swapped) is None, swapped


def code_with_ones_and_zeros() -> str:
    values = iter([1, 0, 1, 0, 12, 1, 0, 20, 1])
    code = new_code(lambda _: next(values))
    assert "1" in code
    assert "0" in code
    return code


def test_confusables_case_and_separators_are_accepted() -> None:
    code = code_with_ones_and_zeros()
    grouped = format_code(code)
    variants = [
        code.lower(),
        f"  {code}\n",
        f"\t{grouped}\r\n",
        grouped.lower(),
        f"{code[:3]} {code[3:6]} {code[6:]}",
        f"{code[:5]} - {code[5:]}",
        code.replace("1", "I").replace("0", "O"),
        code.replace("1", "l").replace("0", "o"),
        code.replace("1", "i"),
        # Full-width forms from a Chinese input method, with an ideographic space.
        "\u3000" + "".join(chr(ord(c) + 0xFEE0) for c in grouped) + "\u3000",
        f"{code[:5]}\u2014{code[5:]}",
    ]
    for variant in variants:
        assert normalise_code(variant) == code, repr(variant)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "-----",
        "U",
        "000000000",
        "00000000000",
        "0000000000" + "0",
        "UUUUUUUUUU",
        "张记水产张记水产张记",
        "0" * 10_000,
        " " * 10_000 + "0000000000",
        "\x00" * 10,
        "00000\x0000000",
        "0000000000\x00",
        "ııııııııı1",  # dotless i upper-cases to I, which must not count as a confusable
        "\ud800" * 10,
        "🐟" * 10,
    ],
)
def test_garbage_is_none(text: str) -> None:
    assert normalise_code(text) is None


def test_random_input_never_raises() -> None:
    rng = random.Random(1234)
    alphabet = SYMBOLS + SYMBOLS.lower() + " -_.\t\nIiLlOoU\x00\x7f\u00e9\u3000\uff10\ud800\U0001f41f张"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        result = normalise_code(text)
        assert result is None or (len(result) == CODE_LENGTH and luhn_mod32_remainder(result) == 0)


def test_format_code_groups_five_and_five() -> None:
    code = new_code(seeded(7))
    assert format_code(code) == f"{code[:5]}-{code[5:]}"
    assert format_code("0000000000") == "00000-00000"


@pytest.mark.parametrize("text", ["", "0000000001", "00000-00000", " 0000000000", "7K3MQ9XR4P"])
def test_format_code_refuses_non_canonical_codes(text: str) -> None:
    with pytest.raises(ValueError, match="not a canonical"):
        format_code(text)
