"""accord.core.numbers: whole numbers clients send as text, in exactly one spelling each."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.numbers import MAX_INT, parse_natural


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("7", 7), ("0042", 42), (str(MAX_INT), MAX_INT)])
def test_ascii_digits_in_range(text: str, value: int) -> None:
    assert parse_natural(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 1",
        "1 ",
        "+1",
        "-1",
        "1_0",
        "1.0",
        "1e3",
        "0x10",
        "１",  # full-width digit: str.isdigit() and int() accept it
        "٣",  # Arabic-Indic digit
        "1\n",
        str(MAX_INT + 1),
        "9" * 19,
        "9" * 20,  # longer than any number it reads: refused before int() sees it
        "1" * 10_000,
    ],
)
def test_every_other_spelling_is_refused(text: str) -> None:
    assert parse_natural(text) is None


def test_the_maximum_is_the_callers() -> None:
    assert parse_natural("10", maximum=10) == 10
    assert parse_natural("11", maximum=10) is None
    assert parse_natural(str(2**63 - 1), maximum=2**63 - 1) == 2**63 - 1


@given(st.integers(0, MAX_INT))
def test_round_trip(value: int) -> None:
    assert parse_natural(str(value)) == value


@given(st.text(max_size=25))
def test_anything_read_is_its_own_canonical_spelling_or_zero_padded(text: str) -> None:
    value = parse_natural(text)
    if value is not None:
        assert text.isascii() and text.isdigit()
        assert text.lstrip("0") == str(value).lstrip("0")
