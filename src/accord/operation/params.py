"""The parameters of a GraphQL request (query, variables, operationName, extensions), read and
checked the same way whichever transport carried them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

# Variables nest as deep as the schema's input types (a write input holds lists of objects).
# orjson reads JSON 1,024 levels deep but writes at most 254; re-serialising a deeper value (for
# a cache key) would fail on input that parsed fine, so deeper values are refused up front.
MAX_JSON_DEPTH = 32


class BadParams(ValueError):
    """The request's parameters are not a GraphQL request (the transport answers 400 / 4400)."""


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def check_json(value: Any, name: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse a JSON value that nests more than ``limit`` arrays and objects. Iterative and linear
    in the size of the value."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            raise BadParams(f"{name} nest more than {limit} levels deep")
        pending.extend((child, depth + 1) for child in children)


def json_param(raw: str | None, name: str) -> Any:
    """A GET parameter holding JSON (``variables``, ``extensions``)."""
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadParams(f"the {name} parameter is not valid JSON") from None


def params_from_mapping(data: Any) -> GraphQLParams:
    if not isinstance(data, dict):
        raise BadParams("the request body must be a JSON object with a query")
    query = data.get("query")
    variables = data.get("variables")
    operation_name = data.get("operationName")
    extensions = data.get("extensions")
    if query is not None and not isinstance(query, str):
        raise BadParams("query must be a string")
    if variables is not None and not isinstance(variables, dict):
        raise BadParams("variables must be an object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadParams("operationName must be a string")
    if extensions is not None and not isinstance(extensions, dict):
        raise BadParams("extensions must be an object")
    for name, value in (("variables", variables), ("extensions", extensions)):
        if value is not None:
            check_json(value, name)
    return GraphQLParams(query, variables, operation_name, extensions)
