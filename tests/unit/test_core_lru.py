"""accord.core.lru: the cache bounded by bytes as well as entries."""

from __future__ import annotations

from accord.core.lru import ByteLRU


def test_get_and_put() -> None:
    cache: ByteLRU[str] = ByteLRU(max_bytes=100, max_entries=10)
    assert cache.get("a") is None
    cache.put("a", "A", 5)
    assert cache.get("a") == "A" and "a" in cache and len(cache) == 1 and cache.bytes == 5


def test_entries_beyond_the_count_evict_the_least_recently_used() -> None:
    cache: ByteLRU[int] = ByteLRU(max_bytes=1_000, max_entries=3)
    for key in "abc":
        cache.put(key, ord(key), 1)
    assert cache.get("a") == ord("a")  # now the most recently used
    cache.put("d", 4, 1)
    assert "b" not in cache and all(key in cache for key in "acd")
    assert len(cache) == 3 and cache.bytes == 3


def test_bytes_beyond_the_budget_evict_as_many_as_needed() -> None:
    cache: ByteLRU[str] = ByteLRU(max_bytes=100, max_entries=100, max_entry_bytes=100)
    for key in "abcd":
        cache.put(key, key, 25)
    assert cache.bytes == 100 and len(cache) == 4
    cache.put("e", "e", 60)  # evicts a, b and c (75 bytes) to fit 60 beside d
    assert [key for key in "abcde" if key in cache] == ["d", "e"]
    assert cache.bytes == 85


def test_an_entry_heavier_than_the_entry_limit_is_not_kept() -> None:
    cache: ByteLRU[str] = ByteLRU(max_bytes=800, max_entries=10)
    assert cache.max_entry_bytes == 100  # an eighth of the budget by default
    cache.put("small", "s", 100)
    cache.put("big", "b", 101)
    assert "big" not in cache and "small" in cache and cache.bytes == 100


def test_replacing_an_entry_counts_its_new_weight_only() -> None:
    cache: ByteLRU[str] = ByteLRU(max_bytes=100, max_entries=10, max_entry_bytes=100)
    cache.put("a", "first", 40)
    cache.put("a", "second", 10)
    assert cache.get("a") == "second" and cache.bytes == 10 and len(cache) == 1
    cache.put("a", "too big", 101)  # the old value is dropped too: it is no longer the value of "a"
    assert "a" not in cache and cache.bytes == 0


def test_clear() -> None:
    cache: ByteLRU[str] = ByteLRU(max_bytes=100, max_entries=10)
    cache.put("a", "A", 5)
    cache.clear()
    assert len(cache) == 0 and cache.bytes == 0 and cache.get("a") is None


def test_the_bounds_hold_whatever_is_put() -> None:
    cache: ByteLRU[int] = ByteLRU(max_bytes=1_000, max_entries=50)
    for n in range(5_000):
        cache.put(n % 300, n, (n * 37) % 200)
        assert len(cache) <= 50 and cache.bytes <= 1_000
        assert cache.bytes == sum(size for _, size in cache._entries.values())
