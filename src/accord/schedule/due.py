"""What is scheduled: the next time anything is due, the items due now (in scheduled order), and
the pending list ``accord schedule list`` prints. Every query uses the ``scheduled_at`` indexes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from accord.content.model import CONTENT_TYPES, ROOT_ORDER, ContentType


@dataclass(frozen=True, slots=True)
class Scheduled:
    at: datetime
    content: ContentType
    id: int
    slug: str = ""
    title: str = ""
    status: str = ""

    @property
    def order(self) -> tuple[datetime, int, int]:
        """Scheduled order; items due at the same moment go in the roots' order, then by id."""
        return self.at, ROOT_ORDER.index(self.content), self.id


async def next_due(conn: AsyncConnection) -> datetime | None:
    """The earliest scheduled time, past or future (None: nothing is scheduled)."""
    # One row: the earliest scheduled time of each content type (NULL where none).
    earliest = (
        select(func.min(c.table.c.scheduled_at)).scalar_subquery().label(c.singular) for c in CONTENT_TYPES
    )
    row = (await conn.execute(select(*earliest))).one()
    found = [value for value in row if value is not None]
    return min(found) if found else None


async def due_now(conn: AsyncConnection, now: datetime, limit: int = 100) -> list[Scheduled]:
    """Items whose time has come, in scheduled order (at most ``limit`` of each type)."""
    found: list[Scheduled] = []
    for content in CONTENT_TYPES:
        table = content.table
        rows = await conn.execute(
            select(table.c.id, table.c.scheduled_at)
            .where(table.c.scheduled_at <= now)
            .order_by(table.c.scheduled_at, table.c.id)
            .limit(limit)
        )
        found += [Scheduled(row.scheduled_at, content, row.id) for row in rows]
    return sorted(found, key=lambda item: item.order)


def pending(conn: Connection) -> list[Scheduled]:
    """Everything scheduled, in scheduled order, with what names it."""
    found: list[Scheduled] = []
    for content in CONTENT_TYPES:
        table = content.table
        title = table.c[content.title.en]
        rows = conn.execute(
            select(table.c.id, table.c.scheduled_at, table.c.slug, title.label("title"), table.c.status)
            .where(table.c.scheduled_at.is_not(None))
            .order_by(table.c.scheduled_at, table.c.id)
        )
        found += [
            Scheduled(row.scheduled_at, content, row.id, row.slug, row.title, row.status) for row in rows
        ]
    return sorted(found, key=lambda item: item.order)
