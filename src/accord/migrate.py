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

from accord.models.unmanaged import include_object


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
