"""Fresh databases for a test: a SQLite file, or a new database on the harness's PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from accord.content.files import bundled_fixtures_dir, fixture_files
from accord.content.service import load_files
from accord.db import create_sync_engine
from accord.migrate import upgrade


def sqlite_url(directory: Path, name: str = "accord.db") -> str:
    return f"sqlite:///{directory / name}"


def migrated_engine(url: str) -> Engine:
    engine = create_sync_engine(url)
    upgrade(engine)
    return engine


def seed(url: str) -> None:
    """Migrate and load the bundled fixtures."""
    engine = migrated_engine(url)
    try:
        load_files(engine, fixture_files(bundled_fixtures_dir()))
    finally:
        engine.dispose()
