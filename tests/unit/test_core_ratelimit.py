"""accord.core.ratelimit: token buckets, counted with an explicit clock."""

from __future__ import annotations

import pytest

from accord.core.ratelimit import MAX_BUCKETS, TokenBuckets, retry_after, token_key


def test_a_burst_then_the_rate() -> None:
    buckets = TokenBuckets(rate=2.0, burst=3)
    assert [buckets.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", now=0.0) == pytest.approx(0.5)  # one token comes back in half a second
    assert buckets.take("a", now=0.5) == 0.0
    assert buckets.take("a", now=0.5) == pytest.approx(0.5)


def test_buckets_refill_up_to_the_burst_only() -> None:
    buckets = TokenBuckets(rate=1.0, burst=2)
    buckets.take("a", now=0.0)
    buckets.take("a", now=0.0)
    assert [buckets.take("a", now=1_000.0) for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("a", now=1_000.0) > 0


def test_keys_have_their_own_buckets() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1)
    assert buckets.take("a", now=0.0) == 0.0
    assert buckets.take("a", now=0.0) > 0
    assert buckets.take("b", now=0.0) == 0.0


def test_idle_buckets_are_dropped_beyond_the_bound() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1)
    for n in range(MAX_BUCKETS + 1):
        buckets.take(f"k{n}", now=0.0)
    assert len(buckets._buckets) == MAX_BUCKETS and "k0" not in buckets._buckets  # the least recent
    assert buckets.take("k0", now=0.0) == 0.0  # a fresh bucket: a dropped one was full again anyway


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert [retry_after(wait) for wait in (0.01, 1.0, 1.2, 59.9)] == ["1", "1", "2", "60"]


def test_token_keys_do_not_hold_the_name() -> None:
    key = token_key("editor@example.org")
    assert key.startswith("token:") and "editor" not in key and len(key) == len("token:") + 32
    assert key == token_key("editor@example.org") != token_key("other")
