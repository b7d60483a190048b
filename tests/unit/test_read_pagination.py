"""accord.read.pagination: cursors (tagged with their list, range-checked, refused when forged) and
keyset pages, walked forwards and backwards over an in-memory SQLite table with ties."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from accord.content.model import Order
from accord.core.errors import BadInput
from accord.core.numbers import MAX_INT
from accord.read.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    PageRequest,
    decode_cursor,
    encode_cursor,
    paginate,
)

METADATA = MetaData()
ITEMS = Table(
    "item", METADATA, Column("id", Integer, primary_key=True), Column("rank", Integer), Column("name", String)
)
ORDERS = {
    "rank+": Order("RANK_ASC", "it+", (ITEMS.c.rank, ITEMS.c.id)),
    "rank-": Order("RANK_DESC", "it-", (ITEMS.c.rank, ITEMS.c.id), descending=True),
    "name+": Order("NAME_ASC", "in+", (ITEMS.c.name, ITEMS.c.id)),
}


def _raw(value: Any) -> str:
    """A cursor as a client could forge it (json: orjson cannot write integers past 64 bits)."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# -- cursors ------------------------------------------------------------------------------------


@given(st.lists(st.integers(-MAX_INT, MAX_INT) | st.text().filter(lambda t: "\0" not in t), max_size=4))
def test_cursors_round_trip(key: list[Any]) -> None:
    cursor = encode_cursor("ev+", key)
    assert "=" not in cursor
    assert decode_cursor(cursor, "ev+", len(key), field="after") == key


def test_a_cursor_of_another_list_is_refused() -> None:
    cursor = encode_cursor("ev+", [20130000, 7])
    with pytest.raises(BadInput, match=r"^after: the cursor belongs to another list$") as refused:
        decode_cursor(cursor, "ev-", 2, field="after")
    assert refused.value.field == "after"
    with pytest.raises(BadInput, match="belongs to another list"):
        decode_cursor(cursor, "ev+", 3, field="after")  # another width: another order


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGpzb24",  # "not json"
        _raw({"tag": "ev+"}),
        _raw(["ev+", [1, 2], "extra"]),
        _raw(["ev+", [True, 2]]),  # a boolean is not an integer here
        _raw(["ev+", [1.5, 2]]),
        _raw(["ev+", [None, 2]]),
        _raw(["ev+", [[1], 2]]),
        _raw(["ev+", [MAX_INT + 1, 2]]),  # past the INTEGER column it is compared with
        _raw(["ev+", [-MAX_INT - 1, 2]]),
        _raw(["ev+", [2**70, 2]]),
        _raw(["ev+", ["2013", 2]]),  # a string where the column is an integer
    ],
)
def test_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(BadInput) as refused:
        decode_cursor(cursor, "ev+", 2, field="before", types=(int, int))
    assert refused.value.field == "before"
    assert str(refused.value).startswith("before: ")


def test_text_keys_may_not_hold_nul() -> None:
    assert decode_cursor(_raw(["in+", ["WTO", 3]]), "in+", 2, field="after", types=(str, int)) == ["WTO", 3]
    with pytest.raises(BadInput, match="not a valid cursor"):
        decode_cursor(_raw(["in+", ["W\0TO", 3]]), "in+", 2, field="after", types=(str, int))
    with pytest.raises(BadInput, match="not a valid cursor"):
        decode_cursor(_raw(["in+", [3, "WTO"]]), "in+", 2, field="after", types=(str, int))


def test_without_expected_types_only_integers_and_strings_pass() -> None:
    assert decode_cursor(_raw(["x", [1, "a"]]), "x", 2, field="after") == [1, "a"]
    with pytest.raises(BadInput):
        decode_cursor(_raw(["x", [1, 2.0]]), "x", 2, field="after")


# -- page requests ------------------------------------------------------------------------------


def test_page_requests() -> None:
    assert PageRequest().size == DEFAULT_PAGE_SIZE and not PageRequest().backwards
    assert PageRequest(first=5).size == 5
    assert PageRequest(last=5).backwards and PageRequest(last=5).size == 5
    assert PageRequest(before="c").backwards  # before alone reads backwards from the cursor
    assert not PageRequest(first=3, before="c").backwards
    assert PageRequest(first=0).size == 0
    assert PageRequest(first=MAX_PAGE_SIZE).size == MAX_PAGE_SIZE


