"""The compiled path's executor: fields collected by graphql-core's own rules (fragments, @skip and
@include, merging); each list's nodes, each lookup's object and the timeline's events built as JSON
by one SQL statement (accord.fastpath.sql_json); the connections around them built here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.collect_fields import FieldDetailsList as Details
from graphql.execution.collect_fields import (
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import get_argument_values, get_variable_values
from orjson import Fragment
from sqlalchemy import ColumnElement, func, literal_column, select

from accord.content.fields import Listing
from accord.content.model import BY_NAME, BY_PLURAL, BY_SINGULAR, EVENT, ContentType
from accord.core.lru import ByteLRU
from accord.core.row_types import ResultRow
from accord.core.tables import changes
from accord.core.visibility import Visibility
from accord.fastpath import sql_json
from accord.models.enums import Locale
from accord.read import lists
from accord.read.db import Reader
from accord.read.pagination import Page, PageRequest


class Unsupported(Exception):
    """The compiled path does not know this query: strawberry answers it."""


# SQL compiled for a document, kept between requests: the cache, and the key of the document and
# the variables it was sent with.
SqlCache = tuple[ByteLRU[sql_json.Compiled], bytes]
VERSION = select(func.coalesce(func.max(changes.c.id), 0)).scalar_subquery().label("content_version")
UNSUPPORTED = sql_json.Compiled("")  # kept too: such a selection goes to strawberry every time


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


@dataclass(eq=False)  # one execution: compared and hashed by identity
class Run:
    """One execution: the request's database reader, locale, visibility and coerced variables."""

    schema: GraphQLSchema
    document: InitVar[DocumentNode]
    operation: OperationDefinitionNode
    variables: Any
    db: Reader
    locale: Locale
    visibility: Visibility
    sql_cache: SqlCache | None = None
    # The content version, read by the first statement in its own snapshot (see
    # accord.http.response_cache): one round trip for an uncached answer instead of two.
    want_version: bool = False
    media_base: str = ""  # what image URLs start with (the same for every request)
    version: int | None = field(default=None, init=False)
    fragments: dict[str, FragmentDetails] = field(init=False)

    def __post_init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }

    def _type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType)
        return found

    def arguments(self, type_name: str, name: str, details: Details) -> dict[str, Any]:
        return get_argument_values(self._type(type_name).fields[name], details[0].node, self.variables)

    def grouped(self, type_name: str, details: Details) -> GroupedFieldSet:
        return collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, self._type(type_name), details
        ).grouped_field_set

    async def root(self) -> dict[str, Any]:
        query = self.schema.query_type
        assert query is not None
        grouped = collect_fields(
            self.schema, self.fragments, self.variables, query, self.operation
        ).grouped_field_set
        data: dict[str, Any] = {}
        for key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                data[key] = "Query"
            elif name in BY_PLURAL:
                data[key] = await self._list(
                    BY_PLURAL[name], key, self.arguments("Query", name, details), details
                )
            elif name in BY_SINGULAR:
                content = BY_SINGULAR[name]
                data[key] = await self._lookup(content, key, self.arguments("Query", name, details), details)
            elif name == "timeline":
                data[key] = await self._timeline(key, self.arguments("Query", name, details), details)
            else:
                raise Unsupported(name)
        return data

    # -- SQL ------------------------------------------------------------------------------------

    def _compiled(self, key: str, compile_sql: Callable[[], sql_json.Compiled]) -> sql_json.Compiled:
        """The SQL of one root field's JSON, kept per document, variables, locale and visibility."""
        if self.sql_cache is None:
            found = self._compile(compile_sql)
        else:
            cache, document_key = self.sql_cache
            cache_key = (document_key, key, self.db.dialect, self.locale, self.visibility.statuses)
            cached = cache.get(cache_key)
            if cached is None:
                cached = self._compile(compile_sql)
                cache.put(cache_key, cached, cached.size + len(document_key) + 200)
            found = cached
        if not found.sql:
            raise Unsupported(key)
        return found

    @staticmethod
    def _compile(compile_sql: Callable[[], sql_json.Compiled]) -> sql_json.Compiled:
        try:
            return compile_sql()
        except sql_json.Unsupported:
            return UNSUPPORTED

    def _nodes(self, key: str, content: ContentType, details: Details) -> list[ColumnElement[Any]]:
        """The ``node_json`` column of a connection's nodes (its ``edges { node { ... } }``); none
        when the connection does not select them (``{ events { totalCount } }``)."""
        edges = [
            d
            for d in self.grouped(f"{content.name}Connection", details).values()
            if d[0].node.name.value == "edges"
        ]
        nodes = [
            d
            for edge in edges
            for d in self.grouped(f"{content.name}Edge", edge).values()
            if d[0].node.name.value == "node"
        ]
        if not nodes:
            return []
        if len(edges) != 1 or len(nodes) != 1:
            raise Unsupported(f"{key}: nodes selected under several response keys")
        sql = self._compiled(key, lambda: sql_json.node_json(self, content, nodes[0])).sql
        return [literal_column(sql).label("node_json")]

    def _versioned(self, columns: list[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
        """``columns``, and the content version when the run wants it and no statement read it yet."""
        if not self.want_version:
            return columns
        self.want_version = False
        return [*columns, VERSION]

    def _saw(self, row: ResultRow) -> None:
        if self.version is None and "content_version" in row._fields:
            self.version = int(row.content_version)

    # -- root fields ---------------------------------------------------------------------------

    async def _list(self, content: ContentType, key: str, args: dict[str, Any], details: Details) -> Any:
        page = await lists.list_items(
            self.db,
            content,
            visibility=self.visibility,
            filter=args.get("filter"),
            order=_enum_value(args.get("orderBy")),
            page=PageRequest.of(args),
            columns=self._versioned(self._nodes(key, content, details)),
        )
        if page.items:
            self._saw(page.items[0])
        return await self.connection(content, page, details)

    async def _lookup(self, content: ContentType, key: str, args: dict[str, Any], details: Details) -> Any:
        compiled = self._compiled(key, lambda: sql_json.node_json(self, content, details, top=True))
        columns = self._versioned([content.table.c.id, literal_column(compiled.sql).label("node_json")])
        row = await lists.lookup(
            self.db,
            content,
            self.visibility,
            global_id=args.get("id"),
            slug=args.get("slug"),
            columns=columns,
        )
        if row is None:
            return None
        self._saw(row)
        if not compiled.deferred:
            return Fragment(row.node_json)
        built = orjson.loads(row.node_json)  # the nested connections go where SQL left null
        grouped = self.grouped(content.name, details)
        for response_key, name in compiled.deferred:
            listing = content.field(name)
            assert isinstance(listing, Listing)
            built[response_key] = await self._nested(
                content, row.id, listing, grouped[response_key], f"{key}.{response_key}"
            )
        return built

    async def _nested(
        self, owner: ContentType, owner_id: int, listing: Listing, details: Details, key: str
    ) -> Any:
        target = BY_NAME[listing.target]
        args = self.arguments(owner.name, listing.name, details)
        page = await lists.list_of(
            self.db,
            listing,
            owner_id,
            visibility=self.visibility,
            filter=args.get("filter"),
            order=_enum_value(args.get("orderBy")),
            page=PageRequest(first=args.get("first"), after=args.get("after")),
            columns=self._nodes(key, target, details),
        )
        return await self.connection(target, page, details)

    async def _timeline(self, key: str, args: dict[str, Any], details: Details) -> Any:
        groups: list[dict[str, Any]] = []
        grouped = self.grouped("YearGroup", details)
        events = [d for d in grouped.values() if d[0].node.name.value == "events"]
        if len(events) > 1:
            raise Unsupported("events selected under several keys")
        columns = None
        if events:
            sql = self._compiled(key, lambda: sql_json.node_json(self, EVENT, events[0])).sql
            columns = self._versioned([EVENT.table.c.year, literal_column(sql).label("node_json")])
        found = await lists.timeline(
            self.db,
            visibility=self.visibility,
            year_from=args.get("yearFrom"),
            year_to=args.get("yearTo"),
            columns=columns,
        )
        if found and found[0].events:
            self._saw(found[0].events[0])
        for group in found:
            out: dict[str, Any] = {}
            for response_key, field_details in grouped.items():
                name = field_details[0].node.name.value
                if name == "year":
                    out[response_key] = group.year
                elif name == "events":
                    out[response_key] = [Fragment(row.node_json) for row in group.events]
                elif name == "__typename":
                    out[response_key] = "YearGroup"
                else:
                    raise Unsupported(f"YearGroup.{name}")
            groups.append(out)
        return groups

    # -- connections ---------------------------------------------------------------------------

    async def connection(self, content: ContentType, page: Page, details: Details) -> dict[str, Any]:
        type_name = f"{content.name}Connection"
        out: dict[str, Any] = {}
        for key, field_details in self.grouped(type_name, details).items():
            name = field_details[0].node.name.value
            if name == "edges":
                out[key] = self._edges(content, page, field_details)
            elif name == "pageInfo":
                out[key] = self._page_info(page, field_details)
            elif name == "totalCount":
                out[key] = await page.count()
            elif name == "__typename":
                out[key] = type_name
            else:
                raise Unsupported(f"{type_name}.{name}")
        return out

    def _edges(self, content: ContentType, page: Page, details: Details) -> list[dict[str, Any]]:
        edge_type = f"{content.name}Edge"
        edges: list[dict[str, Any]] = [{} for _ in page.items]
        for key, field_details in self.grouped(edge_type, details).items():
            name = field_details[0].node.name.value
            if name == "cursor":
                for edge, cursor in zip(edges, page.cursors, strict=True):
                    edge[key] = cursor
            elif name == "node":
                for edge, row in zip(edges, page.items, strict=True):
                    edge[key] = Fragment(row.node_json)
            elif name == "__typename":
                for edge in edges:
                    edge[key] = edge_type
            else:
                raise Unsupported(f"{edge_type}.{name}")
        return edges

    def _page_info(self, page: Page, details: Details) -> dict[str, Any]:
        values = {
            "hasNextPage": page.has_next_page,
            "hasPreviousPage": page.has_previous_page,
            "startCursor": page.cursors[0] if page.cursors else None,
            "endCursor": page.cursors[-1] if page.cursors else None,
            "__typename": "PageInfo",
        }
        return {key: values[d[0].node.name.value] for key, d in self.grouped("PageInfo", details).items()}


async def execute_fast(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
    *,
    db: Reader,
    locale: Locale,
    visibility: Visibility,
    sql_cache: SqlCache | None = None,
    want_version: bool = False,
    media_base: str = "",
) -> tuple[dict[str, Any], int | None]:
    """The ``data`` of a valid query document; raises Unsupported (or any error) to step aside.

    ``data`` may hold orjson Fragments (JSON the database built): serialize it with orjson.
    ``sql_cache`` keeps SQL compiled for this document between requests. With ``want_version``,
    the first statement also reads the content version, returned beside the data (None when that
    statement found no row: a version read later could be newer than what was read).
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        raise Unsupported("not a query")
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    if isinstance(variables, list):
        raise Unsupported("variables do not coerce")
    run = Run(
        schema, document, operation, variables, db, locale, visibility, sql_cache, want_version, media_base
    )
    return await run.root(), run.version
