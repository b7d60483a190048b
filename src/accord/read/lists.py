"""Lookups and paginated lists of any content type, as plain functions over a request's Reader."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from accord.content.fields import Listing
from accord.content.model import BY_NAME, EVENT, ContentType
from accord.core.errors import BadInput
from accord.core.ids import from_global_id
from accord.core.row_types import ResultRow
from accord.core.text import check_argument
from accord.core.visibility import Visibility
from accord.read.db import Reader, count, fetch_all, fetch_one
from accord.read.filters import Filter, check_year_range, conditions
from accord.read.pagination import Page, PageRequest, paginate

# Columns a list selects instead of its whole rows (the compiled path's JSON).
Columns = Sequence[ColumnElement[Any]] | None


def _selected(content: ContentType, columns: Columns) -> Select[Any]:
    table = content.table
    return select(table) if columns is None else select(*columns).select_from(table)


async def get_by_id(
    db: Reader, content: ContentType, id_: int, visibility: Visibility, columns: Columns = None
) -> ResultRow | None:
    table = content.table
    return await fetch_one(
        db, _selected(content, columns).where(table.c.id == id_, table.c.status.in_(visibility.statuses))
    )


async def get_by_slug(
    db: Reader, content: ContentType, slug: str, visibility: Visibility, columns: Columns = None
) -> ResultRow | None:
    table = content.table
    return await fetch_one(
        db,
        _selected(content, columns).where(table.c.slug == slug, table.c.status.in_(visibility.statuses)),
    )


async def get_node(
    db: Reader, global_id: str, visibility: Visibility
) -> tuple[ContentType, ResultRow] | None:
    type_name, id_ = from_global_id(global_id)
    content = BY_NAME.get(type_name)
    if content is None:  # an id of something that is not a Node (an Image)
        return None
    row = await get_by_id(db, content, id_, visibility)
    return None if row is None else (content, row)


async def lookup(
    db: Reader,
    content: ContentType,
    visibility: Visibility,
    *,
    global_id: str | None,
    slug: str | None,
    columns: Columns = None,
) -> ResultRow | None:
    """``event(id:, slug:)`` and its siblings: exactly one of the two arguments."""
    if (global_id is None) == (slug is None):
        raise BadInput("give exactly one of id or slug", field="id")
    if slug is not None:
        check_argument(slug, "slug")
    if global_id is not None:
        found_type, id_ = from_global_id(global_id)
        if found_type != content.name:
            return None
        return await get_by_id(db, content, id_, visibility, columns)
    assert slug is not None
    return await get_by_slug(db, content, slug, visibility, columns)


async def _page(
    db: Reader,
    content: ContentType,
    query: Select[Any],
    order: str | None,
    page: PageRequest,
    columns: Columns,
) -> Page:
    total = partial(count, db, query)
    return await paginate(partial(fetch_all, db), query, content.order(order), page, total, columns)


async def list_items(
    db: Reader,
    content: ContentType,
    *,
    visibility: Visibility,
    filter: Filter | None = None,
    order: str | None = None,
    page: PageRequest,
    columns: Columns = None,
) -> Page:
    """One page of a content type's list (``events(...)`` and its siblings)."""
    found = conditions(content, filter, visibility.statuses, db.dialect)
    return await _page(db, content, select(content.table).where(*found), order, page, columns)


async def list_of(
    db: Reader,
    listing: Listing,
    owner_id: int,
    *,
    visibility: Visibility,
    filter: Filter | None = None,
    order: str | None = None,
    page: PageRequest,
    columns: Columns = None,
) -> Page:
    """One page of the list restricted to one owner (``Partner.events``)."""
    relation = listing.relation
    content = BY_NAME[relation.target]
    found = conditions(content, filter, visibility.statuses, db.dialect)
    link = relation.link
    query = (
        select(content.table)
        .join(link, link.c[relation.target_column] == content.table.c.id)
        .where(link.c[relation.own_column] == owner_id, *found)
    )
    return await _page(db, content, query, order, page, columns)


@dataclass(frozen=True, slots=True)
class YearGroup:
    year: int
    events: list[ResultRow]


async def timeline(
    db: Reader,
    *,
    visibility: Visibility,
    year_from: int | None,
    year_to: int | None,
    columns: Columns = None,
) -> list[YearGroup]:
    """Events grouped by the year they start in, oldest first (``columns``: with the year)."""
    check_year_range(year_from, year_to, prefix="timeline")
    found = conditions(EVENT, {"yearFrom": year_from, "yearTo": year_to}, visibility.statuses, db.dialect)
    table = EVENT.table
    query = _selected(EVENT, columns).where(*found).order_by(table.c.sort_key, table.c.id)
    rows = await fetch_all(db, query)
    groups: dict[int, list[ResultRow]] = defaultdict(list)
    for row in rows:
        groups[row.year].append(row)
    return [YearGroup(year=year, events=items) for year, items in groups.items()]
