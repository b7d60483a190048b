"""Batch loads of every relation: one query for all the parents of a request (DataLoader targets,
the preview page, feeds, push payloads and the live hub). Relations are declared in
accord.content.model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, select

from accord.content.fields import Images, Relation
from accord.content.model import BY_NAME, ContentType
from accord.core.row_types import ResultRow
from accord.core.tables import event_tag, images
from accord.read.db import Reader, fetch_all


@lru_cache(maxsize=256)
def linked_query(relation: Relation, columns: tuple[str, ...] | None) -> Select[Any]:
    """The statement for one relation and column set, built once: building a Select is a good part
    of a small query's cost, and only the bound owner ids and statuses change between calls."""
    owner = relation.link.c[relation.own_column]
    target = BY_NAME[relation.target].table
    selected = [target] if columns is None else [target.c[name] for name in columns]
    return (
        select(owner.label("owner_id"), *selected)
        .join(target, target.c.id == relation.link.c[relation.target_column])
        .where(
            owner.in_(bindparam("owners", expanding=True)),
            target.c.status.in_(bindparam("statuses", expanding=True)),
        )
        .order_by(owner, relation.order, target.c.id)
    )


async def load_linked(
    db: Reader, relation: Relation, owners: Sequence[int], statuses: tuple[str, ...]
) -> list[list[ResultRow]]:
    """For each owner id, its visible linked rows, in order."""
    query = linked_query(relation, None)
    grouped: dict[int, list[ResultRow]] = defaultdict(list)
    result = await db.execute(query, {"owners": list(owners), "statuses": list(statuses)})
    for row in result.all():
        grouped[row.owner_id].append(row)
    return [grouped.get(owner_id, []) for owner_id in owners]


async def load_by_id(
    db: Reader, content: ContentType, ids: Sequence[int], statuses: tuple[str, ...]
) -> list[ResultRow | None]:
    """For each id, its visible row (or None)."""
    table = content.table
    rows = await fetch_all(db, select(table).where(table.c.id.in_(ids), table.c.status.in_(statuses)))
    by_id = {row.id: row for row in rows}
    return [by_id.get(id_) for id_ in ids]


async def load_tags(db: Reader, ids: Sequence[int]) -> list[list[str]]:
    query = (
        select(event_tag.c.event_id, event_tag.c.tag)
        .where(event_tag.c.event_id.in_(ids))
        .order_by(event_tag.c.event_id, event_tag.c.position, event_tag.c.tag)
    )
    grouped: dict[int, list[str]] = defaultdict(list)
    for event_id, tag in await fetch_all(db, query):
        grouped[event_id].append(tag)
    return [grouped.get(id_, []) for id_ in ids]


@lru_cache(maxsize=16)
def _images_query(spec: Images) -> Select[Any]:
    owner = spec.link.c[spec.own_column]
    return (
        select(owner.label("owner_id"), *images.c)
        .join(images, images.c.id == spec.link.c.image_id)
        .where(owner.in_(bindparam("owners", expanding=True)))
        .order_by(owner, spec.link.c.position, spec.link.c.image_id)
    )


async def load_images(db: Reader, spec: Images, owners: Sequence[int]) -> list[list[ResultRow]]:
    """For each owner id, the image rows it shows (descriptions, not bytes), in the editor's order.
    An item that is visible shows all its images: they have no status of their own."""
    grouped: dict[int, list[ResultRow]] = defaultdict(list)
    for row in (await db.execute(_images_query(spec), {"owners": list(owners)})).all():
        grouped[row.owner_id].append(row)
    return [grouped.get(owner_id, []) for owner_id in owners]
