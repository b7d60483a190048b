"""accord.core.preview: preview values open one item until they expire, under one secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.core.ids import to_global_id
from accord.core.preview import MAX_LENGTH, PreviewRefused, link_for, sign, verify

SECRET = "a" * 43
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)


def _refused(value: str, secret: str = SECRET, now: datetime = NOW) -> str:
    with pytest.raises(PreviewRefused) as refused:
        verify(secret, value, now=now)
    return refused.value.reason


def test_a_value_grants_its_item_until_it_expires() -> None:
    value = sign(SECRET, "Event", 13, LATER)
    grant = verify(SECRET, value, now=NOW)
    assert grant.global_id == to_global_id("Event", 13) and grant.expires == LATER
    assert value.startswith(f"{to_global_id('Event', 13)}.{int(LATER.timestamp())}.")
    assert _refused(value, now=LATER) == "expired"


def test_another_secret_refuses_it() -> None:
    assert _refused(sign(SECRET, "Event", 13, LATER), secret="b" * 43) == "signature"


def test_every_part_is_bound_by_the_signature() -> None:
    value = sign(SECRET, "Event", 13, LATER)
    item, expiry, mac = value.split(".")
    assert _refused(f"{to_global_id('Event', 14)}.{expiry}.{mac}") == "signature"
    assert _refused(f"{item}.{int(expiry) + 3600}.{mac}") == "signature"
    assert _refused(f"{item}.{expiry}.{mac[:-1]}{'B' if mac[-1] == 'A' else 'A'}") == "signature"
    # A value signed for something else (another purpose, the same secret) never verifies.
    assert _refused(f"{item}.{expiry}.{mac.swapcase()}") == "signature"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "x",
        "a.b.c",
        "RXZlbnQ6MTM.123",
        "RXZlbnQ6MTM.12x.AAAA",
        "RXZlbnQ6MTM..A",
        "RXZlbnQ6MTM.1.\u0000",
        "é.1.x",
    ],
)
def test_malformed_values(value: str) -> None:
    assert _refused(value) == "malformed"


def test_an_overlong_value_is_refused_before_any_work() -> None:
    value = sign(SECRET, "Event", 13, LATER)
    assert _refused(value + "A" * MAX_LENGTH) == "malformed"


def test_a_link_is_the_page_with_its_value() -> None:
    link = link_for(SECRET, "https://accord.example.org/events/x", "Event", 13, timedelta(hours=2), NOW)
    assert link.expires == LATER
    assert link.url == f"https://accord.example.org/events/x?preview={sign(SECRET, 'Event', 13, LATER)}"
