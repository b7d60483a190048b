"""``search(query, first)``: ranked matches across every content type."""

from __future__ import annotations

from sqlalchemy import select

from accord.content.model import BY_SINGULAR, ContentType
from accord.core.errors import BadInput
from accord.core.row_types import ResultRow
from accord.core.visibility import Visibility
from accord.read.db import Reader, fetch_all
from accord.read.pagination import MAX_PAGE_SIZE
from accord.search.query import matching


async def search(
    db: Reader, *, query: str, first: int, visibility: Visibility
) -> list[tuple[ContentType, ResultRow]]:
    """(content type, row) pairs, best match first."""
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadInput(f"first must be between 0 and {MAX_PAGE_SIZE} (asked for {first})", field="first")
    ranked = await fetch_all(db, matching(db.dialect, query, visibility.statuses).limit(first))
    wanted: dict[str, list[int]] = {}
    for kind, ref_id, _rank in ranked:
        wanted.setdefault(kind, []).append(ref_id)
    rows: dict[tuple[str, int], ResultRow] = {}
    for kind, ids in wanted.items():
        table = BY_SINGULAR[kind].table
        for row in await fetch_all(
            db, select(table).where(table.c.id.in_(ids), table.c.status.in_(visibility.statuses))
        ):
            rows[kind, row.id] = row
    return [
        (BY_SINGULAR[kind], rows[kind, ref_id]) for kind, ref_id, _rank in ranked if (kind, ref_id) in rows
    ]
