"""The ASGI application: ``create_app(settings)``; the lifespan owns the engine."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.db import create_async_db_engine
from accord.feeds.endpoints import FeedEndpoints
from accord.http.graphql_http import GraphQLHTTPEndpoint
from accord.http.ratelimit import ReadRateLimit
from accord.live.sse import milestone_events
from accord.live.ws import graphql_websocket
from accord.media.serving import MediaEndpoints
from accord.migrate import head_revision
from accord.observability.metrics import metrics_endpoint
from accord.observability.middleware import RequestObservability
from accord.schema import build_schema
from accord.services import Services
from accord.settings import Settings
from accord.web.pages import web_routes
from accord.writes.transaction import create_write_engine


def create_app(settings: Settings) -> Starlette:
    timeout = settings.statement_timeout_ms
    primary = create_async_db_engine(settings.database_url, statement_timeout_ms=timeout)
    # Reads may go to a replica; writes, tokens and the change log always use the primary.
    # On PostgreSQL the read engine has its own pool without pre-ping: a ping is a round trip on
    # every request, and accord.resolvers.db.Reader runs a read again on a fresh connection when
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
    services = Services(
        settings=settings,
        engine=engine,
        primary_engine=primary,
        write_engine=create_write_engine(settings.database_url, primary),
        schema=build_schema(settings),
    )
    graphql = GraphQLHTTPEndpoint(services)
    # Feeds: RSS, Atom, JSON Feed and OPML (accord.feeds); GraphiQL's <head> links to them.
    feeds = FeedEndpoints.from_settings(settings, engine, services.content_version)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        current = None
        # Both databases when reads go to a replica: writes and the change log need the primary.
        for name, checked in {"database": primary, "read_database": engine}.items():
            try:
                async with checked.connect() as conn:
                    current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            except Exception as exc:
                return JSONResponse(
                    {"ready": False, name: f"unreachable: {type(exc).__name__}"}, status_code=503
                )
            if checked is primary and engine is primary:
                break
        head = head_revision()
        if current != head:
            return JSONResponse(
                {"ready": False, "migrations": {"current": current, "head": head}}, status_code=503
            )
        live = {"connections": services.live_connections, "subscriptions": services.groups.subscriber_count}
        cache = services.response_cache
        cached = None
        if cache is not None:
            cached = {"entries": len(cache), "hits": cache.hits, "misses": cache.misses}
        return JSONResponse({"ready": True, "instance": services.instance, "live": live, "cache": cached})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_websocket),
            Route("/feeds/milestones/stream", milestone_events, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *feeds.routes(),
            *MediaEndpoints.from_settings(settings, engine, services.content_version).routes(),
            # -- web pages (accord.web.pages): the timeline page at / and the files under /static
            # (its CSS and JavaScript, and GraphiQL's vendored assets); docs/frontend.md --
            *web_routes(settings.public_url),
            # -- end of web pages --
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(ReadRateLimit, limits=services.rate_limits)
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept", "Accept-Language", "X-Request-ID"],
            expose_headers=["ETag", "Retry-After", "X-Accord-Instance", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(InstanceHeader, instance=services.instance)
    app.add_middleware(RequestObservability, metrics=services.metrics)
    return app


class InstanceHeader:
    """Adds ``X-Accord-Instance`` to every HTTP response: which instance answered."""

    def __init__(self, app: ASGIApp, instance: str) -> None:
        self.app = app
        self.header = (b"x-accord-instance", instance.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, send_with_header)


def create_app_from_environment() -> Starlette:
    """The uvicorn factory (``accord serve`` and ``--workers``): settings from ACCORD_* variables."""
    return create_app(Settings())
