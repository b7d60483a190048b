"""The contract's object types, built from the content model (accord.content.model).

Each content type becomes a strawberry type whose fields are rendered by kind, in one place per
kind (``FIELD_RENDERERS``): a declaration line in the model is a field here. The GraphQL objects
are the rows themselves, wrapped in an ``Item`` that says which type they are (for ``Node`` and
the ``SearchResult`` union). Field order follows what strawberry gives hand-written types: the id
and slug, the plain fields, the status and timestamps, then the fields with arguments or
relations.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Annotated, Any, Generic, TypeVar, Union

import strawberry
from strawberry.types.field import StrawberryField

from accord.content.fields import (
    Choice,
    Date,
    Field,
    Flag,
    Images,
    Linked,
    Listing,
    Localized,
    Origin,
    Places,
    Tags,
    Text,
)
from accord.content.model import BY_NAME, EVENT, ROOT_ORDER, ContentType
from accord.core.dates import DatePrecision, period_label
from accord.core.dates import PartialDate as PartialDateValue
from accord.core.ids import to_global_id
from accord.core.locale import pick
from accord.core.row_types import ContentRow
from accord.models.columns import copy_into
from accord.models.enums import Locale, Status
from accord.read import lists
from accord.read.pagination import Page, PageRequest
from accord.schema import enums as _enums  # noqa: F401  (registers the enums with strawberry)
from accord.schema.context import Context
from accord.schema.images import Image

Info = strawberry.Info[Context, None]
T = TypeVar("T")
ID_DESCRIPTION = "Opaque global id (Relay Global Object Identification)."


@strawberry.interface
class Node:
    id: strawberry.ID = strawberry.field(description=ID_DESCRIPTION)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def _locale(info: Info, locale: Locale | None) -> Locale:
    return locale if locale is not None else info.context.locale


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
        return copy_into(cls, value, value=value, period_end=period_end)

    @strawberry.field(description="Human label in the requested locale: 'August 2015', '2015年8月'.")
    def label(self, info: Info, locale: Locale | None = None) -> str:
        return period_label(self.value, self.period_end, _locale(info, locale))


@dataclass(frozen=True, slots=True)
class Item:
    """A row of a content type, as the GraphQL types receive it."""

    content: ContentType
    row: ContentRow


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """A Relay connection: ``Connection[Event]`` is the contract's ``EventConnection``."""

    edges: list[Edge[T]]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.counter()


def connection_of(content: ContentType, page: Page) -> Connection[Any]:
    edges = [Edge(cursor=c, node=Item(content, row)) for c, row in zip(page.cursors, page.items, strict=True)]
    info = PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )
    return Connection(edges=edges, page_info=info, counter=page.count)


# -- resolvers built at run time --------------------------------------------------------------

Argument = tuple[str, Any, Any]  # (name, annotation, default)
LOCALE: Argument = ("locale", Locale | None, None)


def resolver(function: Callable[..., Any], returns: Any, arguments: Sequence[Argument] = ()) -> Any:
    """``function(root, info, **arguments)`` with the signature strawberry reads its arguments and its
    GraphQL type from (the types are only known once the model is read)."""
    parameters = [
        inspect.Parameter("root", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("info", inspect.Parameter.KEYWORD_ONLY, annotation=Info),
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
            for name, annotation, default in arguments
        ),
    ]
    function.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    return function


def query_field(
    function: Callable[..., Any], returns: Any, description: str | None = None, **arguments: Any
) -> StrawberryField:
    built: StrawberryField = strawberry.field(
        resolver=resolver(function, returns, arguments.pop("arguments", ())), description=description
    )
    return built


def field(
    function: Callable[[Item, Info], object], returns: Any, description: str | None = None, **arguments: Any
) -> StrawberryField:
    """A content type's field: mypy checks what its resolver reads of the Item against ContentRow."""
    return query_field(function, returns, description, **arguments)


def _optional(annotation: Any, nullable: bool) -> Any:
    return annotation | None if nullable else annotation


