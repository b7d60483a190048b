"""Walking an operation with its fragments expanded where they are spread.

Limits must count a fragment every time it is spread (a classic way around naive limiters), and
must not loop on fragment cycles (those are refused by the specification's own validation, but the
walk runs beside it and has to stop on its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

MAX_FRAGMENT_NESTING = 64

# GraphQL's lexical tokens, for counting before the (much slower) parser runs: block strings,
# strings, comments (skipped), spreads, punctuators, numbers and names.
TOKEN_PATTERN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|(#[^\n]*)|\.\.\.|[!$&()\[\]{}:=@|]'
    r"|-?[0-9][0-9A-Za-z_.+-]*|[_A-Za-z][_0-9A-Za-z]*"
)


def count_tokens(source: str, stop_after: int) -> int:
    """Lexical tokens in ``source`` (comments excluded), counting no further than ``stop_after``."""
    count = 0
    for match in TOKEN_PATTERN.finditer(source):
        if match.group(1) is None:
            count += 1
            if count > stop_after:
                break
    return count


Selection = FieldNode | InlineFragmentNode | FragmentSpreadNode


@dataclass(frozen=True, slots=True)
class Visit:
    node: Selection
    depth: int  # the depth of the field (or of the fields the fragment holds); root fields are 1


def expand(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    *,
    depth: int = 1,
    active: tuple[str, ...] = (),
) -> Iterator[Visit]:
    """Every selection reachable from ``selection_set``, fragments inlined, in document order."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield Visit(selection, depth)
            yield from expand(selection.selection_set, fragments, depth=depth + 1, active=active)
        elif isinstance(selection, InlineFragmentNode):
            yield Visit(selection, depth)
            yield from expand(selection.selection_set, fragments, depth=depth, active=active)
        elif isinstance(selection, FragmentSpreadNode):
            yield Visit(selection, depth)
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in active or len(active) >= MAX_FRAGMENT_NESTING:
                continue  # unknown or cyclic: the specification's rules report it
            yield from expand(fragment.selection_set, fragments, depth=depth, active=(*active, name))


def fields(visits: Iterator[Visit], *, skip_introspection: bool = False) -> Iterator[Visit]:
    """The field visits; optionally without the introspection subtrees (GraphiQL's schema query
    nests ``ofType`` deeply, and is not what the limits are for)."""
    hidden_below: int | None = None
    for visit in visits:
        if not isinstance(visit.node, FieldNode):
            continue
        if hidden_below is not None and visit.depth > hidden_below:
            continue
        hidden_below = None
        if skip_introspection and visit.node.name.value.startswith("__"):
            hidden_below = visit.depth
            continue
        yield visit


def fragment_map(definitions: object) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in definitions  # type: ignore[attr-defined]
        if isinstance(definition, FragmentDefinitionNode)
    }
