"""Preparing a document, once: tokens, parse, the abuse limits, validation; kept in one bounded cache.

Every transport (HTTP, WebSocket, the compiled path, strawberry) works from the one ``Prepared``
this module returns, so a document is parsed and validated once however it arrives, and the
limits cannot be skipped by sending it another way.

The order is what keeps hostile documents cheap. Every step before graphql-core's validation is
linear in the size of the document: a regular expression counts tokens before the parser runs,
and the limits read fragment summaries (accord.operation.shape) instead of expanding fragments.
graphql-core's own validation runs last, and only on documents whose field merging (the one
quadratic rule it has) is known to be small.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from typing import Any

import orjson
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
)
from strawberry.schema.schema import validate_document

from accord.core.lru import ByteLRU
from accord.operation.cost import operation_cost
from accord.operation.shape import (
    FragmentCycle,
    fragment_map,
    fragment_order,
    fragment_shapes,
    operation_shape,
    overlap,
)
from accord.settings import Settings

# GraphQL's lexical tokens, for counting before the (much slower) parser runs: block strings,
# strings, comments (skipped), spreads, punctuators, numbers and names.
TOKEN_PATTERN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|(#[^\n]*)|\.\.\.|[!$&()\[\]{}:=@|]'
    r"|-?[0-9][0-9A-Za-z_.+-]*|[_A-Za-z][_0-9A-Za-z]*"
)
# What a parsed document weighs in memory: its text plus about this much per token (measured with
# tracemalloc on graphql-core 3.3: 400 to 500 bytes a token, with locations).
BYTES_PER_TOKEN = 600
# Parsed documents are many small objects, which every full run of the cyclic garbage collector
# walks: a few MiB hold every document a real frontend sends, and a document over about 800 tokens
# (a flood of large new ones, typically) is prepared each time rather than kept.
CACHE_BYTES = 8 * 1024 * 1024
CACHE_ENTRY_BYTES = 512 * 1024
CACHE_ENTRIES = 1024
# Per document: the costs of its operations under the variable sets it was sent with.
COST_ENTRIES = 64


def count_tokens(source: str, stop_after: int) -> int:
    """Lexical tokens in ``source`` (comments excluded), counting no further than ``stop_after``."""
    count = 0
    for match in TOKEN_PATTERN.finditer(source):
        if match.group(1) is None:
            count += 1
            if count > stop_after:
                break
    return count


def digest_of(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Limits:
    """What one document may ask for (the ACCORD_MAX_* settings; docs/security.md)."""

    max_tokens: int = 2000
    max_depth: int = 10
    max_aliases: int = 15
    max_directives: int = 50
    max_selections: int = 1000
    max_field_overlap: int = 1000
    cost_budget: int = 5000
    introspection: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """Each limit from the setting of the same name."""
        return cls(**{limit.name: getattr(settings, limit.name) for limit in fields(cls)})


def limit_error(message: str, code: str, limit: int, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": code, "limit": limit})


@dataclass(eq=False, slots=True)
class Prepared:
    """A document that parsed and passed every check, or the errors that refused it."""

    digest: bytes  # identifies the document in other caches without keeping its text again
    document: DocumentNode | None
    errors: list[GraphQLError]
    variable_names: frozenset[str] = frozenset()
    costs: dict[tuple[str | None, bytes], int] = field(default_factory=dict)

    def operation(self, operation_name: str | None) -> OperationDefinitionNode | None:
        return None if self.document is None else get_operation_ast(self.document, operation_name)

    def operation_type(self, operation_name: str | None) -> OperationType | None:
        operation = self.operation(operation_name)
        return None if operation is None else operation.operation

    def variables_key(self, variables: dict[str, Any] | None) -> bytes:
        """The declared variables' values, as a short key (others cannot change the answer)."""
        if not variables:
            return b""
        declared = {k: v for k, v in variables.items() if k in self.variable_names}
        return digest_of(orjson.dumps(declared, option=orjson.OPT_SORT_KEYS)) if declared else b""

    def cost(
        self, schema: GraphQLSchema, operation_name: str | None, variables: dict[str, Any] | None
    ) -> int:
        operation = self.operation(operation_name)
        if operation is None or self.document is None:
            return 0
        key = (operation_name, self.variables_key(variables))
        found = self.costs.get(key)
        if found is None:
            found = operation_cost(schema, self.document, operation, variables)
            if len(self.costs) >= COST_ENTRIES:
                self.costs.clear()
            self.costs[key] = found
        return found


