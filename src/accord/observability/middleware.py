"""ASGI middleware: request id in and out, the answering instance, one JSON access line per request,
HTTP metrics."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.observability.request_id import OPERATION, REQUEST_ID, request_id_from

if TYPE_CHECKING:
    from accord.observability.metrics import Metrics

access = logging.getLogger("accord.access")
# Probes and scrapes: they come every few seconds and say nothing of a request, so they are not
# logged, traced or rate limited.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
KNOWN_ROUTES = PROBE_PATHS | {"/graphql", "/"}


def route_of(path: str) -> str:
    """A low-cardinality route label for a path."""
    if path in KNOWN_ROUTES:
        return path
    for prefix in ("/feeds", "/static"):
        if path.startswith(prefix):
            return prefix
    return "other"


class RequestObservability:
    def __init__(self, app: ASGIApp, metrics: Metrics, instance: str | None = None) -> None:
        self.app = app
        self.metrics = metrics
        # X-Accord-Instance on every HTTP response: which instance answered.
        self.instance = [] if instance is None else [(b"x-accord-instance", instance.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((value for name, value in scope["headers"] if name == b"x-request-id"), b"")
        request_id = request_id_from(given.decode("latin-1") or None)
        id_token = REQUEST_ID.set(request_id)
        operation_token = OPERATION.set(None)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    *self.instance,
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                elapsed_ms = (time.perf_counter() - started) * 1000
                route = route_of(scope["path"])
                self.metrics.http_requests.labels(route, str(status)).inc()
                if route not in PROBE_PATHS and access.isEnabledFor(logging.INFO):
                    access.info(
                        "%s %s %s %.1fms",
                        scope["method"],
                        scope["path"],
                        status,
                        elapsed_ms,
                        extra={
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round(elapsed_ms, 2),
                        },
                    )
            OPERATION.reset(operation_token)
            REQUEST_ID.reset(id_token)
