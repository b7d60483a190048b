"""The Query root."""

from __future__ import annotations

from typing import Any

import strawberry

from accord.resolvers import content
from accord.resolvers.ids import from_global_id
from accord.resolvers.pagination import PageRequest
from accord.resolvers.search import search as run_search
from accord.schema.enums import EventOrder, PartnerOrder
from accord.schema.inputs import AgreementFilter, EventFilter, ExhibitFilter, PartnerFilter
from accord.schema.revisions import Revision, revisions_of
from accord.schema.types import (
    Agreement,
    AgreementConnection,
    Event,
    EventConnection,
    Exhibit,
    ExhibitConnection,
    Info,
    Node,
    Partner,
    PartnerConnection,
    SearchResult,
    YearGroup,
    node_of,
)


async def _lookup(info: Info, type_name: str, id: strawberry.ID | None, slug: str | None) -> Any | None:
    row = await content.lookup(info.context.db, type_name, info.context.visibility, global_id=id, slug=slug)
    return None if row is None else node_of(type_name, row)


@strawberry.type
class Query:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, _ = from_global_id(id)
        found = await content.get_node(info.context.db, id, info.context.visibility)
        return None if found is None else node_of(type_name, found[1])

    @strawberry.field
    async def event(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Event | None:
        result: Event | None = await _lookup(info, "Event", id, slug)
        return result

    @strawberry.field
    async def events(
        self,
        info: Info,
        filter: EventFilter | None = None,
        order_by: EventOrder | None = EventOrder.DATE_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> EventConnection:
        page = await content.list_events(
            info.context.db,
            visibility=info.context.visibility,
            filter=filter.to_filter() if filter else None,
            order=order_by or EventOrder.DATE_ASC,
            page=PageRequest(first, after, last, before),
        )
        return EventConnection.of(page)

    @strawberry.field
    async def partner(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Partner | None:
        result: Partner | None = await _lookup(info, "Partner", id, slug)
        return result

    @strawberry.field
    async def partners(
        self,
        info: Info,
        filter: PartnerFilter | None = None,
        order_by: PartnerOrder | None = PartnerOrder.NAME_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> PartnerConnection:
        page = await content.list_partners(
            info.context.db,
            visibility=info.context.visibility,
            filter=filter.to_filter() if filter else None,
            order=order_by or PartnerOrder.NAME_ASC,
            page=PageRequest(first, after, last, before),
        )
        return PartnerConnection.of(page)

    @strawberry.field
    async def agreement(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Agreement | None:
        result: Agreement | None = await _lookup(info, "Agreement", id, slug)
        return result

    @strawberry.field
    async def agreements(
        self,
        info: Info,
        filter: AgreementFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AgreementConnection:
        page = await content.list_agreements(
            info.context.db,
            visibility=info.context.visibility,
            filter=filter.to_filter() if filter else None,
            page=PageRequest(first, after, last, before),
        )
        return AgreementConnection.of(page)

    @strawberry.field
    async def exhibit(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Exhibit | None:
        result: Exhibit | None = await _lookup(info, "Exhibit", id, slug)
        return result

    @strawberry.field
    async def exhibits(
        self,
        info: Info,
        filter: ExhibitFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ExhibitConnection:
        page = await content.list_exhibits(
            info.context.db,
            visibility=info.context.visibility,
            filter=filter.to_filter() if filter else None,
            page=PageRequest(first, after, last, before),
        )
        return ExhibitConnection.of(page)

    @strawberry.field(description="Ranked full-text search across all content types and both locales.")
    async def search(self, info: Info, query: str, first: int | None = 20) -> list[SearchResult]:
        found = await run_search(
            info.context.db,
            query=query,
            first=20 if first is None else first,
            visibility=info.context.visibility,
        )
        return [node_of(type_name, row) for type_name, row in found]

    @strawberry.field(description="Published events grouped by year, oldest first.")
    async def timeline(
        self, info: Info, year_from: int | None = None, year_to: int | None = None
    ) -> list[YearGroup]:
        groups = await content.timeline(
            info.context.db, visibility=info.context.visibility, year_from=year_from, year_to=year_to
        )
        return [YearGroup(year=g.year, events=[Event.from_row(row) for row in g.events]) for g in groups]

    @strawberry.field(
        description="Every recorded write to one piece of content, newest first (token holders)."
    )
    async def revisions(self, info: Info, id: strawberry.ID) -> list[Revision]:
        return await revisions_of(info, id)