class Preparer:
    """Prepares documents for one schema and one set of limits, and remembers them."""

    def __init__(self, schema: GraphQLSchema, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        rules: list[type[ASTValidationRule]] = list(specified_rules)
        if not limits.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        self.cache: ByteLRU[Prepared] = ByteLRU(
            max_bytes=CACHE_BYTES, max_entries=CACHE_ENTRIES, max_entry_bytes=CACHE_ENTRY_BYTES
        )

    def prepare(self, query: str) -> Prepared:
        found = self.cache.get(query)
        if found is not None:
            return found
        prepared, tokens = self._prepare(query)
        # The key is the text itself (the document's source holds the same string object).
        self.cache.put(query, prepared, len(query) + tokens * BYTES_PER_TOKEN)
        return prepared

    def _prepare(self, query: str) -> tuple[Prepared, int]:
        limits = self.limits
        digest = digest_of(query.encode("utf-8", "surrogatepass"))
        tokens = count_tokens(query, limits.max_tokens)
        if tokens > limits.max_tokens:
            error = limit_error(
                f"the document has more than {limits.max_tokens} tokens",
                "TOKEN_LIMIT_EXCEEDED",
                limits.max_tokens,
            )
            return Prepared(digest, None, [error]), 0
        try:
            document = parse(query, max_tokens=limits.max_tokens)
        except GraphQLError as error:
            return Prepared(digest, None, [error]), tokens
        errors = self.check_limits(document)
        if not errors:
            errors = validate_document(self.schema, document, self.rules)
        if errors:
            return Prepared(digest, None, errors), tokens
        names = frozenset(
            definition.variable.name.value
            for operation in document.definitions
            if isinstance(operation, OperationDefinitionNode)
            for definition in operation.variable_definitions or ()
        )
        return Prepared(digest, document, [], names), tokens

    def check_limits(self, document: DocumentNode) -> list[GraphQLError]:
        """The abuse limits of every operation in the document; linear in its size."""
        fragments = fragment_map(document)
        try:
            order = fragment_order(fragments)
        except FragmentCycle as cycle:
            # Validation would say the same, but after its quadratic rule: answer before it runs.
            nodes = [fragments[name] for name in dict.fromkeys(cycle.path)]
            message = f'Cannot spread fragment "{cycle.path[0]}" within itself via {cycle}.'
            return [GraphQLError(message, nodes, extensions={"code": "GRAPHQL_VALIDATION_FAILED"})]
        shapes = fragment_shapes(fragments, order)
        limits = self.limits
        errors: list[GraphQLError] = []
        for operation in document.definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            shape = operation_shape(operation, shapes)
            checks = (
                (shape.depth, limits.max_depth, "DEPTH_LIMIT_EXCEEDED", "the query is {} levels deep"),
                (shape.aliases, limits.max_aliases, "ALIAS_LIMIT_EXCEEDED", "the query uses {} aliases"),
                (
                    shape.directives,
                    limits.max_directives,
                    "DIRECTIVE_LIMIT_EXCEEDED",
                    "the query uses {} directives",
                ),
                (
                    shape.selections,
                    limits.max_selections,
                    "SELECTION_LIMIT_EXCEEDED",
                    "the query makes {} selections once its fragments are expanded",
                ),
            )
            for found, maximum, code, text in checks:
                if found > maximum:
                    message = f"{text.format(found)}; at most {maximum} are allowed"
                    errors.append(limit_error(message, code, maximum, operation))
            if shape.selections > limits.max_selections:
                continue  # too large to expand for the overlap count
            merged = overlap(operation, fragments)
            if merged.pairs > limits.max_field_overlap:
                where = ".".join(merged.path)
                message = (
                    f"{merged.fields} fields share the response path {where!r}: checking that same-named "
                    f"fields can be merged would compare {merged.pairs} pairs; at most "
                    f"{limits.max_field_overlap} are allowed. Select a field once per object, or give "
                    "the copies aliases"
                )
                errors.append(limit_error(message, "FIELD_OVERLAP_LIMIT_EXCEEDED", limits.max_field_overlap))
        return errors

    def check_cost(
        self, prepared: Prepared, operation_name: str | None, variables: dict[str, Any] | None
    ) -> tuple[int, GraphQLError | None]:
        cost = prepared.cost(self.schema, operation_name, variables)
        budget = self.limits.cost_budget
        if cost <= budget:
            return cost, None
        error = GraphQLError(
            f"the query would cost {cost}; the budget is {budget}: ask for fewer items "
            "(smaller first/last) or fewer nested lists",
            extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "budget": budget},
        )
        return cost, error
