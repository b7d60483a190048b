"""What the application holds for its lifetime: settings, engines, the schema and the writer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from accord.auth import Viewer, authenticate, bearer_token
from accord.fastpath.service import FastPath
from accord.http.apq import PersistedQueries
from accord.http.ratelimit import RateLimits
from accord.http.response_cache import ResponseCache
from accord.live.groups import GroupRegistry
from accord.live.hub import MilestoneHub
from accord.live.shutdown import Stopping
from accord.live.signals import LocalSignal, PostgresSignal, RedisSignal, Signal
from accord.observability.metrics import Metrics
from accord.push.service import PushService
from accord.resolvers.db import Reader
from accord.resolvers.visibility import EDITOR, PUBLIC
from accord.schema import AccordSchema
from accord.schema.context import Context
from accord.schema.localize import locale_from_accept_language
from accord.settings import Settings
from accord.web.graphiql import graphiql_html
from accord.writes.content import ContentWriter, WriteResult


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine  # reads (a replica when configured)
    primary_engine: AsyncEngine  # tokens, the change log
    write_engine: AsyncEngine
    schema: AccordSchema
    writer: ContentWriter = field(init=False)
    rate_limits: RateLimits = field(init=False)
    metrics: Metrics = field(init=False)
    stopping: Stopping = field(init=False)
    verify_content_version: bool = field(init=False)
    persisted_queries: PersistedQueries = field(init=False)
    fast_path: FastPath | None = field(init=False)
    response_cache: ResponseCache | None = field(init=False)
    hub: MilestoneHub = field(init=False)
    groups: GroupRegistry = field(init=False)
    graphiql_page: str = field(init=False)
    push: PushService = field(init=False)  # webhooks and the WebSub hub (accord.push)
    live_connections: int = 0
    # Tells instances apart in responses (X-Accord-Instance) and in connection_ack, for operators.
    instance: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        settings = self.settings
        self.rate_limits = RateLimits(
            enabled=settings.rate_limit,
            reads=(settings.rate_reads_per_second, settings.rate_reads_burst),
            writes=(settings.rate_writes_per_second, settings.rate_writes_burst),
            ws_connects=(settings.rate_ws_connects_per_second, settings.rate_ws_connects_burst),
        )
        self.hub = MilestoneHub(self.primary_engine, create_signal(self.settings))
        # Read once: the settings' derived properties parse the database URL each time.
        self.verify_content_version = settings.verify_content_version
        self.metrics = Metrics()
        self.stopping = Stopping()
        self.persisted_queries = PersistedQueries()
        self.fast_path = FastPath(self.schema) if settings.fast_path else None
        self.response_cache = (
            ResponseCache(settings.response_cache_entries) if settings.response_cache else None
        )
        self.groups = GroupRegistry(self, self.hub)
        self.writer = ContentWriter(self.write_engine, on_commit=self._committed)
        self.graphiql_page = graphiql_html(self.settings.public_url)
        # -- push delivery (accord.push): its deliverer wakes when the hub sees new changes --
        self.push = PushService(
            settings,
            engine=self.primary_engine,
            transaction=self.writer.transaction,
            instance=self.instance,
            version_changed=self.hub.version_changed,
        )

    async def _committed(self, result: WriteResult) -> None:
        # Before the mutation answers: this worker's subscribers are served at once, the others
        # are told through the signal (PostgreSQL was told inside the transaction).
        await self.hub.committed(result.change_id)

    async def content_version(self) -> int:
        """The newest change this process knows of; from the database when other processes may write."""
        if self.verify_content_version:
            # From the database the answer is read from: a replica's change log is exactly as far
            # along as the rows it serves, so a lagging replica's answer is keyed by its own version.
            return await self.hub.newest_change(self.engine)
        return self.hub.content_version

    async def start(self) -> None:
        self.stopping.install()
        await self.hub.start()
        await self.push.start()  # push delivery

    async def viewer_for(self, authorization: str | None) -> Viewer | None:
        """The token holder of a request; an unknown or revoked token raises Unauthenticated."""
        token = bearer_token(authorization)
        return None if token is None else await authenticate(self.primary_engine, token)

    async def context_for(
        self, connection: HTTPConnection, viewer: Viewer | None = None, *, writes: bool = False
    ) -> Context:
        """The context of one operation; a mutation reads from the primary (it must see its own write,
        which a replica may not have yet)."""
        return Context(
            db=Reader(self.primary_engine if writes else self.engine),
            locale=locale_from_accept_language(connection.headers.get("accept-language")),
            visibility=EDITOR if viewer is not None and viewer.allows("read_drafts") else PUBLIC,
            request=connection,
            viewer=viewer,
            services=self,
        )

    async def graphiql(self, request: Request) -> Response:
        if not self.settings.graphiql:
            return PlainTextResponse("GraphiQL is switched off on this server.", status_code=404)
        return HTMLResponse(self.graphiql_page)

    async def close(self) -> None:
        await self.push.close()  # push delivery
        await self.hub.stop()
        for engine in {id(e): e for e in (self.write_engine, self.engine, self.primary_engine)}.values():
            await engine.dispose()


def create_signal(settings: Settings) -> Signal:
    backend = settings.pubsub_backend
    signal: Signal
    if backend == "redis":
        assert settings.redis_url is not None
        signal = RedisSignal(settings.redis_url)
        signal.safety_poll_seconds = settings.change_safety_poll_seconds
        return signal
    if backend == "postgres":
        dsn = settings.database.set(drivername="postgresql").render_as_string(hide_password=False)
        signal = PostgresSignal(dsn)
        signal.safety_poll_seconds = settings.change_safety_poll_seconds
        return signal
    if backend == "poll":
        return LocalSignal("poll", settings.change_poll_seconds)
    return LocalSignal("memory", 2.0)
