"""Whole numbers a client sends as text (ids, revision ids, Last-Event-ID, Content-Length).

``str.isdigit()`` and ``int()`` accept "１" (a full-width digit) and ``int()`` also " 1", "+1" and
"1_0", so one number would have many spellings; and a number past 2^63 - 1 makes SQLite raise
OverflowError. Every such number is read here: ASCII digits only, range-checked before SQL sees it.
"""

from __future__ import annotations

import re

DECIMAL = re.compile(r"[0-9]{1,19}")
# The largest value of the INTEGER columns ids, change-log ids and sort keys live in (PostgreSQL's
# int4: a larger bound parameter fails the whole statement).
MAX_INT = 2**31 - 1


def parse_natural(text: str, *, maximum: int = MAX_INT) -> int | None:
    """The number ``text`` spells in ASCII digits, if it is between 0 and ``maximum``; else None."""
    if not DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None
