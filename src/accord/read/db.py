"""Read access to the database for one request, and the tables as Core objects."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import Engine, Executable, Result, Select, func, select
from sqlalchemy.engine import FrozenResult
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.core.row_types import ResultRow
from accord.db import create_sync_engine

_SQLITE_TWINS: weakref.WeakKeyDictionary[AsyncEngine, Engine] = weakref.WeakKeyDictionary()


def sqlite_twin(engine: AsyncEngine) -> Engine | None:
    """A blocking engine on the same SQLite file, for reads run whole in a worker thread.

    Through aiosqlite every statement crosses to its thread and back several times (cursor,
    execute, fetch, close, the pool's rollback); a read run whole in one worker thread crosses once.
    That is about a millisecond per request, a third of a compiled front page. Writes keep the
    async engine (and its write queue). In-memory databases have no twin: a new connection would
    see another, empty, database.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    twin = _SQLITE_TWINS.get(engine)
    if twin is None:
        twin = create_sync_engine(engine.url)
        _SQLITE_TWINS[engine] = twin
        weakref.finalize(engine, twin.dispose)
    return twin


def statement_engines(engine: AsyncEngine) -> list[Engine]:
    """The engines whose events see the statements Readers on ``engine`` run (for counting)."""
    twin = sqlite_twin(engine)
    return [engine.sync_engine] if twin is None else [engine.sync_engine, twin]


def _run_whole(
    engine: Engine, statement: Executable, parameters: dict[str, Any] | None
) -> FrozenResult[*tuple[Any, ...]]:
    with engine.connect() as conn:
        return conn.execute(statement, parameters).freeze()


class Reader:
    """One connection for one request, its queries run one at a time.

    graphql-core resolves sibling fields concurrently, and a connection serves one statement at a
    time; the lock queues them. The connection is opened on the first query, so a request answered
    from a cache never touches the pool. Results come back buffered, so the lock is released as
    soon as the statement has run.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._twin = sqlite_twin(engine)
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self.statements = 0

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def execute(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Result[*tuple[Any, ...]]:
        async with self._lock:
            self.statements += 1
            if self._twin is not None:
                frozen = await asyncio.to_thread(_run_whole, self._twin, statement, parameters)
                return frozen()
            if self._conn is None:
                self._conn = await self._engine.connect()
            try:
                return await self._conn.execute(statement, parameters)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
            # The server dropped this pooled connection (SQLAlchemy has invalidated the pool's
            # older connections too): a read is safe to run again, once, on a fresh one.
            await self._conn.close()
            self._conn = await self._engine.connect()
            return await self._conn.execute(statement, parameters)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()


async def fetch_all(db: Reader, statement: Executable) -> list[ResultRow]:
    return list((await db.execute(statement)).all())


async def fetch_one(db: Reader, statement: Executable) -> ResultRow | None:
    return (await db.execute(statement)).first()


async def count(db: Reader, statement: Select[Any]) -> int:
    total = (await db.execute(select(func.count()).select_from(statement.order_by(None).subquery()))).scalar()
    return int(total or 0)
