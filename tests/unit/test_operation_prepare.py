"""accord.operation.prepare: a document prepared once (tokens, parse, limits, validation), the
limits refusing with their codes before graphql-core's validation runs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from graphql import GraphQLSchema, Lexer, OperationType, Source, Token, TokenKind

from accord.operation.prepare import Limits, Preparer, count_tokens
from tests.unit.test_operation_shape import bomb


@pytest.fixture(scope="module")
def preparer(graphql_schema: GraphQLSchema) -> Preparer:
    return Preparer(graphql_schema, Limits())


def codes(preparer: Preparer, query: str) -> list[str]:
    return [error.extensions["code"] for error in preparer.prepare(query).errors if error.extensions]


@pytest.mark.parametrize(
    ("source", "tokens"),
    [
        ("{ a }", 3),
        ("query Q($n: Int = 3) { a(first: $n) @skip(if: false) }", 26),
        ('{ a(text: "a b { } c") }', 8),  # a string is one token
        ('{ a(text: """block "quoted" { }""") }', 8),
        ("# a comment { } { }\n{ a }", 3),  # comments are not tokens
        ("{ ...F } fragment F on T { a }", 11),
        ("{ a(n: -1.5e3) }", 8),
    ],
)
def test_count_tokens(source: str, tokens: int) -> None:
    assert count_tokens(source, 1_000) == tokens == len(lexed(source))


def lexed(source: str) -> list[Token]:
    """graphql-core's own tokens, comments left out."""
    lexer, tokens = Lexer(Source(source)), []
    while (token := lexer.advance()).kind is not TokenKind.EOF:
        if token.kind is not TokenKind.COMMENT:
            tokens.append(token)
    return tokens


def test_count_tokens_agrees_with_the_parser_on_the_documented_queries() -> None:
    documents = sorted((Path(__file__).parents[2] / "docs" / "queries").glob("*.graphql"))
    assert documents
    for path in documents:
        source = path.read_text()
        assert count_tokens(source, 100_000) == len(lexed(source)), path.name


def test_count_tokens_stops_past_the_limit() -> None:
    assert count_tokens("{ a }" * 1_000, 10) == 11


def test_a_valid_document_is_prepared_once(preparer: Preparer) -> None:
    query = "query Front($n: Int) { events(first: $n) { totalCount } }"
    prepared = preparer.prepare(query)
    assert prepared.errors == [] and prepared.document is not None
    assert preparer.prepare(query) is prepared  # from the cache
    assert prepared.operation_type(None) is OperationType.QUERY
    assert prepared.operation_type("Other") is None
    assert prepared.variable_names == frozenset({"n"})


def test_undeclared_variables_do_not_change_the_key(preparer: Preparer) -> None:
    prepared = preparer.prepare("query($n: Int) { events(first: $n) { totalCount } }")
    assert (
        prepared.variables_key(None) == prepared.variables_key({}) == prepared.variables_key({"x": 1}) == b""
    )
    assert (
        prepared.variables_key({"n": 1})
        == prepared.variables_key({"n": 1, "x": 2})
        != prepared.variables_key({"n": 2})
    )


def test_syntax_and_validation_errors(preparer: Preparer) -> None:
    assert preparer.prepare("{ events {").document is None
    assert codes(preparer, "{ events { nope } }") == []  # graphql-core's own: classified later
    assert "nope" in preparer.prepare("{ events { nope } }").errors[0].message


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (
            "{ "
            + "events { edges { node { partners { agreements { parties { " * 2
            + "slug"
            + " } } } } } }" * 2
            + " }",
            "DEPTH_LIMIT_EXCEEDED",
        ),
        ("{ " + " ".join(f"a{n}: events {{ totalCount }}" for n in range(16)) + " }", "ALIAS_LIMIT_EXCEEDED"),
        ("{ events { " + "totalCount @include(if: true) " * 51 + "} }", "DIRECTIVE_LIMIT_EXCEEDED"),
        (bomb(12), "SELECTION_LIMIT_EXCEEDED"),
        ("{ events { " + "totalCount " * 50 + "} }", "FIELD_OVERLAP_LIMIT_EXCEEDED"),
        ("{ " + "a " * 2_001 + "}", "TOKEN_LIMIT_EXCEEDED"),
    ],
)
def test_each_limit_refuses_with_its_code(preparer: Preparer, query: str, code: str) -> None:
    prepared = preparer.prepare(query)
    assert prepared.document is None
    assert code in codes(preparer, query), prepared.errors
    limit = next(error for error in prepared.errors if error.extensions and error.extensions["code"] == code)
    assert isinstance(limit.extensions, dict) and isinstance(limit.extensions["limit"], int)


def test_a_fragment_cycle_is_answered_before_validation(preparer: Preparer) -> None:
    prepared = preparer.prepare(
        "{ events { edges { node { ...A } } } } fragment A on Event { ...B } fragment B on Event { ...A }"
    )
    assert [error.extensions for error in prepared.errors] == [{"code": "GRAPHQL_VALIDATION_FAILED"}]
    assert prepared.errors[0].message == 'Cannot spread fragment "A" within itself via A → B → A.'


def test_introspection_can_be_turned_off(graphql_schema: GraphQLSchema) -> None:
    closed = Preparer(graphql_schema, Limits(introspection=False))
    assert closed.prepare("{ __schema { queryType { name } } }").errors
    assert not closed.prepare("{ __typename }").errors


def test_cost_is_computed_per_operation_and_variables(preparer: Preparer) -> None:
    prepared = preparer.prepare("query($n: Int) { events(first: $n) { edges { node { slug } } } }")
    small, _ = preparer.check_cost(prepared, None, {"n": 2})
    large, error = preparer.check_cost(prepared, None, {"n": 100})
    assert (small, large, error) == (1 + 2 * 3, 1 + 100 * 3, None)  # events, then edges, node, slug per item


def test_a_query_over_budget_is_refused_with_its_cost(graphql_schema: GraphQLSchema) -> None:
    tight = Preparer(graphql_schema, Limits(cost_budget=100))
    prepared = tight.prepare("{ events(first: 100) { edges { node { slug } } } }")
    cost, error = tight.check_cost(prepared, None, None)
    assert cost == 301 and error is not None
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX", "cost": 301, "budget": 100}


def _all_calls(action: Callable[[], Any]) -> int:
    count = 0

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def test_a_fragment_bomb_is_refused_in_linear_work(graphql_schema: GraphQLSchema) -> None:
    """Parse and limits together, counted in Python calls (graphql-core's parser included)."""
    work: dict[int, int] = {}
    for levels in (20, 40, 80):
        fresh = Preparer(graphql_schema, Limits())
        query = bomb(levels)
        work[levels] = _all_calls(partial(fresh.prepare, query))
        assert codes(fresh, query) == ["SELECTION_LIMIT_EXCEEDED"]
    first, second = work[40] - work[20], work[80] - work[40]
    assert first > 0 and second <= 2.2 * first, work
