"""The unit layer: accord's pure logic, one test file per module, named after it
(test_core_dates.py tests accord.core.dates). No server, no PostgreSQL, no network: SQL is run
against in-memory SQLite where it must run. ``make test-fast`` runs this directory alone."""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema

from accord.schema import AccordSchema, build_schema


@pytest.fixture(scope="session")
def accord_schema() -> AccordSchema:
    """The served schema (strawberry's, with accord's enums as argument values)."""
    return build_schema()


@pytest.fixture(scope="session")
def graphql_schema(accord_schema: AccordSchema) -> GraphQLSchema:
    return accord_schema._schema
