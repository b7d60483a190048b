"""``search(query, first)``: ranked matches across every content type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accord.resolvers.db import TABLE_OF_TYPE, Reader, dialect_of, fetch_all
from accord.resolvers.errors import BadInput
from accord.resolvers.pagination import MAX_PAGE_SIZE
from accord.resolvers.visibility import Visibility
from accord.search.query import matching

TYPE_OF_KIND = {"event": "Event", "partner": "Partner", "agreement": "Agreement", "exhibit": "Exhibit"}


async def search(db: Reader, *, query: str, first: int, visibility: Visibility) -> list[tuple[str, Any]]:
    """(type name, row) pairs, best match first."""
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadInput(f"first must be between 0 and {MAX_PAGE_SIZE} (asked for {first})", field="first")
    ranked = await fetch_all(db, matching(dialect_of(db), query, visibility.statuses).limit(first))
    wanted: dict[str, list[int]] = {}
    for kind, ref_id, _rank in ranked:
        wanted.setdefault(kind, []).append(ref_id)
    rows: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        table = TABLE_OF_TYPE[TYPE_OF_KIND[kind]]
        for row in await fetch_all(
            db, select(table).where(table.c.id.in_(ids), table.c.status.in_(visibility.statuses))
        ):
            rows[kind, row.id] = row
    return [
        (TYPE_OF_KIND[kind], rows[kind, ref_id]) for kind, ref_id, _rank in ranked if (kind, ref_id) in rows
    ]
