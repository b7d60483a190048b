"""accord.core.text: the characters text may hold (XML 1.0's), refused on writes and on read
arguments, dropped by the XML renderers."""

from __future__ import annotations

import dataclasses
import xml.parsers.expat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.errors import BadInput
from accord.core.text import (
    check_argument,
    describe_forbidden,
    first_forbidden,
    xml_safe,
    xml_safe_copy,
)

ALLOWED_CONTROLS = "\t\n\r"
FORBIDDEN_SAMPLES = [
    "\x00",
    "\x01",
    "\x08",
    "\x0b",
    "\x0c",
    "\x0e",
    "\x1f",
    "\ud800",
    "\udfff",
    "\ufffe",
    "\uffff",
]


def _xml_accepts(character: str) -> bool:
    """Whether an XML 1.0 parser accepts the character as text (as a character reference)."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(f"<a>&#{ord(character)};</a>", True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


@pytest.mark.parametrize("character", FORBIDDEN_SAMPLES)
def test_forbidden_characters_are_found(character: str) -> None:
    text = f"title{character}end"
    assert first_forbidden(text) == 5
    assert xml_safe(text) == "titleend"


@pytest.mark.parametrize("character", [*ALLOWED_CONTROLS, " ", "é", "海", "\u2028", "\ufffd", "\U0001f600"])
def test_allowed_characters_pass(character: str) -> None:
    text = f"a{character}b"
    assert first_forbidden(text) is None
    assert xml_safe(text) is text  # the same object: nothing was copied


@given(st.characters(max_codepoint=0xFFFF))
def test_the_rule_is_xml_1_0s(character: str) -> None:
    """Within the Basic Multilingual Plane, forbidden is exactly what an XML parser refuses."""
    if 0xD800 <= ord(character) <= 0xDFFF:
        assert first_forbidden(character) == 0  # expat cannot even be asked: not a character
        return
    assert (first_forbidden(character) is None) == _xml_accepts(character)


@pytest.mark.parametrize(
    ("character", "kind"),
    [
        ("\x0b", "a control character (only tab, line feed and carriage return are allowed)"),
        ("\x00", "a control character (only tab, line feed and carriage return are allowed)"),
        ("\ud800", "a surrogate code point"),
        ("\ufffe", "a noncharacter"),
        ("\uffff", "a noncharacter"),
    ],
)
def test_descriptions(character: str, kind: str) -> None:
    text = f"Customs{character}"
    assert describe_forbidden(text, 7) == f"contains U+{ord(character):04X} at position 7, {kind}"


def test_read_arguments_are_refused_naming_the_argument() -> None:
    assert check_argument("wto", "slug") == "wto"
    with pytest.raises(BadInput) as refused:
        check_argument("wt\x00o", "filter.text")
    assert refused.value.field == "filter.text"
    assert str(refused.value).startswith("filter.text: contains U+0000 at position 2")


@dataclasses.dataclass(frozen=True)
class _Item:
    title: str
    places: list[str]
    meta: dict[str, tuple[str, int]]


def test_xml_safe_copy_reaches_every_string() -> None:
    item = _Item("a\x0bb", ["c\x01", "d"], {"k\x02": ("e\ufffe", 3)})
    assert xml_safe_copy(item) == _Item("ab", ["c", "d"], {"k": ("e", 3)})
    assert xml_safe_copy([item, "x\x1f", 4, None]) == [_Item("ab", ["c", "d"], {"k": ("e", 3)}), "x", 4, None]
    clean = "nothing to drop"
    assert xml_safe_copy(clean) is clean


def test_a_long_text_is_cleaned_in_one_pass() -> None:
    text = "\x0b" * 100_000 + "x"
    assert first_forbidden(text) == 0
    assert xml_safe(text) == "x"