def list_arguments(content: ContentType, *, backwards: bool) -> list[Argument]:
    """The arguments of a content type's list: filter, orderBy (when it has several orders), and
    forward (and backward) pagination."""
    from accord.schema.inputs import filter_input  # the inputs are built beside the types

    arguments: list[Argument] = [("filter", filter_input(content) | None, None)]
    if content.order_enum is not None:
        default = content.order_enum(content.orders[0].name)
        arguments.append(("orderBy", content.order_enum | None, default))
    arguments += [("first", int | None, None), ("after", str | None, None)]
    if backwards:
        arguments += [("last", int | None, None), ("before", str | None, None)]
    return arguments


def list_options(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A list field's filter, order and pagination arguments, as accord.read.lists takes them."""
    filter, order = arguments.get("filter"), arguments.get("orderBy")
    return {
        "filter": None if filter is None else dict(vars(filter)),  # the mapping accord.read.filters reads
        "order": None if order is None else order.value,
        "page": PageRequest.of(arguments),
    }


SCHEDULED_AT = (
    "When this content is set to be published (publishEvent and its siblings with `at`), in UTC. "
    "Only token holders see it; for anybody else, and when nothing is scheduled, it is null."
)


def _scheduled_at(root: Item, info: Info) -> datetime | None:
    return root.row.scheduled_at if info.context.visibility.sees_schedules else None


class TypeBuilder:
    """Builds the object types of every content type, which refer to each other."""

    def __init__(self) -> None:
        # Created empty first, so that fields can name types not yet filled in.
        self.types: dict[str, type] = {
            content.name: type(content.name, (Node,), {"__module__": __name__}) for content in ROOT_ORDER
        }

    def build(self) -> dict[str, type]:
        for content in ROOT_ORDER:
            cls = self.types[content.name]
            for name, built in self._fields(content):
                setattr(cls, name, built)

            def is_type_of(obj: Any, _info: Any, content: ContentType = content) -> bool:
                return isinstance(obj, Item) and obj.content is content

            cls.is_type_of = staticmethod(is_type_of)  # type: ignore[attr-defined]
            strawberry.type(cls, description=content.description)
        return self.types

    def _fields(self, content: ContentType) -> list[tuple[str, StrawberryField]]:
        name = content.name
        built: list[tuple[str, StrawberryField]] = [
            (
                "id",
                field(
                    lambda root, info: strawberry.ID(to_global_id(name, root.row.id)),
                    strawberry.ID,
                    ID_DESCRIPTION,
                ),
            ),
            ("slug", field(lambda root, info: root.row.slug, str)),
        ]
        plain = [f for f in content.fields if not f.computed]
        computed = [f for f in content.fields if f.computed]
        built += [(f.name, self.render(content, f)) for f in plain]
        built.append(("status", field(lambda root, info: Status(root.row.status), Status)))
        if content.shows_published_at:
            built.append(("publishedAt", field(lambda root, info: root.row.published_at, datetime | None)))
        built.append(("updatedAt", field(lambda root, info: root.row.updated_at, datetime)))
        built.append(("scheduledAt", field(_scheduled_at, datetime | None, SCHEDULED_AT)))
        built += [(f.name, self.render(content, f)) for f in computed]
        return built

    def render(self, content: ContentType, spec: Field) -> StrawberryField:
        renderer = FIELD_RENDERERS[type(spec)]
        return renderer(self, content, spec)

    # -- one renderer per kind ----------------------------------------------------------------

    def text(self, content: ContentType, spec: Text) -> StrawberryField:
        column = spec.column
        return field(
            lambda root, info: getattr(root.row, column), _optional(str, spec.nullable), spec.description
        )

    def flag(self, content: ContentType, spec: Flag) -> StrawberryField:
        column = spec.column
        return field(lambda root, info: getattr(root.row, column), bool, spec.description)

    def choice(self, content: ContentType, spec: Choice) -> StrawberryField:
        column, enum = spec.column, spec.enum
        return field(lambda root, info: enum(getattr(root.row, column)), enum, spec.description)

    def localized(self, content: ContentType, spec: Localized) -> StrawberryField:
        en, zh = spec.en, spec.zh

        def resolve(root: Item, info: Info, locale: Locale | None = None) -> str:
            return pick(getattr(root.row, en), getattr(root.row, zh), _locale(info, locale))

        return field(resolve, str, spec.description, arguments=[LOCALE])

    def date(self, content: ContentType, spec: Date) -> StrawberryField:
        end = content.field(spec.period_end) if spec.period_end else None
        assert end is None or isinstance(end, Date)

        def resolve(root: Item, info: Info) -> PartialDate | None:
            return PartialDate.of(spec.value(root.row), None if end is None else end.value(root.row))

        return field(resolve, _optional(PartialDate, not spec.required), spec.description)

    def places(self, content: ContentType, spec: Places) -> StrawberryField:
        column = spec.column

        def resolve(root: Item, info: Info, locale: Locale | None = None) -> list[str]:
            chosen = _locale(info, locale)
            return [pick(place.get("en"), place.get("zh_tw"), chosen) for place in getattr(root.row, column)]

        return field(resolve, list[str], spec.description, arguments=[LOCALE])

    def tags(self, content: ContentType, spec: Tags) -> StrawberryField:
        async def resolve(root: Item, info: Info) -> list[str]:
            return await info.context.loaders.tags.load(root.row.id)

        return field(resolve, list[str], spec.description)

    def linked(self, content: ContentType, spec: Linked) -> StrawberryField:
        relation, target = spec.relation, BY_NAME[spec.target]

        async def resolve(root: Item, info: Info) -> list[Item]:
            rows = await info.context.loaders.linked(relation).load(root.row.id)
            return [Item(target, row) for row in rows]

        returns: Any = list[self.types[target.name]]  # type: ignore[name-defined]
        return field(resolve, returns, spec.description)

    def images(self, content: ContentType, spec: Images) -> StrawberryField:
        async def resolve(root: Item, info: Info) -> list[Image]:
            rows = await info.context.loaders.images(spec).load(root.row.id)
            return [Image.of(row) for row in rows]

        return field(resolve, list[Image], spec.description)

    def origin(self, content: ContentType, spec: Origin) -> StrawberryField:
        column, target = spec.column, BY_NAME[spec.target]

        async def resolve(root: Item, info: Info) -> Item | None:
            id_ = getattr(root.row, column)
            row = None if id_ is None else await info.context.loaders.by_id(target).load(id_)
            return None if row is None else Item(target, row)

        return field(resolve, self.types[target.name] | None, spec.description)

    def listing(self, content: ContentType, spec: Listing) -> StrawberryField:
        target = BY_NAME[spec.target]

        async def resolve(root: Item, info: Info, **arguments: Any) -> Connection[Any]:
            context = info.context
            page = await lists.list_of(
                context.db, spec, root.row.id, visibility=context.visibility, **list_options(arguments)
            )
            return connection_of(target, page)

        returns: Any = Connection[self.types[target.name]]  # type: ignore[name-defined]
        return field(resolve, returns, spec.description, arguments=list_arguments(target, backwards=False))


FIELD_RENDERERS: dict[type[Field], Callable[[TypeBuilder, ContentType, Any], StrawberryField]] = {
    Text: TypeBuilder.text,
    Flag: TypeBuilder.flag,
    Choice: TypeBuilder.choice,
    Localized: TypeBuilder.localized,
    Date: TypeBuilder.date,
    Places: TypeBuilder.places,
    Tags: TypeBuilder.tags,
    Linked: TypeBuilder.linked,
    Images: TypeBuilder.images,
    Origin: TypeBuilder.origin,
    Listing: TypeBuilder.listing,
}

OBJECT_TYPES: dict[str, type] = TypeBuilder().build()
EventType = OBJECT_TYPES[EVENT.name]


@strawberry.type
class YearGroup:
    year: int
    events: list[EventType]  # type: ignore[valid-type]


def connection_type(content: ContentType) -> Any:
    """``EventConnection`` and its siblings: ``Connection[Event]``."""
    node: Any = OBJECT_TYPES[content.name]
    return Connection[node]


_members: Any = reduce(lambda a, b: Union[a, b], [OBJECT_TYPES[c.name] for c in ROOT_ORDER])  # type: ignore[arg-type, return-value]  # noqa: UP007
SearchResult: Any = Annotated[_members, strawberry.union("SearchResult")]
