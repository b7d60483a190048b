"""The content types, each declared once: its names, its fields by kind, its links, its lists.

Everything that differs between events, partners, agreements and exhibits is read from here: the
GraphQL types, connections, roots, filters, write inputs and mutations (accord.schema), the SQL that
builds their JSON (accord.fastpath.sql_json), the relation loaders (accord.read.relations), the
document format's records and sections (accord.content.document), the writer's links
(accord.write) and the search index (accord.content.search_index). docs/architecture.md shows what adding a
field takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table

from accord.content.fields import (
    Choice,
    Date,
    Field,
    FilterField,
    Flag,
    Images,
    Linked,
    Listing,
    Localized,
    Origin,
    Places,
    Relation,
    Tags,
    Text,
)
from accord.core.tables import (
    agreement_party,
    agreements,
    event_agreement,
    event_exhibit,
    event_image,
    event_partner,
    event_tag,
    events,
    exhibit_agreement,
    exhibit_image,
    exhibits,
    partners,
)
from accord.models.enums import AgreementKind, EventKind, ExhibitKind, PartnerKind

F = TypeVar("F", bound=Field)


@dataclass(frozen=True)
class Order:
    """One order of a list: its value in the list's order enum, its cursor tag and its columns (the
    last one unique)."""

    name: str
    tag: str
    columns: tuple[ColumnElement[Any], ...]
    descending: bool = False


@dataclass(frozen=True, eq=False)
class ContentType:
    name: str  # "Event": the GraphQL type, and the type in global ids and revisions
    plural: str  # "events": the list root field and the document format's section
    table: Table
    description: str
    fields: tuple[Field, ...]
    orders: tuple[Order, ...]  # the first is the default; one order: the list takes no orderBy
    filters: tuple[FilterField, ...]
    shows_published_at: bool = False
    delete_description: str = "Admins only."
    milestone_flag: str | None = None  # the record field of the Flag that marks a milestone

    @property
    def singular(self) -> str:
        """ "event": the lookup root field, the search index's kind, the table's name."""
        return self.table.name

    @cached_property
    def order_enum(self) -> type[StrEnum] | None:
        if len(self.orders) == 1:
            return None
        return StrEnum(f"{self.name}Order", [(order.name, order.name) for order in self.orders])  # type: ignore[return-value]

    def order(self, name: str | None) -> Order:
        return next((order for order in self.orders if order.name == name), self.orders[0])

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)

    @property
    def title(self) -> Localized:
        """The field that names an item (its slug is made from it)."""
        found: Localized = next(field for field in self.of_kind(Localized) if field.required)
        return found

    def linked(self, name: str) -> Linked:
        found = self.field(name)
        assert isinstance(found, Linked)
        return found

    def field_by_record(self, record: str) -> Field:
        return next(field for field in self.fields if field.record == record)

    def of_kind(self, kind: type[F]) -> Iterator[F]:
        return (field for field in self.fields if isinstance(field, kind))

    @property
    def links(self) -> tuple[Linked, ...]:
        """The lists editors write (as ids) and the document format carries (as slugs)."""
        return tuple(field for field in self.of_kind(Linked) if field.input_name)


EVENT_PARTNER = Relation(event_partner, "event_id", "partner_id", "Partner", event_partner.c.partner_id)
EVENT_AGREEMENT = Relation(
    event_agreement, "event_id", "agreement_id", "Agreement", event_agreement.c.agreement_id
)
EVENT_EXHIBIT = Relation(event_exhibit, "event_id", "exhibit_id", "Exhibit", event_exhibit.c.exhibit_id)
AGREEMENT_PARTY = Relation(
    agreement_party, "agreement_id", "partner_id", "Partner", agreement_party.c.partner_id
)
EXHIBIT_AGREEMENT = Relation(
    exhibit_agreement, "exhibit_id", "agreement_id", "Agreement", exhibit_agreement.c.agreement_id
)
# The same link tables, read from the other side.
PARTNER_EVENTS = Relation(event_partner, "partner_id", "event_id", "Event", events.c.sort_key)
PARTNER_AGREEMENTS = Relation(
    agreement_party, "partner_id", "agreement_id", "Agreement", agreement_party.c.agreement_id
)
AGREEMENT_EVENTS = Relation(event_agreement, "agreement_id", "event_id", "Event", events.c.sort_key)
AGREEMENT_EXHIBITS = Relation(
    exhibit_agreement, "agreement_id", "exhibit_id", "Exhibit", exhibit_agreement.c.exhibit_id
)
EXHIBIT_EVENTS = Relation(event_exhibit, "exhibit_id", "event_id", "Event", events.c.sort_key)

KIND_FILTER = FilterField("kind", "choice", options={"field": "kind"})
IMAGES = "Pictures of it, in the order editors gave them (docs/media.md)."
TEXT_FILTER = FilterField("text", "text")

EVENT = ContentType(
    name="Event",
    plural="events",
    table=events,
    description=(
        "Something that happened on the cooperation timeline. "
        "Milestones are the events that feeds and subscriptions announce."
    ),
    shows_published_at=True,
    milestone_flag="milestone",
    delete_description="Admins only. Returns the id of the deleted event.",
    fields=(
        Localized(name="title", required=True),
        Localized(name="summary"),
        Date(name="date", prefix="", required=True, period_end="endDate", sort_column="sort_key"),
        Date(
            name="endDate",
            prefix="end_",
            description="Set for events that span a period ('During 2013 to 2015').",
        ),
        Choice(name="kind", enum=EventKind),
        Flag(name="isMilestone", record="milestone"),
        Places(
            name="places", description="Cities or countries where it took place, in the requested locale."
        ),
        Tags(name="tags", table=event_tag),
        Linked(name="partners", relation=EVENT_PARTNER, estimate=3),
        Linked(name="agreements", relation=EVENT_AGREEMENT, estimate=2),
        Linked(name="exhibits", relation=EVENT_EXHIBIT, estimate=2),
        Images(name="images", link=event_image, own_column="event_id", description=IMAGES),
    ),
    orders=(
        Order("DATE_ASC", "ev+", (events.c.sort_key, events.c.id)),
        Order("DATE_DESC", "ev-", (events.c.sort_key, events.c.id), descending=True),
    ),
    filters=(
        FilterField("yearFrom", "year_from", options={"year": events.c.year, "end_year": events.c.end_year}),
        FilterField("yearTo", "year_to", options={"year": events.c.year}),
        FilterField(
            "partner", "partner", "Partner slug.", {"relation": (event_partner, "event_id", "partner_id")}
        ),
        KIND_FILTER,
        FilterField("tag", "tag", options={"table": event_tag}),
        FilterField("milestonesOnly", "flag", options={"column": events.c.is_milestone}),
        FilterField("text", "text", "Full-text match over title, summary and places, in every locale."),
        FilterField(
            "status", "status", "Only for token holders: anonymous readers see published events only."
        ),
    ),
)

PARTNER = ContentType(
    name="Partner",
    plural="partners",
    table=partners,
    description="A customs administration, economy, international organization, forum or committee.",
    fields=(
        Localized(name="name", required=True),
        Text(
            name="shortName",
            max_length=40,
            search=("en", "zh"),
            description="Common abbreviation, e.g. 'WTO', 'CBP'.",
        ),
        Choice(name="kind", enum=PartnerKind),
        Text(
            name="country",
            pattern=r"^[A-Z]{2}$",
            search=("en",),
            description="ISO 3166-1 alpha-2 code where the partner belongs to one economy.",
        ),
        Text(name="website", pattern=r"^https?://\S+$", max_length=500),
        Listing(name="events", relation=PARTNER_EVENTS),
        Linked(name="agreements", relation=PARTNER_AGREEMENTS, estimate=3, written=False),
    ),
    orders=(
        Order("NAME_ASC", "pa+", (partners.c.name_en, partners.c.id)),
        Order("NAME_DESC", "pa-", (partners.c.name_en, partners.c.id), descending=True),
    ),
    filters=(
        KIND_FILTER,
        FilterField("country", "country", options={"column": partners.c.country}),
        TEXT_FILTER,
    ),
)

AGREEMENT = ContentType(
    name="Agreement",
    plural="agreements",
    table=agreements,
    description=(
        "A signed instrument: mutual assistance agreement, AEO mutual recognition arrangement, "
        "accession, acceptance."
    ),
    fields=(
        Localized(name="title", required=True),
        Localized(name="summary"),
        Choice(name="kind", enum=AgreementKind),
        Date(name="signedOn", prefix="signed_"),
        Linked(name="parties", relation=AGREEMENT_PARTY, estimate=2),
        Linked(name="events", relation=AGREEMENT_EVENTS, estimate=3, written=False),
        Linked(name="exhibits", relation=AGREEMENT_EXHIBITS, estimate=2, written=False),
    ),
    orders=(Order("TITLE", "ag", (agreements.c.title_en, agreements.c.id)),),
    filters=(
        KIND_FILTER,
        FilterField(
            "partner", "partner", options={"relation": (agreement_party, "agreement_id", "partner_id")}
        ),
        FilterField("yearFrom", "year_from", options={"year": agreements.c.signed_year}),
        FilterField("yearTo", "year_to", options={"year": agreements.c.signed_year}),
        TEXT_FILTER,
    ),
)

EXHIBIT = ContentType(
    name="Exhibit",
    plural="exhibits",
    table=exhibits,
    description=(
        "An item on display in the exhibition area: uniforms, documents, artifacts from the exchanges."
    ),
    fields=(
        Localized(name="title", required=True),
        Localized(name="description"),
        Choice(name="kind", enum=ExhibitKind),
        Text(name="imageUrl", pattern=r"^(https?://|/)\S+$", max_length=500),
        Images(name="images", link=exhibit_image, own_column="exhibit_id", description=IMAGES),
        Origin(name="origin", column="origin_id", target="Partner"),
        Linked(name="events", relation=EXHIBIT_EVENTS, estimate=3, written=False),
        Linked(name="agreements", relation=EXHIBIT_AGREEMENT, estimate=2),
    ),
    orders=(Order("TITLE", "ex", (exhibits.c.title_en, exhibits.c.id)),),
    filters=(
        KIND_FILTER,
        FilterField("partner", "origin", options={"column": exhibits.c.origin_id}),
        TEXT_FILTER,
    ),
)

# In dependency order: a type's links only point at types before it (the document format loads
# sections in this order), and the order of the GraphQL roots.
CONTENT_TYPES: tuple[ContentType, ...] = (PARTNER, AGREEMENT, EXHIBIT, EVENT)
# The order of the Query and Mutation roots and of the search union.
ROOT_ORDER: tuple[ContentType, ...] = (EVENT, PARTNER, AGREEMENT, EXHIBIT)
BY_NAME: dict[str, ContentType] = {content.name: content for content in CONTENT_TYPES}
BY_PLURAL: dict[str, ContentType] = {content.plural: content for content in CONTENT_TYPES}
BY_SINGULAR: dict[str, ContentType] = {content.singular: content for content in CONTENT_TYPES}
