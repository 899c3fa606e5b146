"""Properties that hold for every input, checked with Hypothesis: the input cleaners, the instrument-code and
case-reference parsers, the row-id parser, the working-day calendar and the ledger row parser.

Each property is one a person relies on: nothing typed that can be seen is lost, nothing that hides or breaks is
kept; a code or reference read back is the one given out; a deadline lands on a working day the stated number of
working days on; a ledger row is either imported whole and clean or refused with its reasons, never a crash.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import fields
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from complaints.deadlines.working_days import DayRule, WorkingCalendar, format_schedule, parse_schedule
from complaints.submission import MAX_NAME_CHARS, MAX_TEXT_CHARS, SubmissionError, clean_name, clean_text
from lookup.free_text import clean_block, clean_line
from lookup.identifiers import MAX_ROW_ID, parse_reference, parse_row_id
from lookup.ledger.row import COLUMNS, LedgerRow, parse_row
from lookup.vocab import KIND_NAMES_ZH, SECTOR_NAMES_ZH
from qr.codes import ALPHABET, CODE_LENGTH, check_symbol, format_code, normalise_code
from tests.support import TODAY, make_uscc

EXAMPLES = settings(max_examples=300, deadline=None, database=None)

# What hides or breaks text: NUL and other C0/C1 controls, bidirectional overrides and isolates, invisible marks
# and spaces, a byte-order mark, lone surrogates.
NOISE = st.sampled_from(
    ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u200b", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\ud800",
     "\udfff", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
)  # fmt: skip
HIDDEN = {"\x00", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}
# What people see: letters, digits, punctuation and symbols (no white space, no combining marks).
SEEN = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=30)
SPACES = st.sampled_from([" ", "  ", "\t", "\u3000", "\n", "\r\n", "\u2028"])


def _with_noise(data: st.DataObject, text: str) -> str:
    return "".join(ch + "".join(data.draw(st.lists(NOISE, max_size=2))) for ch in text)


def _assert_clean(text: str) -> None:
    text.encode("utf-8")  # storable: no lone surrogate
    assert unicodedata.is_normalized("NFC", text)
    assert not HIDDEN & set(text)
    for ch in text:
        category = unicodedata.category(ch)
        assert category not in ("Cc", "Cs") or ch in "\n\t", repr(ch)
        assert category != "Cf" or ch in "\u200c\u200d", repr(ch)


@EXAMPLES
@given(st.text())
def test_the_cleaners_never_fail_and_leave_nothing_that_hides_or_breaks(raw: str) -> None:
    line, block = clean_line(raw), clean_block(raw)
    _assert_clean(line)
    _assert_clean(block)
    assert not {"\n", "\t"} & set(line)
    assert line == line.strip()
    assert "  " not in line
    assert block == block.strip()
    assert "\r" not in block
    assert clean_line(line) == line, "cleaning twice changes nothing"
    assert clean_block(block) == block


@EXAMPLES
@given(st.data(), st.lists(SEEN, min_size=1, max_size=5))
def test_the_cleaners_keep_every_visible_character_in_order(data: st.DataObject, words: list[str]) -> None:
    spaced = "".join(word + data.draw(SPACES) for word in words)
    noisy = _with_noise(data, spaced)
    assert clean_line(noisy) == " ".join(unicodedata.normalize("NFC", word) for word in words)
    one_word = _with_noise(data, words[0])
    assert clean_block(one_word) == unicodedata.normalize("NFC", words[0])


@EXAMPLES
@given(st.text(max_size=MAX_TEXT_CHARS + 50))
def test_a_message_and_a_name_are_taken_clean_or_refused_with_a_reason(raw: str) -> None:
    taken = _outcome(clean_text, raw)
    if isinstance(taken, SubmissionError):
        assert (taken.code, taken.field) in (("empty_text", "text"), ("text_too_long", "text"))
    else:
        assert 0 < len(taken) <= MAX_TEXT_CHARS
        _assert_clean(taken)
    name = _outcome(clean_name, raw)
    if isinstance(name, SubmissionError):
        assert (name.code, name.field) == ("name_too_long", "name")
    else:
        assert len(name) <= MAX_NAME_CHARS
        assert name == clean_line(name)


def _outcome(clean: Callable[[object], str], raw: str) -> str | SubmissionError:
    try:
        return clean(raw)
    except SubmissionError as refused:
        return refused


REFERENCE_DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2199, 12, 31))


@EXAMPLES
@given(REFERENCE_DAYS, st.integers(min_value=1, max_value=999_999), st.sampled_from(["", " ", "\t", "\n"]))
def test_a_reference_given_out_reads_back_however_it_is_typed(day: date, number: int, pad: str) -> None:
    ref = f"JL{day:%Y%m%d}-{number:04d}"
    assert parse_reference(ref) == ref
    assert parse_reference(f"{pad}{ref.lower()}{pad}") == ref


@EXAMPLES
@given(st.text(max_size=100))
def test_anything_else_is_no_reference_and_no_id(raw: str) -> None:
    ref = parse_reference(raw)
    assert ref is None or (ref.isascii() and ref == raw.strip().upper() and len(ref) <= 17)
    row_id = parse_row_id(raw)
    assert row_id is None or (1 <= row_id <= MAX_ROW_ID and str(row_id) == raw.strip().lstrip("0"))


@EXAMPLES
@given(st.integers())
def test_a_row_id_is_a_whole_number_in_the_databases_range(number: int) -> None:
    expected = number if 1 <= number <= MAX_ROW_ID else None
    assert parse_row_id(number) == expected
    assert parse_row_id(str(number)) == expected
    assert parse_row_id(number == 1) is None  # a boolean is not an id


PAYLOADS = st.text(st.sampled_from(ALPHABET), min_size=CODE_LENGTH - 1, max_size=CODE_LENGTH - 1)


@EXAMPLES
@given(PAYLOADS, st.sampled_from(["", "-", " ", "·"]))
def test_a_code_reads_back_however_it_is_printed_or_typed(payload: str, separator: str) -> None:
    code = payload + check_symbol(payload)
    assert normalise_code(code) == code
    printed = format_code(code)
    assert normalise_code(printed) == code
    typed = printed.replace("-", separator).lower().replace("1", "l").replace("0", "o")
    assert normalise_code(typed) == code


@EXAMPLES
@given(PAYLOADS, st.integers(min_value=0, max_value=CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_a_single_mistyped_symbol_is_caught(payload: str, position: int, symbol: str) -> None:
    code = payload + check_symbol(payload)
    assume(code[position] != symbol)
    assert normalise_code(code[:position] + symbol + code[position + 1 :]) is None


@EXAMPLES
@given(st.text(max_size=80))
def test_no_text_is_taken_for_a_code_it_is_not(raw: str) -> None:
    code = normalise_code(raw)
    assert code is None or (len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) and format_code(code))


CALENDAR_DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2190, 12, 31))


def _schedule(year: int) -> st.SearchStrategy[list[DayRule]]:
    days = st.dates(min_value=date(year, 1, 1), max_value=date(year, 12, 31))
    name = st.text(st.characters(categories=("L", "N")), max_size=8)
    rules = st.lists(st.tuples(days, st.booleans(), name), max_size=30, unique_by=lambda rule: rule[0])
    return rules.map(lambda found: [DayRule(day, working, label) for day, working, label in found])


@EXAMPLES
@given(st.data(), CALENDAR_DAYS, st.integers(min_value=0, max_value=400))
def test_a_deadline_is_the_nth_working_day_on(data: st.DataObject, start: date, n: int) -> None:
    year = data.draw(st.integers(min_value=start.year, max_value=start.year + 1))
    rules = data.draw(_schedule(year))
    calendar = WorkingCalendar({year: rules})
    due = calendar.add_working_days(start, n).due
    assert calendar.working_days_between(start, due) == n
    assert calendar.working_days_between(due, start) == -n
    if n == 0:
        assert due == start
    else:
        assert due > start
        assert calendar.is_working_day(due)
        assert calendar.add_working_days(start, n - 1).due < due
    for rule in rules:
        assert calendar.is_working_day(rule.day) is rule.working, "an imported schedule wins"
    assert calendar.is_working_day(start + timedelta(days=1)) in (True, False)


@EXAMPLES
@given(st.integers(min_value=1990, max_value=2190).flatmap(_schedule))
def test_a_schedule_written_out_reads_back_the_same(rules: list[DayRule]) -> None:
    assume(rules)
    year, read = parse_schedule(format_schedule(rules))
    assert year == rules[0].day.year
    assert read == sorted(rules, key=lambda rule: rule.day)


CELL = st.text(max_size=40)


@EXAMPLES
@given(st.dictionaries(st.sampled_from(sorted(COLUMNS)), CELL))
def test_any_ledger_row_is_imported_clean_or_refused_with_reasons(cells: dict[str, str]) -> None:
    parsed = parse_row(cells, today=TODAY)
    if isinstance(parsed, LedgerRow):
        for column in fields(parsed):
            value = getattr(parsed, column.name)
            if isinstance(value, str):
                assert value == clean_line(value), column.name
    else:
        assert parsed
        assert all(isinstance(reason, str) and reason for reason in parsed)


NAME = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=20)


@EXAMPLES
@given(st.data(), NAME, NAME, NAME, st.integers(min_value=1, max_value=9_999_999))
def test_a_sound_row_is_imported_whatever_noise_surrounds_its_cells(
    data: st.DataObject, station: str, merchant: str, serial: str, number: int
) -> None:
    cells = {
        "station": station,
        "merchant": merchant,
        "uscc": make_uscc(number).lower(),
        "kind": data.draw(st.sampled_from(sorted(KIND_NAMES_ZH.values()))),
        "sector": data.draw(st.sampled_from(sorted(SECTOR_NAMES_ZH.values()))),
        "serial_no": serial,
        "verified_on": "2026-05-10",
        "valid_until": "2027年5月9日",
        "result": "合格",
    }
    clean = parse_row(cells, today=TODAY)
    assert isinstance(clean, LedgerRow), clean
    noisy = {name: f" {_with_noise(data, value)}\t" for name, value in cells.items()}
    assert parse_row(noisy, today=TODAY) == clean
    assert (clean.station, clean.merchant, clean.serial_no) == tuple(
        unicodedata.normalize("NFC", value) for value in (station, merchant, serial)
    )
