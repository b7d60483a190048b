"""The example operations of docs/queries/ suit normalizing client caches (Apollo InMemoryCache,
urql graphcache): every selection of a type that has an ``id`` selects it, so the caches can key the
object instead of warning about data they cannot merge. The types without an id (PartialDate,
YearGroup, connections, edges, PageInfo) are those docs/api.md's cache configuration names."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    get_named_type,
    parse,
    validate,
)

ROOT = Path(__file__).parent.parent
QUERIES = sorted((ROOT / "docs" / "queries").glob("*.graphql"))
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())
# What docs/api.md tells client caches to keep without a key: exactly the object types without id.
UNKEYED = {
    "PartialDate",
    "YearGroup",
    "PageInfo",
    "EventConnection",
    "EventEdge",
    "PartnerConnection",
    "PartnerEdge",
    "AgreementConnection",
    "AgreementEdge",
    "ExhibitConnection",
    "ExhibitEdge",
    # Answers of one mutation, never cached or normalised by a client.
    "CreatedWebhook",
    "PreviewLink",
}


def missing_ids(
    schema: GraphQLSchema, selections: SelectionSetNode, parent: GraphQLNamedType, path: str
) -> list[str]:
    """Paths of object selections that leave out an ``id`` their type has."""
    problems: list[str] = []
    if isinstance(parent, GraphQLObjectType):
        possible: list[GraphQLObjectType] = [parent]
    else:
        assert isinstance(parent, GraphQLInterfaceType | GraphQLUnionType)
        possible = list(schema.get_possible_types(parent))
    for concrete in possible:
        fields = _fields_for(selections, concrete)
        if "id" in concrete.fields and "id" not in {f.name.value for f in fields}:
            problems.append(f"{path} ({concrete.name})")
        for field in fields:
            if field.selection_set is None or field.name.value not in concrete.fields:
                continue
            child = get_named_type(concrete.fields[field.name.value].type)
            name = field.alias.value if field.alias else field.name.value
            problems += missing_ids(schema, field.selection_set, child, f"{path}.{name}")
    return sorted(set(problems))


def _fields_for(selections: SelectionSetNode, concrete: GraphQLObjectType) -> list[FieldNode]:
    fields: list[FieldNode] = []
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            fields.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if (
                condition is None
                or condition.name.value == concrete.name
                or (condition.name.value in {i.name for i in concrete.interfaces})
            ):
                fields += _fields_for(selection.selection_set, concrete)
    return fields


def operation_problems(text: str) -> list[str]:
    document = parse(text)
    assert validate(SCHEMA, document) == []
    problems: list[str] = []
    for definition in document.definitions:
        assert isinstance(definition, OperationDefinitionNode)
        root = SCHEMA.query_type
        assert root is not None
        problems += missing_ids(SCHEMA, definition.selection_set, root, "query")
    return problems


@pytest.mark.parametrize("path", QUERIES, ids=[path.name for path in QUERIES])
def test_every_example_selects_the_id_of_every_type_that_has_one(path: Path) -> None:
    assert operation_problems(path.read_text()) == []


def test_the_check_finds_a_missing_id() -> None:
    text = "{ timeline { year events { id partners { slug } date { iso } } } }"
    assert operation_problems(text) == ["query.timeline.events.partners (Partner)"]
    union = '{ search(query: "x") { ... on Event { id } ... on Partner { slug } } }'
    assert operation_problems(union) == [
        "query.search (Agreement)",
        "query.search (Exhibit)",
        "query.search (Partner)",
    ]


def test_the_unkeyed_types_are_exactly_those_without_an_id() -> None:
    without_id = {
        name
        for name, named in SCHEMA.type_map.items()
        if isinstance(named, GraphQLObjectType)
        and not name.startswith("__")
        and "id" not in named.fields
        and named not in (SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type)
    }
    assert without_id == UNKEYED