@pytest.mark.parametrize(
    ("request_args", "field", "message"),
    [
        ({"first": -1}, "first", "first must not be negative"),
        ({"last": -1}, "last", "last must not be negative"),
        ({"first": MAX_PAGE_SIZE + 1}, "first", f"first must be at most {MAX_PAGE_SIZE} (asked for 101)"),
        ({"last": 10_000}, "last", f"last must be at most {MAX_PAGE_SIZE}"),
        ({"first": 1, "last": 1}, "last", "give first or last, not both"),
    ],
)
def test_page_requests_out_of_range_are_refused(
    request_args: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")) as refused:
        PageRequest(**request_args)
    assert refused.value.field == field


# -- keyset pages over a real table -------------------------------------------------------------


@pytest.fixture(scope="module")
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _fill(conn: Connection, rows: list[tuple[int, str]]) -> list[dict[str, Any]]:
    conn.execute(ITEMS.delete())
    values = [{"id": n + 1, "rank": rank, "name": name} for n, (rank, name) in enumerate(rows)]
    if values:
        conn.execute(insert(ITEMS), values)
    return values


def _expected(values: list[dict[str, Any]], order: Order) -> list[int]:
    columns = [column.name for column in order.columns]
    ordered = sorted(values, key=lambda row: tuple(row[c] for c in columns), reverse=order.descending)
    return [row["id"] for row in ordered]


def _page(conn: Connection, order: Order, request: PageRequest) -> Page:
    async def run(statement: Select[Any]) -> list[Any]:
        return list(conn.execute(statement))

    async def count() -> int:
        return 0

    return asyncio.run(paginate(run, select(ITEMS), order, request, count))


ROWS = st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["a", "B", "b", "ä", "海"])), max_size=25)


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, size=st.integers(1, 6), order=st.sampled_from(sorted(ORDERS)))
def test_walking_forwards_visits_every_row_once_in_order(
    connection: Connection, rows: list[tuple[int, str]], size: int, order: str
) -> None:
    sort = ORDERS[order]
    values = _fill(connection, rows)
    seen: list[int] = []
    after: str | None = None
    while True:
        page = _page(connection, sort, PageRequest(first=size, after=after))
        seen += [row.id for row in page.items]
        assert page.has_previous_page == (after is not None)
        assert len(page.items) <= size
        if not page.has_next_page:
            break
        assert len(page.items) == size
        after = page.cursors[-1]
    assert seen == _expected(values, sort)


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, size=st.integers(1, 6), order=st.sampled_from(sorted(ORDERS)))
def test_walking_backwards_visits_every_row_once_in_order(
    connection: Connection, rows: list[tuple[int, str]], size: int, order: str
) -> None:
    sort = ORDERS[order]
    values = _fill(connection, rows)
    seen: list[int] = []
    before: str | None = None
    while True:
        page = _page(connection, sort, PageRequest(last=size, before=before))
        seen = [row.id for row in page.items] + seen  # each page is in the list's order
        assert page.has_next_page == (before is not None)
        if not page.has_previous_page:
            break
        before = page.cursors[0]
    assert seen == _expected(values, sort)


@settings(max_examples=60, deadline=None)
@given(rows=ROWS.filter(lambda rows: len(rows) >= 2), data=st.data(), order=st.sampled_from(sorted(ORDERS)))
def test_after_and_before_together_give_the_rows_between(
    connection: Connection, rows: list[tuple[int, str]], data: st.DataObject, order: str
) -> None:
    sort = ORDERS[order]
    expected = _expected(_fill(connection, rows), sort)
    everything = _page(connection, sort, PageRequest(first=MAX_PAGE_SIZE))
    low = data.draw(st.integers(0, len(expected) - 1))
    high = data.draw(st.integers(low, len(expected) - 1))
    after, before = everything.cursors[low], everything.cursors[high]
    forwards = _page(connection, sort, PageRequest(first=MAX_PAGE_SIZE, after=after, before=before))
    backwards = _page(connection, sort, PageRequest(last=MAX_PAGE_SIZE, after=after, before=before))
    assert [row.id for row in forwards.items] == expected[low + 1 : high]
    assert [row.id for row in backwards.items] == expected[low + 1 : high]


def test_a_page_of_none_still_tells_whether_there_are_more(connection: Connection) -> None:
    _fill(connection, [(1, "a"), (2, "b")])
    page = _page(connection, ORDERS["rank+"], PageRequest(first=0))
    assert page.items == [] and page.has_next_page and page.cursors == []


def test_a_cursor_of_another_order_is_refused_by_the_page(connection: Connection) -> None:
    _fill(connection, [(1, "a"), (2, "b")])
    cursor = _page(connection, ORDERS["rank+"], PageRequest(first=1)).cursors[0]
    with pytest.raises(BadInput, match=r"^after: the cursor belongs to another list$"):
        _page(connection, ORDERS["rank-"], PageRequest(first=1, after=cursor))
    with pytest.raises(BadInput, match=r"^before: the cursor belongs to another list$"):
        _page(connection, ORDERS["rank-"], PageRequest(last=1, before=cursor))
    with pytest.raises(BadInput, match=r"^before: not a valid cursor$"):  # a text key for an integer column
        _page(connection, ORDERS["rank+"], PageRequest(first=1, before=encode_cursor("it+", ["x", 1])))
