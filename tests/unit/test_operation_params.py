"""accord.operation.params: a GraphQL request's parameters, read the same way on every transport."""

from __future__ import annotations

from typing import Any

import pytest

from accord.operation.params import MAX_JSON_DEPTH, BadParams, check_json, json_param, params_from_mapping


def _nested(depth: int, *, kind: str = "list") -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


def test_a_full_request() -> None:
    params = params_from_mapping(
        {
            "query": "query Q($n: Int) { events(first: $n) { totalCount } }",
            "variables": {"n": 3},
            "operationName": "Q",
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}},
        }
    )
    assert params.query is not None and params.query.startswith("query Q")
    assert params.variables == {"n": 3}
    assert params.operation_name == "Q"
    assert params.extensions == {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}


def test_absent_and_null_parameters_are_none() -> None:
    params = params_from_mapping({"query": "{ __typename }", "variables": None, "operationName": None})
    assert (params.variables, params.operation_name, params.extensions) == (None, None, None)
    assert params_from_mapping({}).query is None  # a persisted query's hash may stand for it


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ("{ __typename }", "must be a JSON object"),
        (None, "must be a JSON object"),
        ({"query": 1}, "query must be a string"),
        ({"query": ["{ a }"]}, "query must be a string"),
        ({"query": "{ a }", "variables": []}, "variables must be an object"),
        ({"query": "{ a }", "variables": "{}"}, "variables must be an object"),
        ({"query": "{ a }", "operationName": 3}, "operationName must be a string"),
        ({"query": "{ a }", "extensions": [1]}, "extensions must be an object"),
    ],
)
def test_parameters_of_the_wrong_type_are_refused(data: Any, message: str) -> None:
    with pytest.raises(BadParams, match=message):
        params_from_mapping(data)


@pytest.mark.parametrize("kind", ["list", "object"])
def test_json_nesting_is_limited(kind: str) -> None:
    check_json(_nested(MAX_JSON_DEPTH, kind=kind), "variables")
    with pytest.raises(BadParams, match=f"variables nest more than {MAX_JSON_DEPTH} levels deep"):
        check_json(_nested(MAX_JSON_DEPTH + 1, kind=kind), "variables")


def test_the_limit_is_applied_to_variables_and_extensions() -> None:
    deep = {"a": _nested(MAX_JSON_DEPTH)}
    with pytest.raises(BadParams, match=r"^variables nest"):
        params_from_mapping({"query": "{ a }", "variables": deep})
    with pytest.raises(BadParams, match=r"^extensions nest"):
        params_from_mapping({"query": "{ a }", "extensions": deep})


def test_object_keys_count_as_children() -> None:
    check_json({"k": 1}, "variables", limit=1)
    with pytest.raises(BadParams):
        check_json({"k": {"j": 1}}, "variables", limit=1)


def test_a_value_far_deeper_than_pythons_stack_is_refused_without_recursion() -> None:
    with pytest.raises(BadParams):
        check_json(_nested(100_000), "variables")


def test_a_wide_value_is_accepted() -> None:
    check_json({str(n): [n, {"x": [n]}] for n in range(20_000)}, "variables")


def test_get_parameters_holding_json() -> None:
    assert json_param(None, "variables") is None
    assert json_param("", "variables") is None
    assert json_param('{"n": 3}', "variables") == {"n": 3}
    assert json_param("[1]", "variables") == [1]  # its type is params_from_mapping's to check
    with pytest.raises(BadParams, match="the variables parameter is not valid JSON"):
        json_param("{n: 3}", "variables")
    with pytest.raises(BadParams, match="the extensions parameter is not valid JSON"):
        json_param('{"a": 1', "extensions")
