"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

Users write plain URLs (``sqlite:///accord.db``, ``postgresql://user@host/db``); the driver is chosen
here: the standard-library sqlite3 or aiosqlite for SQLite; for PostgreSQL, psycopg 3 where code
blocks (the CLI, migrations, LISTEN) and asyncpg in the server (its binary protocol answers the
read path's queries in about 60% of psycopg's time, measured on the front-page query).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from accord.core.ids import SQLITE_GLOBAL_ID_FUNCTION, to_global_id

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Page cache per SQLite connection, in KiB. SQLite's default (2 MiB) is too small once the content
# outgrows it: the front page on 100k events read its pages from the OS again on every request and
# took twice as long in SQLite as on 10k. 8 MiB keeps a read's working set; a few connections exist.
SQLITE_CACHE_KIB = 8192


# The driver of each backend, blocking and asyncio; accord.settings refuses a URL of any other backend.
DRIVERS = {
    "sqlite": ("sqlite+pysqlite", "sqlite+aiosqlite"),
    "postgresql": ("postgresql+psycopg", "postgresql+asyncpg"),
}


def driver_url(url: str | URL, *, use_async: bool) -> URL:
    parsed = make_url(url)
    return parsed.set(drivername=DRIVERS[parsed.get_backend_name()][use_async])


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside one writer; the busy timeout makes writers queue instead of failing
    # with "database is locked"; SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()
    dbapi_connection.create_function(SQLITE_GLOBAL_ID_FUNCTION, 2, to_global_id, deterministic=True)


def _engine_options(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        return {}
    return {"pool_pre_ping": True, "pool_size": 20, "max_overflow": 0, "pool_recycle": 1800}


def create_sync_engine(url: str | URL, **overrides: Any) -> Engine:
    """A blocking engine for the CLI, migrations and bulk loads."""
    target = driver_url(url, use_async=False)
    options = _engine_options(target) | overrides
    engine = create_engine(target, **options)
    if target.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def create_async_db_engine(url: str | URL, *, statement_timeout_ms: int = 0, **overrides: Any) -> AsyncEngine:
    """The engine the web application uses: resolvers never block the event loop."""
    target = driver_url(url, use_async=True)
    options = _engine_options(target) | overrides
    if statement_timeout_ms and target.get_backend_name() == "postgresql":
        # The server cancels a runaway statement; the request gets an error instead of a stuck worker.
        options["connect_args"] = {"server_settings": {"statement_timeout": str(statement_timeout_ms)}}
    if target.get_backend_name() == "sqlite" and target.database in (None, "", ":memory:"):
        options.setdefault("poolclass", NullPool)
    engine = create_async_engine(target, **options)
    if target.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine
