"""DataLoaders keep the number of SQL statements of a query constant, whatever the page size."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from graphql import parse
from sqlalchemy import event

from accord.app import create_app
from accord.content.service import load_document
from accord.content.synth import synthesize
from accord.core.visibility import PUBLIC
from accord.db import create_async_db_engine
from accord.fastpath.executor import execute_fast
from accord.models.enums import Locale
from accord.read.db import Reader, statement_engines
from accord.schema import build_schema
from accord.schema.context import Context
from accord.services import Services
from accord.settings import Settings
from tests.harness.databases import migrated_engine

FRONT_PAGE = """query($n: Int) { events(first: $n, orderBy: DATE_DESC) { edges { node {
  title date { label } tags
  partners { name agreements { title } }
  agreements { title parties { name } }
  exhibits { title origin { name } }
} } } }"""

# events page + tags + event partners + their agreements + event agreements + their parties
# + event exhibits + exhibit origins
EXPECTED_STATEMENTS = 8


@pytest.fixture
def synthetic_url(database_url: str) -> str:
    engine = migrated_engine(database_url)
    load_document(engine, synthesize(events=300, partners=60, seed=3))
    engine.dispose()
    return database_url


async def _statements_for(url: str, page_size: int) -> tuple[int, dict[str, Any]]:
    engine = create_async_db_engine(url)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    for sql_engine in statement_engines(engine):
        event.listen(sql_engine, "before_cursor_execute", count)
    try:
        context = Context(db=Reader(engine))
        result = await build_schema().execute(
            FRONT_PAGE, variable_values={"n": page_size}, context_value=context
        )
        await context.db.close()
        assert result.errors is None, result.errors
        assert result.data is not None
        return len(statements), result.data
    finally:
        await engine.dispose()


# The same page with a field SQL does not build (a timestamp): the row-building fast path.
# The same selection under timeline(), whose events SQL also builds as JSON; $n picks the first
# year, so a larger $n means fewer events.
FRONT_PAGE_ROWS = """query($n: Int) { timeline(yearFrom: $n) { year events {
  title date { label } tags
  partners { name agreements { title } }
  agreements { title parties { name } }
  exhibits { title origin { name } }
} } }"""
# The whole page, nodes and linked rows, built as JSON by the database (accord.fastpath.sql_json).
COMPILED_STATEMENTS = 1


async def _fast_statements_for(url: str, page_size: int, query: str = FRONT_PAGE) -> int:
    engine = create_async_db_engine(url)
    statements: list[str] = []
    for sql_engine in statement_engines(engine):
        event.listen(sql_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        db = Reader(engine)
        schema = build_schema()
        await execute_fast(
            schema._schema,
            parse(query),
            None,
            {"n": page_size},
            db=db,
            locale=Locale.EN,
            visibility=PUBLIC,
        )
        await db.close()
        return len(statements)
    finally:
        await engine.dispose()


async def test_fast_path_statement_count_is_constant(synthetic_url: str) -> None:
    assert await _fast_statements_for(synthetic_url, 20) == await _fast_statements_for(synthetic_url, 50)
    assert await _fast_statements_for(synthetic_url, 50) == COMPILED_STATEMENTS


async def test_the_timeline_is_one_statement_whatever_its_length(synthetic_url: str) -> None:
    recent = await _fast_statements_for(synthetic_url, 2015, FRONT_PAGE_ROWS)
    assert recent == await _fast_statements_for(synthetic_url, 1990, FRONT_PAGE_ROWS) == COMPILED_STATEMENTS


async def test_statement_count_is_constant(synthetic_url: str) -> None:
    small, _ = await _statements_for(synthetic_url, 20)
    large, large_data = await _statements_for(synthetic_url, 50)
    assert len(large_data["events"]["edges"]) == 50
    linked = sum(len(edge["node"]["partners"]) for edge in large_data["events"]["edges"])
    assert linked > 50  # the relations were really loaded
    assert small == large == EXPECTED_STATEMENTS


async def test_an_uncached_anonymous_read_is_one_round_trip(synthetic_url: str) -> None:
    """With the content version read from the database (several processes write), an answer the
    cache holds nothing for reads the version in its own statement: one statement, not two. A
    repeated request reads the version alone, to check what is kept, and is answered from it."""
    settings = Settings(database_url=synthetic_url, response_cache_verify="always", rate_limit=False)
    app = create_app(settings)
    services: Services = app.state.services
    statements: list[str] = []
    for sql_engine in statement_engines(services.engine):
        event.listen(sql_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    body = {"query": FRONT_PAGE, "variables": {"n": 20}}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://accord.test") as client:
            statements.clear()
            first = await client.post("/graphql", json=body)
            assert first.status_code == 200 and "errors" not in first.json()
            assert len(statements) == 1, statements
            assert "content_version" in statements[0]
            statements.clear()
            second = await client.post("/graphql", json=body)
            assert second.content == first.content
            assert len(statements) == 1 and "node_json" not in statements[0], statements
            statements.clear()  # a client that asks for a fresh answer gets one, in one statement
            third = await client.post("/graphql", json=body, headers={"Cache-Control": "no-cache"})
            assert third.content == first.content
            assert len(statements) == 1 and "node_json" in statements[0], statements


async def test_a_page_statement_carries_its_limit_in_its_text(synthetic_url: str) -> None:
    """The page size is written into the statement (LIMIT 21), not sent as a parameter: PostgreSQL
    plans a prepared statement with LIMIT $n again on every execution (a generic plan must assume a
    tenth of the table). Here it keeps one generic plan after its first executions."""
    engine = create_async_db_engine(synthetic_url, pool_size=1, max_overflow=0)
    statements: list[str] = []
    for sql_engine in statement_engines(engine):
        event.listen(sql_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        db = Reader(engine)
        for _ in range(8):  # PostgreSQL weighs a generic plan after the fifth execution
            await execute_fast(
                build_schema()._schema,
                parse(FRONT_PAGE),
                None,
                {"n": 20},
                db=db,
                locale=Locale.EN,
                visibility=PUBLIC,
            )
        await db.close()
        assert all("LIMIT 21" in statement for statement in statements), statements[-1]
        if engine.dialect.name != "postgresql":
            return
        async with engine.connect() as conn:  # the pool's one connection: its prepared statements
            plans = await conn.exec_driver_sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%node_json%' AND statement NOT LIKE '%pg_prepared%'"
            )
            [(generic, custom)] = [tuple(row) for row in plans.all()]
        assert generic >= 3 and custom <= 5, (generic, custom)
    finally:
        await engine.dispose()


async def test_a_burst_of_readers_keeps_its_connections(synthetic_url: str) -> None:
    """More requests at once than the pool holds wait for a connection, and the connections stay
    open afterwards: a pool that opened extra connections for a burst and closed them on return
    made PostgreSQL start a backend (and plan every statement again) every few requests."""
    if not synthetic_url.startswith("postgresql"):
        pytest.skip("SQLite opens no server connections")
    app = create_app(Settings(database_url=synthetic_url, rate_limit=False))
    services: Services = app.state.services
    opened: list[object] = []
    event.listen(services.engine.sync_engine, "connect", lambda *args: opened.append(args[0]))

    async def burst(client: httpx.AsyncClient, round_: int) -> None:
        answers = await asyncio.gather(
            *(
                client.post(
                    "/graphql",
                    json={"query": FRONT_PAGE, "variables": {"n": 5, "nonce": f"{round_}-{n}"}},
                    headers={"Cache-Control": "no-cache"},
                )
                for n in range(48)
            )
        )
        assert all(a.status_code == 200 and "errors" not in a.json() for a in answers)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://accord.test") as client:
            await burst(client, 0)
            first = len(opened)
            assert 0 < first <= 20
            for round_ in range(1, 4):
                await burst(client, round_)
            assert len(opened) == first, f"{len(opened) - first} connections opened after the first burst"
