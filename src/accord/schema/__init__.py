"""The GraphQL schema: the contract of schema.graphql, served by strawberry."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from accord.schema.errors import classify
from accord.schema.mutation import Mutation
from accord.schema.query import Query


class AccordSchema(strawberry.Schema):
    """strawberry's schema with accord's error policy: codes on every error, no tracebacks in logs
    for the client's own mistakes, and messages of unexpected errors masked when asked."""

    mask_unexpected_errors = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            classify(error, mask=self.mask_unexpected_errors)


def build_schema(*, production: bool = False, extensions: list[Any] | None = None) -> AccordSchema:
    schema = AccordSchema(
        query=Query,
        mutation=Mutation,
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
