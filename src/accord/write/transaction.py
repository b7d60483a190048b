"""One write transaction, serialised where the database needs it.

SQLite: ``BEGIN IMMEDIATE`` takes the write lock when the transaction starts, so two writers never
both read and then fail to upgrade to writing ("database is locked"); the busy timeout queues them.
PostgreSQL: the row being changed is read ``FOR UPDATE``, so concurrent edits of one row apply one
after the other, each to the latest state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.db import create_async_db_engine


def create_write_engine(url: str, read_engine: AsyncEngine) -> AsyncEngine:
    if read_engine.dialect.name != "sqlite":
        return read_engine
    engine = create_async_db_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
