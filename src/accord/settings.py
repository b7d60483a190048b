"""Settings from the environment (prefix ``ACCORD_``), validated by pydantic-settings.

There is no module-level instance: ``Settings()`` is built where the process starts (the CLI,
``create_app``) and passed down, so tests and workers can run side by side with different values.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///accord.db",
        description="SQLAlchemy URL: sqlite:///PATH (embedded default) or postgresql://USER@HOST/DB.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL the service is reached at; feed links and event pages are built from it.",
    )
    env: Environment = Environment.DEVELOPMENT
    load_fixtures_on_empty: bool = Field(
        default=True,
        description="`accord serve` loads the bundled fixtures into an empty SQLite database.",
    )
    log_level: str = "info"
    max_body_bytes: int = Field(
        default=100 * 1024, ge=1024, description="Largest accepted request body (413 beyond)."
    )
    graphiql: bool = Field(default=True, description="Serve GraphiQL at GET /graphql to browsers.")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {value!r}") from exc
        backend = url.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://...")
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def database(self) -> URL:
        return make_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for SQLite URLs (None for in-memory or other backends)."""
        if not self.is_sqlite or not self.database.database or self.database.database == ":memory:":
            return None
        return Path(self.database.database)
