"""The fast path's executor: fields collected by graphql-core's own rules (fragments, @skip and
@include, merging), values built by accord.fastpath.builders, one batched query per relation level."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
)
from graphql.execution.collect_fields import FragmentDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values, get_variable_values
from orjson import Fragment
from sqlalchemy import ColumnElement, literal_column

from accord.core.lru import ByteLRU
from accord.fastpath import sql_json
from accord.fastpath.builders import BUILDERS, Builder
from accord.models.enums import Locale
from accord.read import content
from accord.read.db import Reader
from accord.read.filters import AgreementFilter, EventFilter, ExhibitFilter, PartnerFilter
from accord.read.pagination import Page, PageRequest
from accord.core.visibility import Visibility


class Unsupported(Exception):
    """The fast path does not know this query: the general executor answers it."""


# SQL compiled for a document, kept between requests: the cache, and the key of the document and
# the variables it was sent with.
SqlCache = tuple[ByteLRU[str], bytes]


def _enum_value(value: Any) -> Any:
    return getattr(value, "value", value)


def event_filter(raw: dict[str, Any] | None) -> EventFilter | None:
    if raw is None:
        return None
    return EventFilter(
        year_from=raw.get("yearFrom"),
        year_to=raw.get("yearTo"),
        partner=raw.get("partner"),
        kind=_enum_value(raw.get("kind")),
        tag=raw.get("tag"),
        milestones_only=raw.get("milestonesOnly"),
        text=raw.get("text"),
        status=_enum_value(raw.get("status")),
    )


def _page(args: dict[str, Any]) -> PageRequest:
    return PageRequest(args.get("first"), args.get("after"), args.get("last"), args.get("before"))


class Run:
    """One execution: the request's database reader, locale, visibility and coerced variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Any,
        db: Reader,
        locale: Locale,
        visibility: Visibility,
        sql_cache: SqlCache | None = None,
    ) -> None:
        self.schema = schema
        self.sql_cache = sql_cache
        self.operation = operation
        self.variables = variables
        self.db = db
        self.locale = locale
        self.visibility = visibility
        self.fragments = {
            d.name.value: FragmentDetails(d)
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }

    def _type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType)
        return found

    def _arguments(self, type_: GraphQLObjectType, name: str, details: Any) -> dict[str, Any]:
        return get_argument_values(type_.fields[name], details[0].node, self.variables)

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
                continue
            if name not in ROOT_FIELDS:
                raise Unsupported(name)
            data[key] = await ROOT_FIELDS[name](self, key, self._arguments(query, name, details), details)
        return data

    def _grouped(self, type_name: str, details: Any) -> Any:
        return collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, self._type(type_name), details
        ).grouped_field_set

    def node_columns(
        self, root_key: str, connection_type: str, node_type: str, details: Any
    ) -> list[ColumnElement[Any]] | None:
        """The list's nodes as JSON built by the database (``node_json``), when SQL can build every
        field of their selection (see accord.fastpath.sql_json); else None, and rows are loaded."""
        return self._compiled_columns(root_key, lambda: self._node_sql(connection_type, node_type, details))

    def object_columns(self, root_key: str, type_name: str, details: Any) -> list[ColumnElement[Any]] | None:
        """The same for one object (``event(slug:)`` and its siblings)."""
        return self._compiled_columns(root_key, lambda: self._object_sql(type_name, details))

    def _compiled_columns(
        self, root_key: str, compile_sql: Callable[[], str | None]
    ) -> list[ColumnElement[Any]] | None:
        found = None
        if self.sql_cache is not None:
            cache, document_key = self.sql_cache
            key = (document_key, root_key, self.db.dialect, self.locale, self.visibility.statuses)
            found = cache.get(key)
            if found is None:
                found = compile_sql() or ""  # "": SQL cannot build this selection
                cache.put(key, found, len(found) + len(document_key) + 200)
        else:
            found = compile_sql()
        if not found:
            return None
        return [literal_column(found).label("node_json")]

    def _node_sql(self, connection_type: str, node_type: str, details: Any) -> str | None:
        grouped = self._grouped(connection_type, details).values()
        edges = [d for d in grouped if d[0].node.name.value == "edges"]
        if len(edges) != 1:
            return None
        edge_type = connection_type.replace("Connection", "Edge")
        nodes = [d for d in self._grouped(edge_type, edges[0]).values() if d[0].node.name.value == "node"]
        if len(nodes) != 1:
            return None
        return self._object_sql(node_type, nodes[0])

    def _object_sql(self, type_name: str, details: Any) -> str | None:
        try:
            built = sql_json.node_json(self, type_name, details)
        except sql_json.Unsupported:
            return None
        # asyncpg hands json back as bytes for a column of unknown type; text comes back as str.
        return built if self.db.dialect == "sqlite" else f"CAST({built} AS TEXT)"

    def columns_for(self, type_name: str, details: Any) -> list[str]:
        """The columns rows of ``type_name`` need for this selection (always their id)."""
        builders = BUILDERS.get(type_name, {})
        wanted = {"id"}
        for field_details in self._grouped(type_name, details).values():
            name = field_details[0].node.name.value
            if type_name == "Partner" and name == "events":
                continue
            builder = builders.get(name)
            if builder is None:
                raise Unsupported(f"{type_name}.{name}")
            wanted.update(builder.columns)
        return sorted(wanted)

    async def objects(self, type_name: str, rows: list[Any], details: Any) -> list[dict[str, Any]]:
        """The selection of ``details`` on every row of ``type_name``, field by field for all rows."""
        outputs: list[dict[str, Any]] = [{} for _ in rows]
        if not rows:
            return outputs
        type_ = self._type(type_name)
        grouped = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, type_, details
        ).grouped_field_set
        builders = BUILDERS.get(type_name)
        for key, field_details in grouped.items():
            name = field_details[0].node.name.value
            if type_name == "Partner" and name == "events":
                await self._partner_events(rows, outputs, key, field_details)
                continue
            builder: Builder | None = builders.get(name) if builders is not None else None
            if builder is None:
                raise Unsupported(f"{type_name}.{name}")
            args = self._arguments(type_, name, field_details) if field_details[0].node.arguments else {}
            await builder.build(self, rows, outputs, key, field_details, args)
        return outputs

    async def connection(
        self, type_name: str, node_type: str, page: Page[Any], details: Any
    ) -> dict[str, Any]:
        type_ = self._type(type_name)
        grouped = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, type_, details
        ).grouped_field_set
        out: dict[str, Any] = {}
        for key, field_details in grouped.items():
            name = field_details[0].node.name.value
            if name == "edges":
                out[key] = await self._edges(
                    type_name.replace("Connection", "Edge"), node_type, page, field_details
                )
            elif name == "pageInfo":
                out[key] = self._page_info(page, field_details)
            elif name == "totalCount":
                out[key] = await page.count()
            elif name == "__typename":
                out[key] = type_name
            else:
                raise Unsupported(f"{type_name}.{name}")
        return out

    async def _edges(
        self, edge_type: str, node_type: str, page: Page[Any], details: Any
    ) -> list[dict[str, Any]]:
        grouped = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, self._type(edge_type), details
        ).grouped_field_set
        edges: list[dict[str, Any]] = [{} for _ in page.items]
        for key, field_details in grouped.items():
            name = field_details[0].node.name.value
            if name == "cursor":
                for edge, cursor in zip(edges, page.cursors, strict=True):
                    edge[key] = cursor
            elif name == "node" and page.items and "node_json" in page.items[0]._fields:
                for edge, row in zip(edges, page.items, strict=True):
                    edge[key] = Fragment(row.node_json)
            elif name == "node":
                for edge, node in zip(
                    edges, await self.objects(node_type, page.items, field_details), strict=True
                ):
                    edge[key] = node
            elif name == "__typename":
                for edge in edges:
                    edge[key] = edge_type
            else:
                raise Unsupported(f"{edge_type}.{name}")
        return edges

    def _page_info(self, page: Page[Any], details: Any) -> dict[str, Any]:
        grouped = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, self._type("PageInfo"), details
        ).grouped_field_set
        values = {
            "hasNextPage": page.has_next_page,
            "hasPreviousPage": page.has_previous_page,
            "startCursor": page.cursors[0] if page.cursors else None,
            "endCursor": page.cursors[-1] if page.cursors else None,
            "__typename": "PageInfo",
        }
        return {key: values[d[0].node.name.value] for key, d in grouped.items()}

    async def _partner_events(
        self, rows: list[Any], outs: list[dict[str, Any]], key: str, details: Any
    ) -> None:
        args = self._arguments(self._type("Partner"), "events", details)
        for row, out in zip(rows, outs, strict=True):
            page = await content.list_partner_events(
                self.db,
                partner_id=row.id,
                visibility=self.visibility,
                filter=event_filter(args.get("filter")),
                order=args.get("orderBy") or content.EventOrder.DATE_ASC,
                page=PageRequest(first=args.get("first"), after=args.get("after")),
            )
            out[key] = await self.connection("EventConnection", "Event", page, details)


