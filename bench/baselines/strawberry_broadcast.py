"""Baseline for `python -m bench fanout`: plain strawberry with an in-process broadcast.

The usual way to build GraphQL subscriptions: strawberry's ASGI app on Starlette under uvicorn, one
process, one ``asyncio.Queue`` per subscriber, and a ``publish`` mutation that puts the new event
into every queue. strawberry then runs the subscription's selection once per subscriber per event.
No database: the baseline is given every advantage except grouping.

    python -m bench.baselines.strawberry_broadcast --host 127.0.0.1 --port 8001

Also serves ``GET /readyz`` -> ``{"live": {"connections": n, "subscriptions": m}}``, the same shape
as accord's, so the benchmark waits for and counts subscribers on both in the same way.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from bench.baselines.serving import arguments, serve


@strawberry.type
class Event:
    id: strawberry.ID
    slug: str
    title: str
    published_at: datetime


class Broadcast:
    """One queue per subscriber; publishing puts the event into each."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue[Event]] = set()
        self.ids = itertools.count(1)

    def publish(self, event: Event) -> None:
        for queue in self.queues:
            queue.put_nowait(event)

    async def subscribe(self) -> AsyncGenerator[Event, None]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self.queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self.queues.discard(queue)


BROADCAST = Broadcast()


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@strawberry.type
class Query:
    @strawberry.field
    def subscribers(self) -> int:
        return len(BROADCAST.queues)


@strawberry.type
class Mutation:
    @strawberry.mutation
    def publish(self, title: str) -> Event:
        event = Event(
            id=strawberry.ID(str(next(BROADCAST.ids))),
            slug=_slug(title),
            title=title,
            published_at=datetime.now(UTC),
        )
        BROADCAST.publish(event)
        return event


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def milestone_added(self) -> AsyncGenerator[Event, None]:
        async for event in BROADCAST.subscribe():
            yield event


schema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)


class ConnectionCount:
    """Counts the WebSocket connections being served (accord's /readyz reports the same)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.connections = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        self.connections += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.connections -= 1


def create_app() -> ConnectionCount:
    graphql = GraphQL(schema, graphql_ide=None, subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
    counter: ConnectionCount

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        live = {"connections": counter.connections, "subscriptions": len(BROADCAST.queues)}
        return JSONResponse({"ready": True, "live": live})

    starlette = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
    )
    counter = ConnectionCount(starlette)
    return counter


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__).parse_args(argv)
    # The WebSocket options `accord serve` passes uvicorn (accord.cli.serve, default settings):
    # the same implementations and event loop, and no permessage-deflate.
    serve(create_app(), args, ws_max_size=64 * 1024, ws_ping_interval=20.0, ws_per_message_deflate=False)


if __name__ == "__main__":
    main()
