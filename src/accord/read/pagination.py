"""Cursor pagination (Relay connections) as keyset queries: no OFFSET, stable under inserts.

A cursor carries the sort key of its row, tagged with the connection it belongs to, so a cursor of
one list given to another is refused instead of silently misread.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, or_

from accord.content.model import Order
from accord.core.errors import BadInput
from accord.core.numbers import MAX_INT
from accord.core.row_types import ResultRow

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def __post_init__(self) -> None:
        for name in ("first", "last"):
            value = getattr(self, name)
            if value is None:
                continue
            if value < 0:
                raise BadInput(f"{name} must not be negative", field=name)
            if value > MAX_PAGE_SIZE:
                raise BadInput(f"{name} must be at most {MAX_PAGE_SIZE} (asked for {value})", field=name)
        if self.first is not None and self.last is not None:
            raise BadInput("give first or last, not both", field="last")

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> PageRequest:
        """The page a field's ``first``, ``after``, ``last`` and ``before`` arguments ask for."""
        get = arguments.get
        return cls(get("first"), get("after"), get("last"), get("before"))

    @property
    def backwards(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)

    @property
    def size(self) -> int:
        size = self.last if self.backwards else self.first
        return DEFAULT_PAGE_SIZE if size is None else size


@dataclass
class Page:
    items: list[ResultRow]
    sort: Order
    has_next_page: bool
    has_previous_page: bool
    count: Callable[[], Awaitable[int]]

    @cached_property
    def cursors(self) -> list[str]:
        """Encoded only if the query asks for a cursor: most pages are read without them."""
        return [encode_cursor(self.sort.tag, key_of(self.sort, row)) for row in self.items]


def encode_cursor(tag: str, key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([tag, list(key)])).decode().rstrip("=")


def decode_cursor(cursor: str, tag: str, width: int, *, field: str, types: Sequence[type] = ()) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found_tag, key = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, TypeError):
        raise BadInput(f"{field}: not a valid cursor", field=field) from None
    if found_tag != tag or not isinstance(key, list) or len(key) != width:
        raise BadInput(f"{field}: the cursor belongs to another list", field=field)
    expected = types or [type(part) for part in key]
    if not all(type(part) is kind and kind in (int, str) for part, kind in zip(key, expected, strict=True)):
        raise BadInput(f"{field}: not a valid cursor", field=field)
    # The sort keys are INTEGER columns (PostgreSQL's int4) and text without NUL.
    if any(part > MAX_INT or part < -MAX_INT if type(part) is int else "\0" in part for part in key):
        raise BadInput(f"{field}: not a valid cursor", field=field)
    return key


def _types(sort: Order) -> list[type]:
    return [column.type.python_type for column in sort.columns]


def _after(sort: Order, values: Sequence[Any], *, reverse: bool) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in this order (before them when ``reverse``)."""
    forward = sort.descending == reverse
    clauses = []
    for depth, column in enumerate(sort.columns):
        equal = [c == v for c, v in zip(sort.columns[:depth], values[:depth], strict=True)]
        value = values[depth]
        step = column < value if not forward else column > value
        clauses.append(and_(*equal, step))
    return or_(*clauses)


def _ordering(sort: Order, *, reverse: bool) -> list[ColumnElement[Any]]:
    descending = sort.descending != reverse
    return [column.desc() if descending else column.asc() for column in sort.columns]


def key_of(sort: Order, row: ResultRow) -> list[Any]:
    return [row._mapping[column] for column in sort.columns]


async def paginate(
    run: Callable[[Select[Any]], Awaitable[list[ResultRow]]],
    query: Select[Any],
    sort: Order,
    page: PageRequest,
    count: Callable[[], Awaitable[int]],
    columns: Sequence[ColumnElement[Any]] | None = None,
) -> Page:
    """Run ``query`` (already filtered) for one page; ``count`` is only awaited if asked for.

    ``columns``: select these (and the sort columns, for the cursors) instead of the whole rows.
    """
    reverse = page.backwards
    bounded = query
    # Rows after ``after`` and before ``before``; the cursor the page is read from is checked first.
    cursors = (("after", page.after, False), ("before", page.before, True))
    for field, cursor, backwards in reversed(cursors) if reverse else cursors:
        if cursor is not None:
            key = decode_cursor(cursor, sort.tag, len(sort.columns), field=field, types=_types(sort))
            bounded = bounded.where(_after(sort, key, reverse=backwards))
    if columns is not None:
        bounded = bounded.with_only_columns(*sort.columns, *columns)
    size = page.size
    # One row more than asked tells whether there is a next page (also for first: 0). The limit is
    # written into the statement, not sent as a parameter: PostgreSQL plans a prepared statement
    # with LIMIT $n for every execution (a generic plan must assume a tenth of the table), about as
    # long as running it; with the number in the text it keeps one plan per page size.
    limit: BindParameter[int] = bindparam("page_limit", size + 1, literal_execute=True)
    rows = await run(bounded.order_by(*_ordering(sort, reverse=reverse)).limit(limit))
    has_more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
    return Page(
        items=rows,
        sort=sort,
        has_next_page=has_more if not reverse else page.before is not None,
        has_previous_page=has_more if reverse else page.after is not None,
        count=count,
    )
