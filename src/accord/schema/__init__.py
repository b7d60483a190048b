"""The GraphQL schema: the contract of schema.graphql, served by strawberry."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    parse,
    specified_rules,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from accord.limits.cost import query_cost
from accord.limits.extensions import CostBudget
from accord.limits.rules import alias_limit, depth_limit, directive_limit
from accord.limits.walk import count_tokens
from accord.schema.errors import classify
from accord.schema.mutation import Mutation
from accord.schema.query import Query
from accord.schema.subscription import Subscription
from accord.settings import Settings


class AccordSchema(strawberry.Schema):
    """strawberry's schema with accord's error policy (a code on every error, no tracebacks in the
    log for the client's own mistakes, unexpected errors masked in production) and its limits."""

    mask_unexpected_errors = False
    # The abuse-limit rules, for transports that validate documents themselves (the WebSocket
    # handler); over HTTP they run through the AddValidationRules extension.
    extra_rules: tuple[type[ASTValidationRule], ...] = ()
    max_tokens: int | None = None
    cost_budget: int | None = None

    def parse_document(self, query: str) -> DocumentNode:
        too_long = self.check_tokens(query)
        if too_long is not None:
            raise too_long
        return parse(query, max_tokens=self.max_tokens)

    def check_tokens(self, query: str) -> GraphQLError | None:
        """Refuse an over-long document by counting its tokens with a regular expression: the
        parser would take milliseconds just to reach the limit."""
        if self.max_tokens is None or count_tokens(query, self.max_tokens) <= self.max_tokens:
            return None
        return GraphQLError(
            f"the document has more than {self.max_tokens} tokens",
            extensions={"code": "TOKEN_LIMIT_EXCEEDED", "limit": self.max_tokens},
        )

    def validate_document(self, document: DocumentNode) -> list[GraphQLError]:
        return validate_document(self._schema, document, (*specified_rules, *self.extra_rules))

    def check_cost(
        self, document: DocumentNode, operation_name: str | None, variables: dict[str, Any] | None
    ) -> GraphQLError | None:
        if self.cost_budget is None:
            return None
        cost = query_cost(self._schema, document, operation_name, variables)
        if cost <= self.cost_budget:
            return None
        return GraphQLError(
            f"the query would cost {cost}; the budget is {self.cost_budget}",
            extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "budget": self.cost_budget},
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            classify(error, mask=self.mask_unexpected_errors)


def build_schema(settings: Settings | None = None) -> AccordSchema:
    """The schema with the limits of ``settings`` (the defaults without settings)."""
    options = settings if settings is not None else Settings.model_construct()
    rules: tuple[type[ASTValidationRule], ...] = (
        depth_limit(options.max_depth),
        alias_limit(options.max_aliases),
        directive_limit(options.max_directives),
    )
    if not options.introspection:
        rules = (*rules, NoSchemaIntrospectionCustomRule)
    extensions: list[Any] = [
        # Factories, not instances: an instance would share per-request state between requests.
        # The parse and validation caches themselves live at module level and are shared.
        lambda: MaxTokensLimiter(max_token_count=options.max_tokens),
        lambda: ParserCache(maxsize=512),
        lambda: AddValidationRules(list(rules)),
        lambda: ValidationCache(maxsize=512),
        lambda: CostBudget(options.cost_budget),
    ]
    schema = AccordSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(disable_field_suggestions=options.is_production),
        extensions=extensions,
    )
    schema.mask_unexpected_errors = options.is_production
    schema.extra_rules = rules
    schema.max_tokens = options.max_tokens
    schema.cost_budget = options.cost_budget
    return schema