async def _events(run: Run, key: str, args: dict[str, Any], details: Any) -> Any:
    page = await content.list_events(
        run.db,
        visibility=run.visibility,
        filter=event_filter(args.get("filter")),
        order=args.get("orderBy") or content.EventOrder.DATE_ASC,
        page=_page(args),
        columns=run.node_columns(key, "EventConnection", "Event", details),
    )
    return await run.connection("EventConnection", "Event", page, details)


async def _partners(run: Run, key: str, args: dict[str, Any], details: Any) -> Any:
    raw = args.get("filter")
    found = (
        None
        if raw is None
        else PartnerFilter(_enum_value(raw.get("kind")), raw.get("country"), raw.get("text"))
    )
    page = await content.list_partners(
        run.db,
        visibility=run.visibility,
        filter=found,
        order=args.get("orderBy") or content.PartnerOrder.NAME_ASC,
        page=_page(args),
        columns=run.node_columns(key, "PartnerConnection", "Partner", details),
    )
    return await run.connection("PartnerConnection", "Partner", page, details)


async def _agreements(run: Run, key: str, args: dict[str, Any], details: Any) -> Any:
    raw = args.get("filter")
    found = (
        None
        if raw is None
        else AgreementFilter(
            _enum_value(raw.get("kind")),
            raw.get("partner"),
            raw.get("yearFrom"),
            raw.get("yearTo"),
            raw.get("text"),
        )
    )
    page = await content.list_agreements(
        run.db,
        visibility=run.visibility,
        filter=found,
        page=_page(args),
        columns=run.node_columns(key, "AgreementConnection", "Agreement", details),
    )
    return await run.connection("AgreementConnection", "Agreement", page, details)


