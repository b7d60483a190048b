"""Settings from the environment (prefix ``ACCORD_``), validated by pydantic-settings.

There is no module-level instance: ``Settings()`` is built where the process starts (the CLI,
``create_app``) and passed down, so tests and workers can run side by side with different values.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PubSub = Literal["auto", "memory", "poll", "postgres", "redis"]


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    # Each setting's docstring is its description (what it does, its unit, what its values mean).
    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore", use_attribute_docstrings=True)

    database_url: str = "sqlite:///accord.db"
    """SQLAlchemy URL: sqlite:///PATH (embedded default) or postgresql://USER@HOST/DB."""
    public_url: str = "http://127.0.0.1:8000"
    """Base URL the service is reached at; feed links and event pages are built from it (`accord serve` sets
    it to the address it listens on when unset)."""
    env: Environment = Environment.DEVELOPMENT
    """production masks unexpected errors, turns off field suggestions and logs JSON."""
    load_fixtures_on_empty: bool = True
    """`accord serve` loads the bundled fixtures into an empty SQLite database."""
    log_level: str = "info"
    """debug, info, warning or error."""
    log_format: Literal["auto", "json", "text"] = "auto"
    """Log lines as JSON (auto: in production) or text (auto: in development)."""
    read_database_url: str | None = None
    """A read replica for queries and feeds; writes and the change log use the primary."""
    max_body_bytes: int = Field(default=100 * 1024, ge=1024)
    """Largest accepted request body (413 beyond)."""
    graphiql: bool = True
    """Serve GraphiQL at GET /graphql to browsers."""
    # Feeds (accord.feeds): the saved-feeds file, read and checked at start.
    feeds_file: Path | None = None
    """YAML file of saved feeds served at /feeds/{name}.{rss,atom,json} (docs/feeds.md)."""
    redis_url: str | None = None
    """redis://HOST:PORT/DB: fan live milestones out through Redis."""
    pubsub: PubSub = "auto"
    """How workers and instances learn of new changes: auto, memory, poll, postgres or redis."""
    change_poll_seconds: float = Field(default=0.1, gt=0, le=60)
    """How often `poll` (SQLite with several workers) reads the change log."""
    change_safety_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    """With LISTEN/NOTIFY or Redis, how often the change log is read anyway (a lost signal costs at most
    this)."""
    keep_alive_seconds: int = Field(default=5, ge=1, le=3600)
    """Idle HTTP keep-alive; behind a load balancer, set it above the balancer's idle timeout."""
    max_connections: int = Field(default=1000, ge=1, le=100_000)
    """Open connections a worker process serves (HTTP and WebSocket); requests and WebSocket handshakes past
    it get 503."""
    ws_init_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    """A WebSocket must send connection_init within this (else 4408)."""
    ws_max_subscriptions: int = Field(default=20, ge=1, le=1000)
    """Operations per WebSocket connection."""
    ws_max_message_bytes: int = Field(default=64 * 1024, ge=1024)
    """Largest WebSocket message (the connection closes with 1009)."""
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    """WebSocket keep-alive ping interval."""
    ws_per_message_deflate: bool = False
    """Compress WebSocket messages (costs about 40 KiB of memory per connection)."""
    # Speed (docs/performance.md).
    response_cache: bool = True
    """Keep answers to anonymous reads until content changes."""
    response_cache_entries: int = Field(default=1000, ge=1)
    """Answers the response cache keeps."""
    fast_path: bool = True
    """Answer supported reads on the compiled path (the general executor answers the rest)."""
    response_cache_verify: Literal["auto", "always", "never"] = "auto"
    """Read the content version from the database on each cached answer (auto: when other processes may write,
    i.e. several workers or PostgreSQL/Redis fan-out)."""
    http_cache_seconds: int = Field(default=5, ge=0)
    """max-age of anonymous GET answers."""
    workers: int = Field(default=1, ge=1)
    """Set by `accord serve --workers`."""
    # Abuse limits (docs/security.md): refused before execution, cheaply.
    max_depth: int = Field(default=10, ge=1, le=100)
    """Deepest field nesting of an operation."""
    max_aliases: int = Field(default=15, ge=0, le=1000)
    """Aliased fields per operation."""
    max_tokens: int = Field(default=2000, ge=50, le=100_000)
    """Lexical tokens per document."""
    max_directives: int = Field(default=50, ge=0, le=1000)
    """Directives per operation."""
    max_selections: int = Field(default=1000, ge=10, le=100_000)
    """Fields, inline fragments and spreads per operation, fragments expanded where spread."""
    max_field_overlap: int = Field(default=1000, ge=0, le=1_000_000)
    """Pairs of fields sharing a response path that validation must compare for merging (repeating one field n
    times costs n(n-1)/2)."""
    cost_budget: int = Field(default=5000, ge=1)
    """Largest computed cost of an operation."""
    execution_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    """Per operation."""
    statement_timeout_ms: int = Field(default=5000, ge=0)
    """PostgreSQL statement_timeout (0: none)."""
    introspection: bool = True
    """Answer introspection queries (__schema, __type)."""
    batch_max: int = Field(default=0, ge=0, le=100)
    """Operations per batched request (0: batching off)."""
    cors_origins: str = ""
    """Comma-separated origins allowed to call the API from browsers (* for any); in development, loopback
    origins are allowed too."""
    rate_limit: bool = True
    """Token-bucket rate limits per client address and token."""
    rate_reads_per_second: float = Field(default=50.0, gt=0)
    """Requests per second per client address."""
    rate_reads_burst: int = Field(default=100, ge=1)
    """Requests a client address may send at once."""
    rate_writes_per_second: float = Field(default=2.0, gt=0)
    """Mutations per second per token."""
    rate_writes_burst: int = Field(default=20, ge=1)
    """Mutations a token may send at once."""
    rate_ws_connects_per_second: float = Field(default=2.0, gt=0)
    """WebSocket connections per second per client address."""
    rate_ws_connects_burst: int = Field(default=20, ge=1)
    """WebSocket connections a client address may open at once."""
    # Tracing (docs/operations.md): off unless an endpoint is set here or in OTEL_EXPORTER_OTLP_*.
    otel_endpoint: str | None = None
    """An OTLP/HTTP collector, http://HOST:4318: send OpenTelemetry traces to /v1/traces there (the standard
    OTEL_* variables work too)."""
    # -- push delivery (accord.push): webhooks and the WebSub hub; docs/webhooks.md --
    webhook_allow_private: bool = False
    """Let webhooks and WebSub callbacks reach loopback, private and link-local addresses (tests, closed
    networks); cloud metadata addresses stay refused."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    """How long one webhook or WebSub request may take."""
    webhook_max_attempts: int = Field(default=8, ge=1, le=30)
    """Attempts per delivery before it is given up."""
    webhook_retry_base_seconds: float = Field(default=15.0, gt=0, le=86_400)
    """Wait before the first retry; each next wait is 4 times longer, +/-25% jitter."""
    webhook_disable_after_failures: int = Field(default=40, ge=1)
    """Failed attempts in a row after which an endpoint is disabled."""
    webhook_concurrency: int = Field(default=32, ge=1, le=1000)
    """Deliveries one process sends at once."""
    webhook_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    """How often the outbox is read anyway (retries, other instances)."""
    webhook_claim_seconds: float = Field(default=60.0, gt=0, le=3600)
    """How long one process's claim on a delivery lasts (a killed process's claims lapse)."""
    websub_lease_seconds: int = Field(default=10 * 86_400, ge=1, le=365 * 86_400)
    """WebSub lease when the subscriber asks for none, and the longest granted."""
    # -- end of push delivery --
    # Images (accord.media, docs/media.md).
    media_max_upload_bytes: int = Field(default=15 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    """Largest accepted image upload, in bytes (15 MiB); a multipart request's body may hold this plus
    ACCORD_MAX_BODY_BYTES."""
    media_max_pixels: int = Field(default=50_000_000, ge=1, le=250_000_000)
    """Largest accepted image, in pixels (width × height), checked before decoding."""
    media_cache_dir: Path | None = None
    """Where image variants are cached on this instance's disk (default: media-cache beside the SQLite file,
    else ./media-cache)."""
    # Scheduled publishing and previews (docs/editing.md).
    schedule_poll_seconds: float = Field(default=1.0, ge=0.05, le=60)
    """How often each process looks for scheduled publishes made elsewhere: a scheduled publish is at most
    this late, plus the time the publish takes."""
    preview_secret: SecretStr | None = None
    """Signs preview links (at least 32 characters). Unset: one is generated and kept in the database, shared
    by every instance, and `accord secret rotate preview` replaces it."""

    @field_validator(
        "feeds_file", "media_cache_dir", "preview_secret", "read_database_url", "otel_endpoint", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """An optional setting given as an empty variable (``ACCORD_FEEDS_FILE=``) is not set."""
        return None if value == "" else value

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {value!r}") from exc
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://...")
        return value

    @field_validator("preview_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "must be at least 32 characters "
                "(`python -c 'import secrets; print(secrets.token_urlsafe(32))'` makes one)"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("otel_endpoint")
    @classmethod
    def _collector_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError when the port is not a number from 0 to 65535)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be http://HOST:PORT or https://HOST:PORT (an OTLP/HTTP collector)")
        if parts.query or parts.fragment or any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError("must be a plain base URL: no query, fragment, spaces or control characters")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _settings_agree(self) -> Settings:
        if self.webhook_claim_seconds <= self.webhook_timeout_seconds:
            raise ValueError(
                "ACCORD_WEBHOOK_CLAIM_SECONDS must be longer than ACCORD_WEBHOOK_TIMEOUT_SECONDS"
            )
        if self.pubsub == "redis" and not self.redis_url:
            raise ValueError("ACCORD_PUBSUB=redis needs ACCORD_REDIS_URL")
        if self.pubsub == "postgres" and self.is_sqlite:
            raise ValueError("ACCORD_PUBSUB=postgres needs a PostgreSQL ACCORD_DATABASE_URL")
        return self

    @property
    def pubsub_backend(self) -> str:
        """The chosen backend: Redis when configured, LISTEN/NOTIFY on PostgreSQL, else polling."""
        if self.pubsub != "auto":
            return self.pubsub
        if self.redis_url:
            return "redis"
        return "poll" if self.is_sqlite else "postgres"

    @property
    def verify_content_version(self) -> bool:
        if self.response_cache_verify != "auto":
            return self.response_cache_verify == "always"
        shared = self.workers > 1 or self.read_database_url is not None
        return shared or self.pubsub_backend in ("postgres", "redis")

    @property
    def log_format_resolved(self) -> str:
        if self.log_format != "auto":
            return self.log_format
        return "json" if self.is_production else "text"

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()]

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
