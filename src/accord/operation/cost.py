"""The cost of an operation, computed before it runs.

Every field costs 1. A list multiplies what is selected inside it by how many items it can return:
a connection by its ``first``/``last`` (or the default page size), ``search`` by its ``first``,
unpaginated lists (an event's partners) by a realistic estimate of their length. Fragments count
where they are spread (each fragment is priced once, then multiplied); introspection costs 1
(GraphiQL must load its schema).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)

from accord.content.fields import Images, Linked
from accord.content.model import CONTENT_TYPES
from accord.operation.shape import fragment_map, fragment_order
from accord.read.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# How many items an unpaginated list holds in practice (parent type, field): each linked list's
# estimate is declared with it in the content model.
LIST_ESTIMATES: dict[tuple[str, str], int] = {
    **{
        (content.name, spec.name): spec.estimate
        for content in CONTENT_TYPES
        for spec in content.fields
        if isinstance(spec, Linked | Images)
    },
    ("Query", "timeline"): 30,
    ("YearGroup", "events"): 4,
}
DEFAULT_LIST_ESTIMATE = 10


def _integral(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # GraphQL's Int accepts 100.0 as 100
    return None


def _page_size(size: int | None) -> int:
    return min(max(size if size is not None else DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)


class CostCalculator:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        order: list[str],
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.variables = variables or {}
        self.defaults: dict[str, Any] = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        # Fragments are priced once each, after the fragments they spread.
        self.fragment_costs: dict[str, int] = {}
        for name in order:
            fragment = fragments[name]
            target = self.schema.get_type(fragment.type_condition.name.value)
            self.fragment_costs[name] = self._selection_cost(fragment.selection_set, target)
        root = self.schema.get_root_type(operation.operation)
        self.cost = 0 if root is None else self._selection_cost(operation.selection_set, root)

    def _int_argument(self, node: FieldNode, name: str) -> int | None:
        """The argument's value; a variable's value, else its default. A value the cost model cannot
        read counts as the largest page, so nothing is priced below what it may fetch."""
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                variable = value.name.value
                given = self.variables.get(variable, self.defaults.get(variable))
                if given is None:
                    return None
                number = _integral(given)
                return MAX_PAGE_SIZE if number is None else number
            return MAX_PAGE_SIZE
        return None

    def _selection_cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None or parent is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selection_cost(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment_costs.get(selection.name.value, 0)
        return total

    def _field_cost(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 1
        fields = getattr(parent, "fields", None)
        definition = fields.get(name) if fields else None
        if definition is None:
            return 1
        named = get_named_type(definition.type)
        inner = self._selection_cost(node.selection_set, named)
        return 1 + self._multiplier(node, parent.name, name, definition.type, named.name) * inner

    def _multiplier(self, node: FieldNode, parent: str, name: str, field_type: Any, type_name: str) -> int:
        if type_name.endswith("Connection"):
            return _page_size(self._int_argument(node, "first") or self._int_argument(node, "last"))
        unwrapped = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        if not isinstance(unwrapped, GraphQLList) or parent.endswith("Connection"):
            return 1  # a connection's edges were counted by the connection's page size
        if (parent, name) == ("Query", "search"):
            return _page_size(self._int_argument(node, "first"))
        return LIST_ESTIMATES.get((parent, name), DEFAULT_LIST_ESTIMATE)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
) -> int:
    fragments = fragment_map(document)
    return CostCalculator(schema, fragments, fragment_order(fragments), operation, variables).cost
