"""Schema extensions: the cost budget (refused before execution, reported on every answer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from accord.limits.cost import query_cost


class CostBudget(SchemaExtension):
    """Refuses operations over ``budget`` with QUERY_TOO_COMPLEX; reports ``extensions.cost``."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            self.cost = query_cost(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if self.cost > self.budget:
                error = GraphQLError(
                    f"the query would cost {self.cost}; the budget is {self.budget}: ask for fewer items "
                    "(smaller first/last) or fewer nested lists",
                    extensions={"code": "QUERY_TOO_COMPLEX", "cost": self.cost, "budget": self.budget},
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": self.cost}
