"""Schema migrations (Alembic) driven from code: ``accord db upgrade`` and the start-up check."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlmodel import SQLModel

# Objects Alembic must not manage from the models: the full-text search structures are
# backend-specific (an FTS5 virtual table on SQLite, expression indexes on PostgreSQL) and are
# created by hand-written migrations.
UNMANAGED_PREFIXES = ("search_fts", "ix_search_document_fts", "ix_search_document_trgm")
# PostgreSQL's stored tsvector of each search document (migration 0005), a generated column.
UNMANAGED_COLUMNS = ("body_vector",)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if name is None:
        return True
    if name.startswith(UNMANAGED_PREFIXES):
        return False
    if type_ == "column" and reflected and name in UNMANAGED_COLUMNS:
        return False
    # SQLite's FTS5 shadow tables (search_fts_data, _idx, _content, _docsize, _config).
    return not (type_ == "table" and reflected and name.startswith("search_fts"))


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("accord") / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from accord.content.search_index import is_complete, rebuild_all

    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        # Content that predates the search index (or was written around it) gets indexed here.
        if revision == "head" and not is_complete(connection):
            rebuild_all(connection)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def is_current(connection: Connection) -> bool:
    return current_revision(connection) == head_revision()


def model_drift(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty when in sync)."""
    context = MigrationContext.configure(
        connection, opts={"include_object": include_object, "compare_type": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))
