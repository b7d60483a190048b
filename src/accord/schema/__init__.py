"""The GraphQL schema: the contract of schema.graphql, served by strawberry."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, DocumentNode, GraphQLError, specified_rules
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from accord.schema.errors import classify
from accord.schema.mutation import Mutation
from accord.schema.query import Query
from accord.schema.subscription import Subscription


class AccordSchema(strawberry.Schema):
    """strawberry's schema with accord's error policy: codes on every error, no tracebacks in logs
    for the client's own mistakes, and messages of unexpected errors masked when asked."""

    mask_unexpected_errors = False
    # Validation rules beyond the specification's (the abuse limits), for transports that validate
    # documents themselves (the WebSocket handler); HTTP gets them through extensions.
    extra_rules: tuple[type[ASTValidationRule], ...] = ()

    def validate_document(self, document: DocumentNode) -> list[GraphQLError]:
        return validate_document(self._schema, document, (*specified_rules, *self.extra_rules))

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            classify(error, mask=self.mask_unexpected_errors)


def build_schema(*, production: bool = False, extensions: list[Any] | None = None) -> AccordSchema:
    schema = AccordSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(disable_field_suggestions=production),
        # Factories, not instances: instances would share per-request state between requests. The
        # caches themselves live at module level and are shared.
        extensions=[
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            *(extensions or []),
        ],
    )
    schema.mask_unexpected_errors = production
    return schema
