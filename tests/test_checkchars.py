"""Check characters: every single mistyped character and every swap of neighbours is caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contingency.lib.checkchars import ALPHABET, CheckError, make_id, mod37_2, mod37_2_valid, nhs_number, parse_id

BODY_CHARS = ALPHABET[:36]


def test_the_iso_7064_reference_value() -> None:
    assert mod37_2("G123498654321") == "H"  # the worked example of ISO/IEC 7064 MOD 37-2
    assert mod37_2_valid("G123498654321H")


def mutations(code: str) -> list[str]:
    """Every single-character substitution and every adjacent transposition of `code`."""
    found = [code[:i] + c + code[i + 1 :] for i in range(len(code)) for c in ALPHABET if c != code[i]]
    found += [code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(len(code) - 1) if code[i] != code[i + 1]]
    return found


@given(st.text(BODY_CHARS, min_size=1, max_size=14))
def test_every_substitution_and_adjacent_transposition_is_caught(body: str) -> None:
    code = body + mod37_2(body)
    assert mod37_2_valid(code)
    assert not [bad for bad in mutations(code) if mod37_2_valid(bad)]


def test_every_mistake_in_every_id_of_a_printed_range_is_caught() -> None:
    # Exhaustive over a real range: the 1,000 IDs of one pad of forms.
    for number in range(1000):
        code = make_id("CT", number, 6).code
        assert mod37_2_valid(code)
        assert not [bad for bad in mutations(code) if mod37_2_valid(bad)], code


def test_ids_are_read_as_typed_and_printed_with_separators() -> None:
    made = make_id("CT", 123, 6)
    assert made.code == "CT000123" + made.check
    assert made.printed == f"CT-000123-{made.check}"
    for typed in (made.printed, made.code.lower(), f" ct 000123 {made.check.lower()} "):
        assert parse_id(typed) == made


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "no downtime ID given"),
        ("12345", "is not a downtime ID: expected letters, digits and a check character"),
        ("CT-0001.23-X", "is not a downtime ID"),
        ("CT-000124-{check}", "its check character does not match (a character mistyped, or two swapped?)"),
        ("CT-000213-{check}", "its check character does not match"),
    ],
)
def test_a_mistyped_id_is_refused_with_a_clear_message(typed: str, message: str) -> None:
    check = make_id("CT", 123, 6).check
    with pytest.raises(CheckError) as refused:
        parse_id(typed.format(check=check))
    assert message in str(refused.value)


def test_make_refuses_what_cannot_be_printed() -> None:
    with pytest.raises(CheckError, match="capital letters"):
        make_id("ct", 1, 4)
    with pytest.raises(CheckError, match="does not fit"):
        make_id("CT", 10000, 4)


def nhs_check(nine: str) -> int | None:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


@given(st.text("0123456789", min_size=9, max_size=9))
def test_nhs_numbers_catch_every_single_digit_error_and_adjacent_swap(nine: str) -> None:
    check = nhs_check(nine)
    if check is None:
        with pytest.raises(CheckError):
            nhs_number(nine + "0")
        return
    number = nine + str(check)
    assert nhs_number(number) == number
    bad = [number[:i] + d + number[i + 1 :] for i in range(10) for d in "0123456789" if d != number[i]]
    bad += [number[:i] + number[i + 1] + number[i] + number[i + 2 :] for i in range(9) if number[i] != number[i + 1]]
    for wrong in bad:
        with pytest.raises(CheckError):
            nhs_number(wrong)


def test_nhs_number_as_typed() -> None:
    assert nhs_number("943 476 5919") == "9434765919"
    assert nhs_number("943-476-5919") == "9434765919"
    with pytest.raises(CheckError, match="check digit does not match"):
        nhs_number("943 476 5918")
    with pytest.raises(CheckError, match="expected 10 digits"):
        nhs_number("94347659")
