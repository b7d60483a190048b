"""accord.operation.shape: what an operation asks for (depth, aliases, directives, selections, fields
sharing a response path), summarised with fragments counted every time they are spread, in work
linear in the size of the document."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse

from accord.operation import shape
from accord.operation.shape import (
    FragmentCycle,
    Overlap,
    Shape,
    fragment_map,
    fragment_order,
    fragment_shapes,
    operation_shape,
    overlap,
    spreads_in,
)


def summary(source: str, operation: int = 0) -> Shape:
    document = parse(source)
    fragments = fragment_map(document)
    shapes = fragment_shapes(fragments, fragment_order(fragments))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return operation_shape(operations[operation], shapes)


def overlap_of(source: str) -> Overlap:
    document = parse(source)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return overlap(operation, fragment_map(document))


def bomb(levels: int) -> str:
    """F0 holds two fields; each next fragment spreads the one before twice: 2^levels copies."""
    fragments = ["fragment F0 on Event { slug title }"]
    fragments += [f"fragment F{n} on Event {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, levels + 1)]
    return f"{{ events {{ edges {{ node {{ ...F{levels} }} }} }} }}\n" + "\n".join(fragments)


def test_depth_counts_fields_from_the_root() -> None:
    assert summary("{ partner }").depth == 1
    assert summary("{ events { totalCount } }").depth == 2
    assert summary("{ events { edges { node { partners { agreements { title } } } } } }").depth == 6
    assert summary("{ a { b } c { d { e } } }").depth == 3  # the deepest branch


def test_fragments_and_inline_fragments_add_no_depth_of_their_own() -> None:
    inline = summary("{ events { edges { ... on EventEdge { node { slug } } } } }")
    spread = summary("{ events { edges { ...E } } } fragment E on EventEdge { node { slug } }")
    assert inline.depth == spread.depth == summary("{ events { edges { node { slug } } } }").depth == 4


def test_introspection_subtrees_have_no_depth() -> None:
    assert summary("{ __schema { types { fields { type { ofType { name } } } } } }").depth == 0
    assert summary("{ __typename }").depth == 0
    assert summary('{ events { totalCount } __type(name: "Event") { fields { name } } }').depth == 2


def test_aliases_directives_and_selections() -> None:
    found = summary(
        """query Q @cached { a: events { totalCount @include(if: true) }
        b: events @skip(if: false) { ... on EventConnection @include(if: true) { totalCount } } }"""
    )
    assert found.aliases == 2
    assert found.directives == 4  # the operation's own, and three on selections
    # a, a.totalCount, b, b's inline fragment, its totalCount
    assert found.selections == 5


def test_fragments_count_every_time_they_are_spread() -> None:
    once = summary("{ events { ...C } } fragment C on EventConnection { n: totalCount @include(if: true) }")
    twice = summary(
        "{ a: events { ...C } b: events { ...C } } "
        "fragment C on EventConnection { n: totalCount @include(if: true) }"
    )
    assert (once.aliases, once.directives, once.selections) == (1, 1, 3)  # events, the spread, totalCount
    assert (twice.aliases, twice.directives, twice.selections) == (4, 2, 6)


def test_each_operation_is_summarised_on_its_own() -> None:
    source = "query A { a: events { totalCount } } query B { events { edges { node { slug } } } }"
    assert (summary(source, 0).depth, summary(source, 0).aliases) == (2, 1)
    assert (summary(source, 1).depth, summary(source, 1).aliases) == (4, 0)


def test_shapes_add_up() -> None:
    assert Shape(3, 1, 2, 4) + Shape(5, 1, 0, 1) == Shape(5, 2, 2, 5)
    assert Shape() + Shape(2, 0, 0, 1) == Shape(2, 0, 0, 1)


def test_spreads_of_unknown_fragments_count_as_empty() -> None:
    found = summary("{ events { ...Missing } }")  # validation reports it later
    assert found.selections == 2 and found.depth == 1


def test_spreads_in_finds_nested_spreads_without_following_them() -> None:
    document = parse(
        "fragment A on Event { ...B partners { ...C ... on Partner { ...D } } } fragment B on Event { ...E }"
    )
    fragments = fragment_map(document)
    assert sorted(spread.name.value for spread in spreads_in(fragments["A"].selection_set)) == ["B", "C", "D"]
    assert list(spreads_in(None)) == []


def test_fragment_order_puts_each_fragment_after_those_it_spreads() -> None:
    document = parse(
        "fragment A on Event { ...B ...C } fragment C on Event { ...D } fragment B on Event { ...D } "
        "fragment D on Event { slug ...Unknown }"
    )
    order = fragment_order(fragment_map(document))
    assert sorted(order) == ["A", "B", "C", "D"]
    position = {name: index for index, name in enumerate(order)}
    assert position["D"] < position["B"] < position["A"] and position["D"] < position["C"] < position["A"]


@pytest.mark.parametrize(
    ("source", "path"),
    [
        ("fragment A on Event { ...A }", ["A", "A"]),
        ("fragment A on Event { ...B } fragment B on Event { ...A }", ["A", "B", "A"]),
        (
            "fragment A on Event { slug } fragment B on Event { ...C } "
            "fragment C on Event { partners { ...D } } fragment D on Partner { ... on Partner { ...C } }",
            ["C", "D", "C"],
        ),
    ],
)
def test_fragment_cycles_are_found_with_their_path(source: str, path: list[str]) -> None:
    with pytest.raises(FragmentCycle) as found:
        fragment_order(fragment_map(parse(source)))
    assert found.value.path == path
    assert str(found.value) == " → ".join(path)


def test_a_long_chain_of_fragments_does_not_exhaust_the_stack() -> None:
    levels = sys.getrecursionlimit() + 500
    chain = [f"fragment F{n} on Event {{ ...F{n + 1} }}" for n in range(levels)] + [
        f"fragment F{levels} on Event {{ slug }}"
    ]
    order = fragment_order(fragment_map(parse("\n".join(chain))))
    assert order[0] == f"F{levels}" and order[-1] == "F0"


def test_overlap_counts_pairs_of_fields_sharing_a_response_path() -> None:
    assert overlap_of("{ events { totalCount } }") == Overlap(0, ("events",), 1)
    found = overlap_of("{ events { totalCount totalCount totalCount } }")
    assert found == Overlap(3, ("events", "totalCount"), 3)  # 3 fields: 3 pairs
    aliased = overlap_of("{ events { a: totalCount b: totalCount c: totalCount } }")
    assert aliased.pairs == 0  # different response keys: nothing to merge


def test_overlap_expands_fragments_and_inline_fragments() -> None:
    source = (
        "{ events { ...C ...C ... on EventConnection { totalCount } } } "
        "fragment C on EventConnection { totalCount }"
    )
    assert overlap_of(source) == Overlap(3, ("events", "totalCount"), 3)
    assert overlap_of("{ ...Unknown }") == Overlap(0, (), 0)


# -- work, counted (not timed) ------------------------------------------------------------------


def calls_in(module_file: str, action: Callable[[], Any]) -> int:
    """How many Python functions of ``module_file`` ``action`` calls (generators resumed count too)."""
    count = 0

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        nonlocal count
        if event == "call" and frame.f_code.co_filename == module_file:
            count += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def test_a_fragment_bomb_is_summarised_in_linear_work() -> None:
    """2^n copies of F0 are counted without expanding them: doubling the levels doubles the work."""
    source_file = str(Path(shape.__file__))
    work = {levels: calls_in(source_file, partial(summary, bomb(levels))) for levels in (20, 40, 80)}
    assert summary(bomb(80)).selections > 2**80  # the copies are all counted
    assert summary(bomb(80)).depth == 4
    first, second = work[40] - work[20], work[80] - work[40]
    assert first > 0 and second <= 2 * first + 10, work  # linear: 40 more levels cost twice 20 more
    assert work[80] < 20 * 80, work
