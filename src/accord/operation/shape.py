"""What an operation asks for, summarised for the limits before anything else reads the document.

Each fragment is summarised once, after the fragments it spreads, and a spread adds its fragment's
summary: the work is linear in the size of the document however often fragments are spread. (A
walk that re-read a fragment at every spread took 2^n steps for ``F1 = ...F0 ...F0``,
``F2 = ...F1 ...F1``, ...: 30 s of blocked event loop for an 800-byte document.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True, slots=True)
class Shape:
    """A selection set's summary, with fragments counted every time they are spread."""

    depth: int = 0  # the deepest field (root fields are 1); introspection subtrees do not count
    aliases: int = 0
    directives: int = 0
    selections: int = 0  # fields, inline fragments and fragment spreads, fragments expanded

    def __add__(self, other: Shape) -> Shape:
        return Shape(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.directives + other.directives,
            self.selections + other.selections,
        )


EMPTY = Shape()


class FragmentCycle(Exception):
    """A fragment spreads itself, directly or through others (the specification forbids it)."""

    def __init__(self, path: list[str]) -> None:
        super().__init__(" → ".join(path))
        self.path = path


def fragment_map(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def spreads_in(selection_set: SelectionSetNode | None) -> Iterator[FragmentSpreadNode]:
    """Every fragment spread inside ``selection_set`` (not following the spreads)."""
    pending = [selection_set] if selection_set is not None else []
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)


def fragment_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """The fragment names, each after the fragments it spreads; raises FragmentCycle.

    Iterative: a chain of a few hundred fragments fits in the token limit and must not exhaust
    Python's stack. Spreads of unknown fragments are skipped (validation reports them).
    """
    order: list[str] = []
    state: dict[str, bool] = {}  # False: being visited, True: done
    for start in fragments:
        if start in state:
            continue
        path = [start]
        stack = [iter([spread.name.value for spread in spreads_in(fragments[start].selection_set)])]
        state[start] = False
        while stack:
            name = next(stack[-1], None)
            if name is None:
                stack.pop()
                done = path.pop()
                state[done] = True
                order.append(done)
                continue
            if name not in fragments or state.get(name) is True:
                continue
            if state.get(name) is False:
                raise FragmentCycle([*path[path.index(name) :], name])
            state[name] = False
            path.append(name)
            stack.append(iter([spread.name.value for spread in spreads_in(fragments[name].selection_set)]))
    return order


def shape_of(selection_set: SelectionSetNode | None, fragment_shapes: dict[str, Shape]) -> Shape:
    """The shape of a selection set, given the shapes of the fragments it spreads."""
    if selection_set is None:
        return EMPTY
    total = EMPTY
    for selection in selection_set.selections:
        directives = len(selection.directives or ())
        if isinstance(selection, FieldNode):
            inner = shape_of(selection.selection_set, fragment_shapes)
            introspection = selection.name.value.startswith("__")
            own = Shape(
                0 if introspection else inner.depth + 1,
                inner.aliases + (selection.alias is not None),
                inner.directives + directives,
                inner.selections + 1,
            )
        else:
            if isinstance(selection, InlineFragmentNode):
                inner = shape_of(selection.selection_set, fragment_shapes)
            elif isinstance(selection, FragmentSpreadNode):
                inner = fragment_shapes.get(selection.name.value, EMPTY)
            else:
                continue
            own = Shape(inner.depth, inner.aliases, inner.directives + directives, inner.selections + 1)
        total += own
    return total


def fragment_shapes(fragments: dict[str, FragmentDefinitionNode], order: list[str]) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    for name in order:
        shapes[name] = shape_of(fragments[name].selection_set, shapes)
    return shapes


def operation_shape(operation: OperationDefinitionNode, shapes: dict[str, Shape]) -> Shape:
    own = Shape(directives=len(operation.directives or ()))
    return own + shape_of(operation.selection_set, shapes)


@dataclass(frozen=True, slots=True)
class Overlap:
    """Fields that share a response path, which graphql-core's OverlappingFieldsCanBeMergedRule
    compares pair by pair: ``pairs`` is the work it will do, ``path`` where most fields meet."""

    pairs: int
    path: tuple[str, ...]
    fields: int


def overlap(operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> Overlap:
    """Counts fields per response path with fragments expanded. Call it only once the operation's
    shape is known to be small: the walk visits ``operation_shape(...).selections`` nodes."""
    counts: Counter[tuple[str, ...]] = Counter()
    pending: list[tuple[SelectionSetNode, tuple[str, ...]]] = [(operation.selection_set, ())]
    while pending:
        selection_set, path = pending.pop()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                here = (*path, (selection.alias or selection.name).value)
                counts[here] += 1
                if selection.selection_set is not None:
                    pending.append((selection.selection_set, here))
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, path))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append((fragment.selection_set, path))
    if not counts:
        return Overlap(0, (), 0)
    busiest, most = counts.most_common(1)[0]
    return Overlap(sum(n * (n - 1) // 2 for n in counts.values()), busiest, most)