async def _exhibits(run: Run, key: str, args: dict[str, Any], details: Any) -> Any:
    raw = args.get("filter")
    found = (
        None
        if raw is None
        else ExhibitFilter(_enum_value(raw.get("kind")), raw.get("partner"), raw.get("text"))
    )
    page = await content.list_exhibits(
        run.db,
        visibility=run.visibility,
        filter=found,
        page=_page(args),
        columns=run.node_columns(key, "ExhibitConnection", "Exhibit", details),
    )
    return await run.connection("ExhibitConnection", "Exhibit", page, details)


def _lookup(type_name: str) -> Any:
    async def resolve(run: Run, key: str, args: dict[str, Any], details: Any) -> Any:
        columns = run.object_columns(key, type_name, details)
        row = await content.lookup(
            run.db,
            type_name,
            run.visibility,
            global_id=args.get("id"),
            slug=args.get("slug"),
            columns=columns,
        )
        if row is None:
            return None
        if columns is not None:
            return Fragment(row.node_json)
        return (await run.objects(type_name, [row], details))[0]

    return resolve


async def _timeline(run: Run, _key: str, args: dict[str, Any], details: Any) -> Any:
    groups = await content.timeline(
        run.db, visibility=run.visibility, year_from=args.get("yearFrom"), year_to=args.get("yearTo")
    )
    grouped = collect_subfields(
        run.schema, run.fragments, run.variables, run.operation, run._type("YearGroup"), details
    ).grouped_field_set
    outs: list[dict[str, Any]] = [{} for _ in groups]
    for key, field_details in grouped.items():
        name = field_details[0].node.name.value
        if name == "year":
            for group, out in zip(groups, outs, strict=True):
                out[key] = group.year
        elif name == "events":
            rows = [row for group in groups for row in group.events]
            built = iter(await run.objects("Event", rows, field_details))
            for group, out in zip(groups, outs, strict=True):
                out[key] = [next(built) for _ in group.events]
        elif name == "__typename":
            for out in outs:
                out[key] = "YearGroup"
        else:
            raise Unsupported(f"YearGroup.{name}")
    return outs


ROOT_FIELDS = {
    "events": _events,
    "partners": _partners,
    "agreements": _agreements,
    "exhibits": _exhibits,
    "event": _lookup("Event"),
    "partner": _lookup("Partner"),
    "agreement": _lookup("Agreement"),
    "exhibit": _lookup("Exhibit"),
    "timeline": _timeline,
}


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
) -> dict[str, Any]:
    """The ``data`` of a valid query document; raises Unsupported (or any error) to step aside.

    ``data`` may hold orjson Fragments (JSON the database built): serialize it with orjson.
    ``sql_cache`` keeps SQL compiled for this document between requests.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        raise Unsupported("not a query")
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    if isinstance(variables, list):
        raise Unsupported("variables do not coerce")
    return await Run(schema, document, operation, variables, db, locale, visibility, sql_cache).root()
