"""accord.core.moments: the moment a replay starts from (a subscription's ``since``, ``?since=``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accord.core.errors import BadInput
from accord.core.moments import MAX_CLOCK_SKEW, replay_start


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
