"""Revision history, for token holders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.scalars import JSON

from accord.core.auth import require
from accord.core.ids import from_global_id, to_global_id
from accord.core.row_types import RevisionRow
from accord.core.tables import revisions as revisions_table
from accord.models.columns import copy_into
from accord.read.db import fetch_all
from accord.schema.types import Info


@strawberry.type(description="One write to one piece of content: who, when, and the record before and after.")
class Revision:
    id: strawberry.ID
    action: str = strawberry.field(
        description=(
            "create, update, publish, archive, delete, restore, schedule (a publish set for later) "
            "or unschedule (cancelScheduledPublish)."
        )
    )
    token_name: str = strawberry.field(
        description="The token that wrote it; (scheduler) for a publish made at its scheduled time."
    )
    at: datetime
    content_id: strawberry.ID
    before: JSON | None
    after: JSON | None


async def revisions_of(info: Info, id: strawberry.ID) -> list[Revision]:
    require(info.context.viewer, "read_drafts")
    type_name, number = from_global_id(id)
    rows: Sequence[RevisionRow] = await fetch_all(
        info.context.db,
        select(revisions_table)
        .where(revisions_table.c.content_type == type_name, revisions_table.c.content_id == number)
        .order_by(revisions_table.c.id.desc()),
    )
    content_id = strawberry.ID(to_global_id(type_name, number))
    return [copy_into(Revision, row, id=strawberry.ID(str(row.id)), content_id=content_id) for row in rows]
