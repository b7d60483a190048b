"""The contract's object types, built from database rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry

from accord.dates import PartialDate as PartialDateValue
from accord.dates import optional_date, period_label
from accord.resolvers import content
from accord.resolvers.ids import to_global_id
from accord.resolvers.pagination import Page, PageRequest
from accord.schema.context import Context
from accord.schema.enums import (
    AgreementKind,
    DatePrecision,
    EventKind,
    EventOrder,
    ExhibitKind,
    Locale,
    PartnerKind,
    Status,
)
from accord.schema.inputs import EventFilter
from accord.schema.localize import pick

Info = strawberry.Info[Context, None]


def _locale(info: Info, locale: Locale | None) -> Locale:
    return locale if locale is not None else info.context.locale


@strawberry.interface
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id (Relay Global Object Identification).")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(
    description="A date known to a year, a month or a day: the seed's timeline says '1972', 'August 2015'."
)
class PartialDate:
    year: int
    month: int | None
    day: int | None
    precision: DatePrecision
    iso: str = strawberry.field(description="'1972', '2015-08', '2001-05-03'.")
    value: strawberry.Private[PartialDateValue]
    period_end: strawberry.Private[PartialDateValue | None] = None

    @classmethod
    def of(
        cls, value: PartialDateValue | None, period_end: PartialDateValue | None = None
    ) -> PartialDate | None:
        if value is None:
            return None
        return cls(
            year=value.year,
            month=value.month,
            day=value.day,
            precision=value.precision,
            iso=value.iso,
            value=value,
            period_end=period_end,
        )

    @strawberry.field(description="Human label in the requested locale: 'August 2015', '2015年8月'.")
    def label(self, info: Info, locale: Locale | None = None) -> str:
        return period_label(self.value, self.period_end, _locale(info, locale))


@strawberry.type(
    description=(
        "Something that happened on the cooperation timeline. "
        "Milestones are the events that feeds and subscriptions announce."
    )
)
class Event(Node):
    slug: str
    kind: EventKind
    is_milestone: bool
    status: Status
    published_at: datetime | None
    updated_at: datetime
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any) -> Event:
        return cls(
            id=strawberry.ID(to_global_id("Event", row.id)),
            slug=row.slug,
            kind=EventKind(row.kind),
            is_milestone=row.is_milestone,
            status=Status(row.status),
            published_at=row.published_at,
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field
    def title(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.row.title_en, self.row.title_zh, _locale(info, locale))

    @strawberry.field
    def summary(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.row.summary_en, self.row.summary_zh, _locale(info, locale))

    @strawberry.field
    def date(self) -> PartialDate:
        row = self.row
        end = optional_date(row.end_year, row.end_month, row.end_day)
        value = PartialDate.of(PartialDateValue(row.year, row.month, row.day), end)
        assert value is not None
        return value

    @strawberry.field(description="Set for events that span a period ('During 2013 to 2015').")
    def end_date(self) -> PartialDate | None:
        return PartialDate.of(optional_date(self.row.end_year, self.row.end_month, self.row.end_day))

    @strawberry.field(description="Cities or countries where it took place, in the requested locale.")
    def places(self, info: Info, locale: Locale | None = None) -> list[str]:
        chosen = _locale(info, locale)
        return [pick(place.get("en"), place.get("zh_tw"), chosen) for place in self.row.places]

    @strawberry.field
    async def tags(self, info: Info) -> list[str]:
        return await info.context.loaders.event_tags.load(self.row.id)

    @strawberry.field
    async def partners(self, info: Info) -> list[Partner]:
        return [Partner.from_row(row) for row in await info.context.loaders.event_partners.load(self.row.id)]

    @strawberry.field
    async def agreements(self, info: Info) -> list[Agreement]:
        return [
            Agreement.from_row(row) for row in await info.context.loaders.event_agreements.load(self.row.id)
        ]

    @strawberry.field
    async def exhibits(self, info: Info) -> list[Exhibit]:
        return [Exhibit.from_row(row) for row in await info.context.loaders.event_exhibits.load(self.row.id)]


@strawberry.type(
    description="A customs administration, economy, international organization, forum or committee."
)
class Partner(Node):
    slug: str
    short_name: str | None = strawberry.field(description="Common abbreviation, e.g. 'WTO', 'CBP'.")
    kind: PartnerKind
    country: str | None = strawberry.field(
        description="ISO 3166-1 alpha-2 code where the partner belongs to one economy."
    )
    website: str | None
    status: Status
    updated_at: datetime
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any) -> Partner:
        return cls(
            id=strawberry.ID(to_global_id("Partner", row.id)),
            slug=row.slug,
            short_name=row.short_name,
            kind=PartnerKind(row.kind),
            country=row.country,
            website=row.website,
            status=Status(row.status),
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field
    def name(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.row.name_en, self.row.name_zh, _locale(info, locale))

    @strawberry.field
    async def events(
        self,
        info: Info,
        filter: EventFilter | None = None,
        order_by: EventOrder | None = EventOrder.DATE_ASC,
        first: int | None = None,
        after: str | None = None,
    ) -> EventConnection:
        page = await content.list_partner_events(
            info.context.db,
            partner_id=self.row.id,
            visibility=info.context.visibility,
            filter=filter.to_filter() if filter else None,
            order=order_by or EventOrder.DATE_ASC,
            page=PageRequest(first=first, after=after),
        )
        return EventConnection.of(page)

    @strawberry.field
    async def agreements(self, info: Info) -> list[Agreement]:
        return [
            Agreement.from_row(row) for row in await info.context.loaders.partner_agreements.load(self.row.id)
        ]


@strawberry.type(
    description=(
        "A signed instrument: mutual assistance agreement, AEO mutual recognition arrangement, "
        "accession, acceptance."
    )
)
class Agreement(Node):
    slug: str
    kind: AgreementKind
    status: Status
    updated_at: datetime
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any) -> Agreement:
        return cls(
            id=strawberry.ID(to_global_id("Agreement", row.id)),
            slug=row.slug,
            kind=AgreementKind(row.kind),
            status=Status(row.status),
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field
    def title(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.row.title_en, self.row.title_zh, _locale(info, locale))

    @strawberry.field
    def summary(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.row.summary_en, self.row.summary_zh, _locale(info, locale))

    @strawberry.field
    def signed_on(self) -> PartialDate | None:
        return PartialDate.of(optional_date(self.row.signed_year, self.row.signed_month, self.row.signed_day))

    @strawberry.field
    async def parties(self, info: Info) -> list[Partner]:
        return [
            Partner.from_row(row) for row in await info.context.loaders.agreement_parties.load(self.row.id)
        ]

    @strawberry.field
    async def events(self, info: Info) -> list[Event]:
        return [Event.from_row(row) for row in await info.context.loaders.agreement_events.load(self.row.id)]

    @strawberry.field
    async def exhibits(self, info: Info) -> list[Exhibit]:
        return [
            Exhibit.from_row(row) for row in await info.context.loaders.agreement_exhibits.load(self.row.id)
        ]


@strawberry.type(
    description=(
        "An item on display in the exhibition area: uniforms, documents, artifacts from the exchanges."
    )
)
class Exhibit(Node):
    slug: str
    kind: ExhibitKind
    image_url: str | None
    status: Status
    updated_at: datetime
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any) -> Exhibit:
        return cls(
            id=strawberry.ID(to_global_id("Exhibit", row.id)),
            slug=row.slug,
            kind=ExhibitKind(row.kind),
            image_url=row.image_url,
            status=Status(row.status),
            updated_at=row.updated_at,
            row=row,
        )

    @strawberry.field
    def title(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.row.title_en, self.row.title_zh, _locale(info, locale))

    @strawberry.field
    def description(self, info: Info, locale: Locale | None = None) -> str:
        return pick(self.row.description_en, self.row.description_zh, _locale(info, locale))

    @strawberry.field
    async def origin(self, info: Info) -> Partner | None:
        if self.row.origin_id is None:
            return None
        row = await info.context.loaders.partner.load(self.row.origin_id)
        return None if row is None else Partner.from_row(row)

    @strawberry.field
    async def events(self, info: Info) -> list[Event]:
        return [Event.from_row(row) for row in await info.context.loaders.exhibit_events.load(self.row.id)]

    @strawberry.field
    async def agreements(self, info: Info) -> list[Agreement]:
        return [
            Agreement.from_row(row) for row in await info.context.loaders.exhibit_agreements.load(self.row.id)
        ]


def _page_info(page: Page[Any]) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )


@strawberry.type
class EventEdge:
    cursor: str
    node: Event


@strawberry.type
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @classmethod
    def of(cls, page: Page[Any]) -> EventConnection:
        edges = [
            EventEdge(cursor=c, node=Event.from_row(r)) for c, r in zip(page.cursors, page.items, strict=True)
        ]
        return cls(edges=edges, page_info=_page_info(page), counter=page.count)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.type
class PartnerEdge:
    cursor: str
    node: Partner


@strawberry.type
class PartnerConnection:
    edges: list[PartnerEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @classmethod
    def of(cls, page: Page[Any]) -> PartnerConnection:
        edges = [
            PartnerEdge(cursor=c, node=Partner.from_row(r))
            for c, r in zip(page.cursors, page.items, strict=True)
        ]
        return cls(edges=edges, page_info=_page_info(page), counter=page.count)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.type
class AgreementEdge:
    cursor: str
    node: Agreement


@strawberry.type
class AgreementConnection:
    edges: list[AgreementEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @classmethod
    def of(cls, page: Page[Any]) -> AgreementConnection:
        edges = [
            AgreementEdge(cursor=c, node=Agreement.from_row(r))
            for c, r in zip(page.cursors, page.items, strict=True)
        ]
        return cls(edges=edges, page_info=_page_info(page), counter=page.count)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.type
class ExhibitEdge:
    cursor: str
    node: Exhibit


@strawberry.type
class ExhibitConnection:
    edges: list[ExhibitEdge]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @classmethod
    def of(cls, page: Page[Any]) -> ExhibitConnection:
        edges = [
            ExhibitEdge(cursor=c, node=Exhibit.from_row(r))
            for c, r in zip(page.cursors, page.items, strict=True)
        ]
        return cls(edges=edges, page_info=_page_info(page), counter=page.count)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.counter()


@strawberry.type
class YearGroup:
    year: int
    events: list[Event]


SearchResult = Annotated[Event | Partner | Agreement | Exhibit, strawberry.union("SearchResult")]

NODE_TYPES: dict[str, Any] = {"Event": Event, "Partner": Partner, "Agreement": Agreement, "Exhibit": Exhibit}


def node_of(type_name: str, row: Any) -> Any:
    return NODE_TYPES[type_name].from_row(row)
