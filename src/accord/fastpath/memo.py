"""Small per-document memos: what a prepared document computes once per variable set."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

# One document may be sent with many variable sets (a cursor per page): keep few, start over when full.
MEMO_ENTRIES = 64


def remembered(memo: dict[Hashable, T] | None, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, kept in ``memo`` under ``key`` (``memo`` None: not kept)."""
    if memo is not None and key in memo:
        return memo[key]
    found = compute()
    if memo is not None:
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()
        memo[key] = found
    return found
