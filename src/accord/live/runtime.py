"""What the live endpoints need, and the endpoints themselves (routes take these bound methods)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from accord.core.ratelimit import RateLimits
from accord.live.groups import GroupRegistry
from accord.live.hub import MilestoneHub
from accord.live.shutdown import Stopping
from accord.operation.pipeline import Pipeline
from accord.schema.context import ContextFactory
from accord.settings import Settings


@dataclass(eq=False)
class Live:
    settings: Settings
    pipeline: Pipeline
    hub: MilestoneHub
    groups: GroupRegistry
    contexts: ContextFactory
    rate_limits: RateLimits
    stopping: Stopping
    instance: str  # tells instances apart in connection_ack, for operators
    connections: int = 0  # open WebSocket connections

    async def websocket(self, websocket: WebSocket) -> None:
        from accord.live.ws import GraphQLWebSocket  # the protocol's module builds on this one

        await GraphQLWebSocket(websocket, self).run()

    async def milestone_stream(self, request: Request) -> Response:
        from accord.live.sse import milestone_events

        return await milestone_events(request, self)
