"""Bringing a database up to date before serving: migrations and, on first start, the fixtures."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from accord.content.files import bundled_fixtures_dir, fixture_files
from accord.content.loader import LoadReport
from accord.content.service import is_empty, load_files
from accord.db import create_sync_engine
from accord.migrate import upgrade
from accord.settings import Settings

log = logging.getLogger("accord.startup")

# Any constant works; it only has to be the same in every accord process sharing a database.
MIGRATION_LOCK_KEY = 7_422_611


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or prepared; the message is one line for an operator."""


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, instances starting together take turns at migrating."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()


def prepare_database(settings: Settings) -> LoadReport | None:
    """Migrate to the newest schema; on an empty SQLite database, load the bundled fixtures."""
    path = settings.sqlite_path
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_sync_engine(settings.database_url)
    try:
        with migration_lock(engine):
            upgrade(engine)
            if settings.is_sqlite and settings.load_fixtures_on_empty and is_empty(engine):
                files = fixture_files(bundled_fixtures_dir())
                log.info("empty database: loading %d fixture file(s)", len(files))
                return load_files(engine, files)
        return None
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(describe_database_error(settings, exc)) from exc
    finally:
        engine.dispose()


def describe_database_error(settings: Settings, exc: SQLAlchemyError) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    where = settings.database.render_as_string(hide_password=True)
    return f"cannot use the database {where}: {reason}"
