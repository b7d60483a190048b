"""Single lookups and paginated lists of events, partners, agreements and exhibits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from accord.resolvers.db import (
    TABLE_OF_TYPE,
    Reader,
    agreements,
    count,
    dialect_of,
    event_partner,
    events,
    exhibits,
    fetch_all,
    fetch_one,
    partners,
)
from accord.resolvers.errors import BadInput
from accord.resolvers.filters import (
    AgreementFilter,
    EventFilter,
    ExhibitFilter,
    PartnerFilter,
    agreement_conditions,
    check_year_range,
    event_conditions,
    exhibit_conditions,
    partner_conditions,
)
from accord.resolvers.ids import from_global_id
from accord.resolvers.pagination import Page, PageRequest, SortKey, paginate
from accord.resolvers.visibility import Visibility


class EventOrder(StrEnum):
    DATE_ASC = "DATE_ASC"
    DATE_DESC = "DATE_DESC"


class PartnerOrder(StrEnum):
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"


# Columns a list selects instead of its whole rows (the fast path's compiled JSON).
Columns = Sequence[ColumnElement[Any]] | None

EVENT_SORT = {
    EventOrder.DATE_ASC: SortKey("ev+", (events.c.sort_key, events.c.id)),
    EventOrder.DATE_DESC: SortKey("ev-", (events.c.sort_key, events.c.id), descending=True),
}
PARTNER_SORT = {
    PartnerOrder.NAME_ASC: SortKey("pa+", (partners.c.name_en, partners.c.id)),
    PartnerOrder.NAME_DESC: SortKey("pa-", (partners.c.name_en, partners.c.id), descending=True),
}
AGREEMENT_SORT = SortKey("ag", (agreements.c.title_en, agreements.c.id))
EXHIBIT_SORT = SortKey("ex", (exhibits.c.title_en, exhibits.c.id))


def _selected(table: Any, columns: Columns) -> Select[Any]:
    return select(table) if columns is None else select(*columns).select_from(table)


async def get_by_id(
    db: Reader, type_name: str, id_: int, visibility: Visibility, columns: Columns = None
) -> Any | None:
    table = TABLE_OF_TYPE[type_name]
    return await fetch_one(
        db, _selected(table, columns).where(table.c.id == id_, table.c.status.in_(visibility.statuses))
    )


async def get_by_slug(
    db: Reader, type_name: str, slug: str, visibility: Visibility, columns: Columns = None
) -> Any | None:
    table = TABLE_OF_TYPE[type_name]
    return await fetch_one(
        db, _selected(table, columns).where(table.c.slug == slug, table.c.status.in_(visibility.statuses))
    )


async def get_node(db: Reader, global_id: str, visibility: Visibility) -> tuple[str, Any] | None:
    type_name, id_ = from_global_id(global_id)
    if type_name not in TABLE_OF_TYPE:  # an id of a type that is not a content node (an Image)
        return None
    row = await get_by_id(db, type_name, id_, visibility)
    return None if row is None else (type_name, row)


async def lookup(
    db: Reader,
    type_name: str,
    visibility: Visibility,
    *,
    global_id: str | None,
    slug: str | None,
    columns: Columns = None,
) -> Any | None:
    """``event(id:, slug:)`` and its siblings: exactly one of the two arguments."""
    if (global_id is None) == (slug is None):
        raise BadInput("give exactly one of id or slug", field="id")
    if global_id is not None:
        found_type, id_ = from_global_id(global_id)
        if found_type != type_name:
            return None
        return await get_by_id(db, type_name, id_, visibility, columns)
    assert slug is not None
    return await get_by_slug(db, type_name, slug, visibility, columns)


def _runner(db: Reader) -> Any:
    async def run(statement: Select[Any]) -> list[Any]:
        return await fetch_all(db, statement)

    return run


async def _page(
    db: Reader, query: Select[Any], sort: SortKey, page: PageRequest, columns: Columns = None
) -> Page[Any]:
    async def total() -> int:
        return await count(db, query)

    return await paginate(_runner(db), query, sort, page, total, columns)


async def list_events(
    db: Reader,
    *,
    visibility: Visibility,
    filter: EventFilter | None = None,
    order: EventOrder = EventOrder.DATE_ASC,
    page: PageRequest,
    columns: Columns = None,
) -> Page[Any]:
    conditions = event_conditions(filter, visibility.statuses, dialect_of(db))
    return await _page(db, select(events).where(*conditions), EVENT_SORT[order], page, columns)


async def list_partners(
    db: Reader,
    *,
    visibility: Visibility,
    filter: PartnerFilter | None = None,
    order: PartnerOrder = PartnerOrder.NAME_ASC,
    page: PageRequest,
    columns: Columns = None,
) -> Page[Any]:
    conditions = partner_conditions(filter, visibility.statuses, dialect_of(db))
    return await _page(db, select(partners).where(*conditions), PARTNER_SORT[order], page, columns)


async def list_agreements(
    db: Reader,
    *,
    visibility: Visibility,
    filter: AgreementFilter | None = None,
    page: PageRequest,
    columns: Columns = None,
) -> Page[Any]:
    conditions = agreement_conditions(filter, visibility.statuses, dialect_of(db))
    return await _page(db, select(agreements).where(*conditions), AGREEMENT_SORT, page, columns)


async def list_exhibits(
    db: Reader,
    *,
    visibility: Visibility,
    filter: ExhibitFilter | None = None,
    page: PageRequest,
    columns: Columns = None,
) -> Page[Any]:
    conditions = exhibit_conditions(filter, visibility.statuses, dialect_of(db))
    return await _page(db, select(exhibits).where(*conditions), EXHIBIT_SORT, page, columns)


async def list_partner_events(
    db: Reader,
    *,
    partner_id: int,
    visibility: Visibility,
    filter: EventFilter | None = None,
    order: EventOrder = EventOrder.DATE_ASC,
    page: PageRequest,
    columns: Columns = None,
) -> Page[Any]:
    conditions = event_conditions(filter, visibility.statuses, dialect_of(db))
    query = (
        select(events)
        .join(event_partner, event_partner.c.event_id == events.c.id)
        .where(event_partner.c.partner_id == partner_id, *conditions)
    )
    return await _page(db, query, EVENT_SORT[order], page)


@dataclass(frozen=True, slots=True)
class YearGroup:
    year: int
    events: list[Any]


async def timeline(
    db: Reader, *, visibility: Visibility, year_from: int | None, year_to: int | None
) -> list[YearGroup]:
    """Events grouped by the year they start in, oldest first."""
    check_year_range(year_from, year_to, prefix="timeline")
    conditions = event_conditions(
        EventFilter(year_from=year_from, year_to=year_to), visibility.statuses, dialect_of(db)
    )
    rows = await fetch_all(db, select(events).where(*conditions).order_by(events.c.sort_key, events.c.id))
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row.year].append(row)
    return [YearGroup(year=year, events=items) for year, items in groups.items()]
