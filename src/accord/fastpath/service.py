"""The fast path as the HTTP endpoint uses it: parse and validate once per document (cached), apply
the same limits as the general path, then answer, or step aside."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode

from accord.fastpath.executor import Unsupported, execute_fast
from accord.fastpath.memo import remembered
from accord.limits.cost import query_cost
from accord.schema import AccordSchema
from accord.schema.context import Context

log = logging.getLogger("accord.fastpath")


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode | None  # None: the document does not parse or validate
    # The variables its operations declare: others cannot change its cost or its answer.
    variable_names: frozenset[str] = frozenset()
    # SQL compiled for this document (accord.fastpath.sql_json), per root field, locale and variables
    compiled: dict[Hashable, str | None] = field(default_factory=dict)
    # Its cost per operation and declared variables (a pure function of them)
    costs: dict[Hashable, int] = field(default_factory=dict)

    def cost(
        self, schema: GraphQLSchema, operation_name: str | None, variables: dict[str, Any] | None
    ) -> int:
        assert self.document is not None
        key = (
            operation_name,
            repr(sorted((k, v) for k, v in (variables or {}).items() if k in self.variable_names)),
        )
        document = self.document
        return remembered(self.costs, key, lambda: query_cost(schema, document, operation_name, variables))


class FastPath:
    def __init__(self, schema: AccordSchema) -> None:
        self.schema = schema
        self.prepare = lru_cache(maxsize=1024)(self._prepare)
        self.answered = 0
        self.declined = 0

    def _prepare(self, query: str) -> Prepared:
        try:
            document = self.schema.parse_document(query)
        except GraphQLError:
            return Prepared(None)
        if self.schema.validate_document(document):
            return Prepared(None)
        names = frozenset(
            definition.variable.name.value
            for operation in document.definitions
            if isinstance(operation, OperationDefinitionNode)
            for definition in operation.variable_definitions or ()
        )
        return Prepared(document, names)

    async def answer(
        self, query: str, operation_name: str | None, variables: dict[str, Any] | None, context: Context
    ) -> dict[str, Any] | None:
        """The response body, or None for the general executor to answer (and to report errors)."""
        prepared = self.prepare(query)
        if prepared.document is None:
            return None
        cost = prepared.cost(self.schema._schema, operation_name, variables)
        if self.schema.cost_budget is not None and cost > self.schema.cost_budget:
            return None
        try:
            data = await execute_fast(
                self.schema._schema,
                prepared.document,
                operation_name,
                variables,
                db=context.db,
                locale=context.locale,
                visibility=context.visibility,
                compiled=prepared.compiled,
            )
        except Unsupported as reason:
            log.debug("fast path declined: %s", reason)
            self.declined += 1
            return None
        except Exception:
            log.debug("fast path failed; the general executor answers", exc_info=True)
            self.declined += 1
            await context.db.close()
            return None
        self.answered += 1
        return {"data": data, "extensions": {"cost": cost}}
