"""accord.operation.cost: the price of an operation before it runs. Every field costs 1; a list
multiplies what is selected inside it by the items it can return."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, get_operation_ast, parse

from accord.content.fields import Linked
from accord.content.model import CONTENT_TYPES
from accord.operation.cost import DEFAULT_LIST_ESTIMATE, LIST_ESTIMATES, operation_cost
from accord.read.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


@pytest.fixture(scope="module")
def cost(graphql_schema: GraphQLSchema) -> Any:
    def price(query: str, variables: dict[str, Any] | None = None, operation_name: str | None = None) -> int:
        document = parse(query)
        operation = get_operation_ast(document, operation_name)
        assert isinstance(operation, OperationDefinitionNode)
        return operation_cost(graphql_schema, document, operation, variables)

    return price


# events, and per item: edges, node, slug (a connection's edges are counted by its page size)
PER_EVENT = 3


def test_a_connection_multiplies_by_its_page(cost: Any) -> None:
    assert cost("{ events { totalCount } }") == 1 + DEFAULT_PAGE_SIZE * 1
    assert cost("{ events(first: 5) { edges { node { slug } } } }") == 1 + 5 * PER_EVENT
    assert cost("{ events(last: 7) { edges { node { slug } } } }") == 1 + 7 * PER_EVENT
    assert cost("{ partners(first: 2) { pageInfo { hasNextPage endCursor } } }") == 1 + 2 * 3


def test_page_sizes_are_capped_at_the_largest_page(cost: Any) -> None:
    assert cost("{ events(first: 100000) { totalCount } }") == 1 + MAX_PAGE_SIZE
    assert cost("{ events(first: -5) { totalCount } }") == 1 + 1  # refused when run; never priced below 1


def test_variables_and_their_defaults(cost: Any) -> None:
    query = "query($n: Int) { events(first: $n) { edges { node { slug } } } }"
    assert cost(query, {"n": 4}) == 1 + 4 * PER_EVENT
    assert cost(query, {}) == 1 + DEFAULT_PAGE_SIZE * PER_EVENT  # no value: the default page
    assert cost(query, {"n": None}) == 1 + DEFAULT_PAGE_SIZE * PER_EVENT
    with_default = "query($n: Int = 9) { events(first: $n) { edges { node { slug } } } }"
    assert cost(with_default, None) == 1 + 9 * PER_EVENT
    assert cost(with_default, {"n": 2}) == 1 + 2 * PER_EVENT  # the value given wins over the default


@pytest.mark.parametrize("value", ["ten", True, 2.5, [3], {"n": 3}])
def test_a_value_the_cost_model_cannot_read_counts_as_the_largest_page(cost: Any, value: Any) -> None:
    assert cost("query($n: Int) { events(first: $n) { totalCount } }", {"n": value}) == 1 + MAX_PAGE_SIZE


def test_an_integral_float_is_an_int(cost: Any) -> None:
    # GraphQL's Int accepts 100.0 as 100.
    assert cost("query($n: Int) { events(first: $n) { totalCount } }", {"n": 3.0}) == 1 + 3


def test_unpaginated_lists_use_their_estimates(cost: Any) -> None:
    # node: 1 + partners (1 + 3 x slug) = 5; edges: 6; events: 1 + 2 x 6
    assert cost("{ events(first: 2) { edges { node { partners { slug } } } } }") == 1 + 2 * 6
    nested = '{ agreement(slug: "a") { parties { agreements { title } } } }'
    assert cost(nested) == 1 + (1 + 2 * (1 + 3 * 1))
    assert cost("{ timeline { year events { slug } } }") == 1 + 30 * (1 + (1 + 4 * 1))


def test_search_multiplies_by_its_first(cost: Any) -> None:
    assert cost('{ search(query: "wto") { __typename } }') == 1 + DEFAULT_PAGE_SIZE
    assert cost('{ search(query: "wto", first: 3) { ... on Event { slug title } } }') == 1 + 3 * 2


def test_fragments_are_priced_where_they_are_spread(cost: Any) -> None:
    fragment = "fragment F on Event { slug partners { slug } }"  # 1 + (1 + 3)
    assert cost(f"{{ events(first: 10) {{ edges {{ node {{ ...F }} }} }} }} {fragment}") == 1 + 10 * (
        1 + 1 + 5
    )
    twice = f'{{ a: event(slug: "x") {{ ...F }} b: event(slug: "y") {{ ...F ...F }} }} {fragment}'
    assert cost(twice) == (1 + 5) + (1 + 10)
    inline = '{ event(slug: "x") { ... on Event { slug } ... { title } } }'
    assert cost(inline) == 1 + 2


def test_nested_fragments_multiply(cost: Any) -> None:
    query = """{ events(first: 4) { edges { node { ...E } } } }
      fragment E on Event { partners { ...P } }
      fragment P on Partner { agreements { title } }"""
    partner = 1 + 3 * 1  # agreements: estimate 3
    event = 1 + 3 * partner  # partners: estimate 3
    assert cost(query) == 1 + 4 * (1 + 1 + event)


def test_introspection_costs_one(cost: Any) -> None:
    assert cost("{ __schema { types { name fields { name type { name } } } } }") == 1
    assert cost("{ __typename events(first: 1) { __typename } }") == 1 + (1 + 1)


def test_the_named_operation_is_priced(cost: Any) -> None:
    document = (
        "query Small { events(first: 1) { totalCount } } query Large { events(first: 50) { totalCount } }"
    )
    assert cost(document, operation_name="Small") == 2
    assert cost(document, operation_name="Large") == 51


def test_mutations_are_priced_on_the_mutation_root(cost: Any) -> None:
    assert cost('mutation { deleteEvent(id: "x") }') == 1


def test_the_estimates_are_the_content_models() -> None:
    """Each linked list of the content model is priced with the estimate its declaration gives."""
    declared = {
        (content.name, spec.name): spec.estimate
        for content in CONTENT_TYPES
        for spec in content.of_kind(Linked)
    }
    assert declared
    for key, estimate in declared.items():
        assert LIST_ESTIMATES.get(key, DEFAULT_LIST_ESTIMATE) == estimate, key
