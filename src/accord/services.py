"""What the application holds for its lifetime, wired together: engines, the schema, the operation
pipeline, the writer and its hooks, the live layer, push delivery, the caches. Nothing here does the
work; each part lives in its own package and is handed what it needs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from accord.core.preview import PreviewLinks, PreviewSecret
from accord.core.ratelimit import RateLimits
from accord.db import create_async_db_engine
from accord.fastpath.service import FastPath
from accord.feeds.links import event_url
from accord.http.apq import PersistedQueries
from accord.http.graphql_http import GraphQLHTTPEndpoint
from accord.http.response_cache import ResponseCache
from accord.live.groups import GroupRegistry
from accord.live.hub import MilestoneHub
from accord.live.runtime import Live
from accord.live.shutdown import Stopping
from accord.live.signals import LocalSignal, PostgresSignal, RedisSignal, Signal, notify_in_transaction
from accord.media import MediaLimits
from accord.observability.metrics import Metrics
from accord.observability.tracing import start_tracing
from accord.operation.pipeline import Pipeline
from accord.operation.prepare import Limits
from accord.push.graphql import PushFields
from accord.push.outbox import enqueue_for_write
from accord.push.service import PushService
from accord.read.db import statement_engines
from accord.schedule.scheduler import Scheduler
from accord.schema import build_schema
from accord.schema.context import ContextFactory
from accord.settings import Settings
from accord.web.graphiql import graphiql_html
from accord.web.media import MediaEndpoints
from accord.write.content import ContentWriter
from accord.write.images import ImageWriter
from accord.write.transaction import create_write_engine

if TYPE_CHECKING:
    from accord.observability.otel import Tracing


@dataclass(eq=False)
class Services:
    settings: Settings
    engine: AsyncEngine  # reads (a replica when configured)
    primary_engine: AsyncEngine  # tokens, the change log, a mutation's own reads
    write_engine: AsyncEngine
    writer: ContentWriter
    pipeline: Pipeline
    hub: MilestoneHub
    live: Live
    metrics: Metrics
    response_cache: ResponseCache | None
    graphql: GraphQLHTTPEndpoint
    content_version: Callable[[], Awaitable[int]]
    push: PushService  # webhooks and the WebSub hub: the deliverer, /websub, the admin functions
    media: MediaEndpoints
    scheduler: Scheduler
    background_engine: AsyncEngine  # the scheduler's and the push deliverer's polls
    preview_secret: PreviewSecret
    tracing: Tracing | None = None  # None: tracing is off

    async def start(self) -> None:
        self.live.stopping.install()
        await self.hub.start()
        await self.push.start()
        await self.scheduler.start()

    async def close(self) -> None:
        await self.scheduler.stop()
        await self.push.close()
        await self.hub.stop()
        engines = (self.write_engine, self.engine, self.primary_engine, self.background_engine)
        for engine in {id(e): e for e in engines}.values():
            await engine.dispose()
        if self.tracing is not None:
            self.tracing.shutdown()  # sends the spans still queued


def committing_writer(write_engine: AsyncEngine) -> ContentWriter:
    """The writer of every write, the server's and the CLI's: inside each transaction PostgreSQL is
    told of the change (LISTEN/NOTIFY reaches the running servers) and the deliveries the write
    owes go into the push outbox, so a write made from the command line owes webhooks what the
    same write over GraphQL owes."""
    writer = ContentWriter(write_engine)
    writer.in_transaction.append(notify_in_transaction)
    writer.in_transaction.append(enqueue_for_write)
    return writer


def build_services(settings: Settings, tracing: Tracing | None = None) -> Services:
    """Every part, wired. ``tracing``: where spans go (default: ACCORD_OTEL_ENDPOINT and the OTEL_*
    variables decide, and with neither set tracing is off)."""
    timeout = settings.statement_timeout_ms
    primary = create_async_db_engine(settings.database_url, statement_timeout_ms=timeout)
    # Reads may go to a replica; writes, tokens and the change log always use the primary.
    # On PostgreSQL the read engine has its own pool without pre-ping: a ping is a round trip on
    # every request, and accord.read.db.Reader runs a read again on a fresh connection when
    # the server dropped the pooled one (a restart, pg_terminate_backend). Writes keep pre-ping.
    # It reads in autocommit: no BEGIN, and no ROLLBACK when the connection goes back to the pool
    # (a round trip each); a request's reads never needed one snapshot.
    read_url = settings.read_database_url or settings.database_url
    engine = (
        create_async_db_engine(
            read_url, statement_timeout_ms=timeout, pool_pre_ping=False, isolation_level="AUTOCOMMIT"
        )
        if settings.read_database_url or primary.dialect.name == "postgresql"
        else primary
    )
    write_engine = create_write_engine(settings.database_url, primary)
    if tracing is None:
        tracing = start_tracing(settings.otel_endpoint, os.environ)
    if tracing is not None:
        tracing.instrument(
            [*statement_engines(engine), *statement_engines(primary), write_engine.sync_engine]
        )
    hub = MilestoneHub(primary, create_signal(settings))
    writer = committing_writer(write_engine)
    instance = uuid.uuid4().hex[:12]
    # Background tasks (the scheduler, the push deliverer) look for due work on connections of their
    # own (the primary's database): their polls never wait for one of the requests' connections,
    # nor hold one, nor show among a request's statements.
    background_engine = create_async_db_engine(
        settings.database_url, statement_timeout_ms=timeout, pool_size=1, max_overflow=1
    )
    # Push delivery on the primary, writing through the writer's transactions (on SQLite they queue
    # with the mutations'), woken when the hub's content version moves, polling on its own engine.
    push = PushService(
        settings,
        engine=primary,
        poll_engine=background_engine,
        transaction=writer.transaction,
        instance=instance,
        version_changed=hub.version_changed,
    )
    # This worker's subscribers and caches, and the other processes, learn of a commit once it is
    # made; the deliverer wakes when the hub sees the change (this worker's and other processes').
    writer.after_commit.append(hub.committed_write)
    # The schema `accord serve` serves: the model's, with push delivery's admin fields.
    push_fields = PushFields(push.admin, push.hub)
    schema = build_schema(
        settings, query_fields=push_fields.query_fields(), mutation_fields=push_fields.mutation_fields()
    )
    metrics = Metrics()
    fast_path = FastPath(schema._schema) if settings.fast_path else None
    pipeline = Pipeline(
        schema,
        Limits.from_settings(settings),
        fast_path,
        settings.execution_timeout_seconds,
        metrics,
        tracing,
    )
    # Image writes go through the same writer (its transactions, revisions, change log and hooks).
    media_limits = MediaLimits.from_settings(settings)
    images = ImageWriter(writer, media_limits)
    # Scheduled publishes go through the same writer, so the hooks above (the live layer's and push
    # delivery's) hear of them as of any publish.
    scheduler = Scheduler(background_engine, writer, settings.schedule_poll_seconds)
    writer.after_commit.append(scheduler.committed_write)
    configured = settings.preview_secret.get_secret_value() if settings.preview_secret else None
    preview_secret = PreviewSecret(primary, configured)
    previews = PreviewLinks(preview_secret, lambda slug: event_url(settings.public_url, slug))
    contexts = ContextFactory(
        engine, primary, writer, images=images, media_base=settings.public_url, previews=previews
    )
    rate_limits = RateLimits(
        enabled=settings.rate_limit,
        reads=(settings.rate_reads_per_second, settings.rate_reads_burst),
        writes=(settings.rate_writes_per_second, settings.rate_writes_burst),
        ws_connects=(settings.rate_ws_connects_per_second, settings.rate_ws_connects_burst),
    )
    live = Live(
        settings=settings,
        pipeline=pipeline,
        hub=hub,
        groups=GroupRegistry(pipeline, engine, hub, media_base=settings.public_url),
        contexts=contexts,
        rate_limits=rate_limits,
        stopping=Stopping(),
        instance=instance,
    )
    response_cache = ResponseCache(settings.response_cache_entries) if settings.response_cache else None
    page = graphiql_html(settings.public_url)

    async def graphiql(request: Request) -> Response:
        if not settings.graphiql:
            return PlainTextResponse("GraphiQL is switched off on this server.", status_code=404)
        return HTMLResponse(page)

    # Read once: the settings' derived properties parse the database URL each time.
    verify = settings.verify_content_version

    async def content_version() -> int:
        """The newest change the answers of this process may reflect (accord.http.response_cache)."""
        if verify:
            # From the database the answer is read from: a replica's change log is exactly as far
            # along as the rows it serves, so a lagging replica's answer is keyed by its own version.
            return await hub.newest_change(engine)
        return hub.content_version

    graphql = GraphQLHTTPEndpoint(
        settings=settings,
        pipeline=pipeline,
        contexts=contexts,
        metrics=metrics,
        rate_limits=rate_limits,
        persisted_queries=PersistedQueries(),
        response_cache=response_cache,
        content_version=content_version,
        graphiql=graphiql,
        version_in_statement=verify,
        max_upload_bytes=media_limits.max_upload_bytes,
    )
    return Services(
        settings=settings,
        engine=engine,
        primary_engine=primary,
        write_engine=write_engine,
        writer=writer,
        pipeline=pipeline,
        hub=hub,
        live=live,
        metrics=metrics,
        response_cache=response_cache,
        graphql=graphql,
        content_version=content_version,
        tracing=tracing,
        push=push,
        media=MediaEndpoints.from_settings(settings, engine, content_version, preview_secret),
        scheduler=scheduler,
        background_engine=background_engine,
        preview_secret=preview_secret,
    )


def create_signal(settings: Settings) -> Signal:
    backend = settings.pubsub_backend
    if backend == "poll":
        return LocalSignal("poll", settings.change_poll_seconds)
    if backend == "memory":
        return LocalSignal("memory", 2.0)
    signal: Signal
    if backend == "redis":
        assert settings.redis_url is not None
        signal = RedisSignal(settings.redis_url)
    else:
        dsn = settings.database.set(drivername="postgresql").render_as_string(hide_password=False)
        signal = PostgresSignal(dsn)
    signal.safety_poll_seconds = settings.change_safety_poll_seconds
    return signal
