"""accord.core.ids: global ids. Each object has exactly one; other spellings that decode to the same
object name nothing, and strings that are not accord ids are the client's error."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.errors import BadInput
from accord.core.ids import NO_ROW, TYPE_NAMES, expect_type, from_global_id, to_global_id
from accord.core.numbers import MAX_INT


def _encode(text: str, *, padded: bool = False) -> str:
    encoded = base64.urlsafe_b64encode(text.encode()).decode()
    return encoded if padded else encoded.rstrip("=")


def test_the_documented_ids() -> None:
    # docs/editing.md uses these: the partner 10, an event 1, the event 9999.
    assert to_global_id("Partner", 10) == "UGFydG5lcjoxMA"
    assert to_global_id("Event", 1) == "RXZlbnQ6MQ"
    assert to_global_id("Event", 9999) == "RXZlbnQ6OTk5OQ"


@given(st.sampled_from(TYPE_NAMES), st.integers(1, MAX_INT))
def test_round_trip(type_name: str, id_: int) -> None:
    global_id = to_global_id(type_name, id_)
    assert "=" not in global_id and "+" not in global_id and "/" not in global_id
    assert from_global_id(global_id) == (type_name, id_)
    assert expect_type(global_id, type_name) == id_


@pytest.mark.parametrize(
    "spelling",
    [
        _encode("Event:1", padded=True),  # padding is not part of the canonical id
        _encode("Event: 1"),
        _encode("Event:01"),
        _encode("Event:+1"),
        _encode("Event:1_0"),
        _encode("Event:１"),  # a full-width digit
        _encode("Event:1 "),
        _encode(f"Event:{MAX_INT + 1}"),  # past the INTEGER column
        _encode("Event:99999999999999999999999"),
        "RXZlbnQ6MQ===",  # padding again
    ],
)
def test_other_spellings_name_nothing(spelling: str) -> None:
    assert from_global_id(spelling) == ("Event", NO_ROW)


def test_other_padding_bits_name_nothing() -> None:
    canonical = to_global_id("Event", 1)  # RXZlbnQ6MQ: the last character carries 4 unused bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twins = [
        canonical[:-1] + letter
        for letter in alphabet
        if letter != canonical[-1] and base64.urlsafe_b64decode(canonical[:-1] + letter + "==") == b"Event:1"
    ]
    assert twins, "the test needs a second spelling of the same bytes"
    for twin in twins:
        assert from_global_id(twin) == ("Event", NO_ROW)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64!",
        _encode("Event"),  # no number
        _encode("Event:"),
        _encode("Unknown:1"),
        _encode("event:1"),  # type names are case-sensitive
        _encode(":1"),
        base64.urlsafe_b64encode(b"\xff\xfe:1").decode(),  # not UTF-8
    ],
)
def test_strings_that_are_not_accord_ids_are_refused(text: str) -> None:
    with pytest.raises(BadInput, match="is not an accord id") as refused:
        from_global_id(text, field="input.partnerIds[0]")
    assert refused.value.field == "input.partnerIds[0]"
    assert str(refused.value).startswith("input.partnerIds[0]: ")


def test_a_non_number_after_the_type_names_nothing() -> None:
    assert from_global_id(_encode("Event:abc")) == ("Event", NO_ROW)
    assert from_global_id(_encode("Event:-1")) == ("Event", NO_ROW)


def test_expect_type_names_both_types() -> None:
    with pytest.raises(BadInput) as refused:
        expect_type(to_global_id("Event", 1), "Partner", field="input.partnerIds[0]")
    # docs/editing.md: "input.partnerIds[0]: expected the id of a Partner, got one of an Event"
    assert str(refused.value) == "input.partnerIds[0]: expected the id of a Partner, got one of an Event"
    with pytest.raises(BadInput, match="expected the id of an Agreement, got one of an Exhibit"):
        expect_type(to_global_id("Exhibit", 3), "Agreement")
