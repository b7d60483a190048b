"""The ASGI application: ``create_app(settings)``; the lifespan owns the engine."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from accord.core.ratelimit import ReadRateLimit
from accord.feeds.endpoints import FeedEndpoints
from accord.http.cross_origin import CrossOrigin
from accord.migrate import head_revision
from accord.observability.middleware import RequestObservability
from accord.services import build_services
from accord.settings import Settings
from accord.web.pages import web_routes

if TYPE_CHECKING:
    from accord.observability.otel import Tracing


def create_app(settings: Settings, tracing: Tracing | None = None) -> Starlette:
    """The application; ``tracing`` overrides where spans go (accord.services.build_services)."""
    services = build_services(settings, tracing)
    engine, primary, live = services.engine, services.primary_engine, services.live
    # Feeds: RSS, Atom, JSON Feed and OPML (accord.feeds); GraphiQL's <head> links to them.
    feeds = FeedEndpoints.from_settings(
        settings, engine, services.content_version, services.graphql.contexts.viewer_for
    )

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
        counts = {"connections": live.connections, "subscriptions": live.groups.subscriber_count}
        cache = services.response_cache
        cached = None
        if cache is not None:
            cached = {"entries": len(cache), "hits": cache.hits, "misses": cache.misses}
        return JSONResponse({"ready": True, "instance": live.instance, "live": counts, "cache": cached})

    async def metrics(request: Request) -> Response:
        return services.metrics.render(
            connections=live.connections,
            subscriptions=live.groups.subscriber_count,
            engines={"read": engine, "write": services.write_engine},
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.start()
        # Everything alive now (modules, the schema, engines) lives as long as the process: out of
        # the cyclic collector's reach, a full collection scans only what requests leave behind.
        # Without it, each full collection walked some 150,000 objects: 100 ms and more of blocked
        # event loop, every few hundred documents under a flood of new ones (bench/hostile.py).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await services.close()

    app = Starlette(
        routes=[
            Route("/graphql", services.graphql.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", live.websocket),
            Route("/feeds/milestones/stream", live.milestone_stream, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *feeds.routes(),
            # -- push delivery (accord.push): the WebSub hub at POST /websub --
            *services.push.routes(),
            *services.media.routes(),
            # -- web pages (accord.web.pages): the timeline page at / and the files under /static
            # (its CSS and JavaScript, and GraphiQL's vendored assets); docs/frontend.md --
            *web_routes(settings.public_url, engine, services.preview_secret),
            # -- end of web pages --
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(ReadRateLimit, limits=live.rate_limits)
    # Browsers on other origins (accord.http.cross_origin): ACCORD_CORS_ORIGINS, and in development
    # every loopback origin; refused preflights are explained.
    app.add_middleware(
        CrossOrigin, origins=settings.cors_origin_list, allow_loopback=not settings.is_production
    )
    if services.tracing is not None:
        # Imported only when tracing is on (accord.observability.tracing).
        from accord.observability.otel import TracedRequests

        # Inside RequestObservability, so the request's span carries its request id.
        app.add_middleware(TracedRequests, tracing=services.tracing)
    # Also adds X-Accord-Instance to every HTTP response: which instance answered.
    app.add_middleware(RequestObservability, metrics=services.metrics, instance=live.instance)
    return app


def create_app_from_environment() -> Starlette:
    """The uvicorn factory (``accord serve`` and ``--workers``): settings from ACCORD_* variables."""
    return create_app(Settings())
