"""accord.core.moments: the moment a replay starts from (a subscription's ``since``, ``?since=``),
the moment to publish at, and how long a preview link lives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accord.core.errors import BadInput
from accord.core.moments import MAX_CLOCK_SKEW, parse_lifetime, publish_moment, replay_start, years_after


def test_no_moment_no_replay() -> None:
    assert replay_start(None) is None


def test_a_moment_is_read_in_utc() -> None:
    taipei = timezone(timedelta(hours=8))
    moment = replay_start(datetime(2024, 5, 1, 17, 0, tzinfo=taipei))
    assert moment == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert moment is not None and moment.tzinfo is UTC


def test_a_moment_without_an_offset_is_utc() -> None:
    assert replay_start(datetime(2024, 5, 1, 9, 0)) == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def test_a_moment_in_the_future_is_refused_beyond_the_clock_skew() -> None:
    now = datetime.now(UTC)
    assert replay_start(now + MAX_CLOCK_SKEW / 2) is not None  # another clock a little ahead
    with pytest.raises(BadInput, match="in the future") as refused:
        replay_start(now + timedelta(days=2), field="variables.since")
    assert refused.value.field == "variables.since"
    assert str(refused.value).startswith("variables.since: ")


def test_moments_python_cannot_hold_in_utc_are_refused() -> None:
    early = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14)))
    with pytest.raises(BadInput, match="out of range"):
        replay_start(early)
    assert replay_start(datetime(1, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=14)))) == datetime(
        1, 1, 1, tzinfo=UTC
    )


# -- the time to publish at (publishEvent(at:)) ------------------------------------------------

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
TAIPEI = timezone(timedelta(hours=8))


def test_a_scheduled_moment_is_stored_in_utc() -> None:
    moment = publish_moment(datetime(2027, 3, 1, 10, 0, tzinfo=TAIPEI), now=NOW)
    assert moment == datetime(2027, 3, 1, 2, 0, tzinfo=UTC) and moment is not None
    assert moment.tzinfo is UTC


def test_no_time_or_a_past_time_publishes_now() -> None:
    assert publish_moment(None, now=NOW) is None
    assert publish_moment(NOW, now=NOW) is None
    assert publish_moment(datetime(2020, 1, 1, tzinfo=TAIPEI), now=NOW) is None


def test_a_time_without_an_offset_is_refused_not_guessed() -> None:
    with pytest.raises(
        BadInput, match=r"^at: give the time with its offset, e\.g\. 2027-03-01T10:00:00\+08:00"
    ) as refused:
        publish_moment(datetime(2027, 3, 1, 10, 0), now=NOW)
    assert refused.value.field == "at"


def test_at_most_ten_calendar_years_ahead() -> None:
    limit = datetime(2036, 11, 30, 1, 0, tzinfo=UTC)
    assert publish_moment(limit, now=NOW) == limit
    with pytest.raises(BadInput, match="at most 10 years ahead"):
        publish_moment(limit + timedelta(microseconds=1), now=NOW)
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert years_after(leap, 10) == datetime(2038, 2, 28, 12, 0, tzinfo=UTC)


def test_a_moment_past_the_last_python_can_hold_is_refused() -> None:
    with pytest.raises(BadInput, match="out of range"):
        publish_moment(datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))), now=NOW)


# -- how long a preview link lives --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [
        ("1m", timedelta(minutes=1)),
        ("90m", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
        ("30d", timedelta(days=30)),
    ],
)
def test_lifetimes(text: str, lifetime: timedelta) -> None:
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize(
    "text", ["", "0m", "31d", "721h", "24", "h", "1w", "1.5h", " 1h", "1H", "１h", "99999d"]
)
def test_lifetimes_refused(text: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_lifetime(text, field="--expires")
    assert str(refused.value).startswith("--expires: ") and refused.value.field == "--expires"
