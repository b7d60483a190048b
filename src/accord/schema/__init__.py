"""The GraphQL schema: the contract of schema.graphql, served by strawberry."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from accord.schema.context import PREPARED_DOCUMENT
from accord.schema.errors import classify
from accord.schema.roots import Mutation, Query, build_mutation, build_query
from accord.schema.subscription import Subscription
from accord.settings import Settings


class UsePrepared(SchemaExtension):
    """Hands strawberry the document accord.operation already parsed, checked and validated:
    strawberry neither parses nor validates it again."""

    def on_operation(self) -> Iterator[None]:
        document = PREPARED_DOCUMENT.get()
        if document is not None:
            context = self.execution_context
            context.graphql_document = document
            context.pre_execution_errors = []  # validated: strawberry skips its own validation
        yield


class AccordSchema(strawberry.Schema):
    """strawberry's schema with accord's error policy: a code on every error, no tracebacks in the
    log for the client's own mistakes, unexpected errors masked in production."""

    mask_unexpected_errors = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            classify(error, mask=self.mask_unexpected_errors)


def build_schema(
    settings: Settings | None = None,
    *,
    query_fields: Mapping[str, Any] | None = None,
    mutation_fields: Mapping[str, Any] | None = None,
) -> AccordSchema:
    """The schema with the limits of ``settings`` (the defaults without settings). Packages above
    the schema add root fields of their own through ``query_fields`` and ``mutation_fields``
    (strawberry fields by name): accord.services hands over push delivery's admin fields."""
    options = settings if settings is not None else Settings.model_construct()
    schema = AccordSchema(
        query=build_query(query_fields) if query_fields else Query,
        mutation=build_mutation(mutation_fields) if mutation_fields else Mutation,
        subscription=Subscription,
        config=StrawberryConfig(disable_field_suggestions=options.is_production),
        # A class, not an instance: an instance would share per-request state between requests.
        extensions=[UsePrepared],
    )
    schema.mask_unexpected_errors = options.is_production
    return schema
