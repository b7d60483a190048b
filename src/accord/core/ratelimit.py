"""Token-bucket rate limits per client address and per API token, answered with 429 and Retry-After.

Buckets live in the process: with several workers or instances each enforces its own share
(documented in docs/security.md). Idle buckets are dropped so memory stays bounded.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

import orjson
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.observability.middleware import PROBE_PATHS

MAX_BUCKETS = 50_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float:
        """0 when allowed; otherwise the seconds to wait before the next request is."""
        moment = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated=moment)
            self._buckets[key] = bucket
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(self.burst), bucket.tokens + (moment - bucket.updated) * self.rate)
            bucket.updated = moment
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


def address_key(connection: HTTPConnection) -> str:
    """Reads and connects are counted per client address: any header, tokens included, is the
    client's to invent, so keying on one would hand out a fresh bucket per request."""
    client = connection.client
    return "addr:" + (client.host if client else "unknown")


def token_key(name: str) -> str:
    """Writes are counted per (verified) token: one editor is one client wherever it writes from."""
    return "token:" + hashlib.sha256(name.encode()).hexdigest()[:32]


def retry_after(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


class RateLimits:
    def __init__(
        self,
        *,
        enabled: bool,
        reads: tuple[float, int],
        writes: tuple[float, int],
        ws_connects: tuple[float, int],
    ) -> None:
        self.enabled = enabled
        self.reads = TokenBuckets(*reads)
        self.writes = TokenBuckets(*writes)
        self.ws_connects = TokenBuckets(*ws_connects)

    def check(self, buckets: TokenBuckets, connection: HTTPConnection, key: str | None = None) -> float:
        if not self.enabled:
            return 0.0
        return buckets.take(key if key is not None else address_key(connection))


class ReadRateLimit:
    """ASGI middleware: every HTTP request but health checks takes a token from the reads bucket."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limits.enabled or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        wait = self.limits.check(self.limits.reads, HTTPConnection(scope))
        if not wait:
            await self.app(scope, receive, send)
            return
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": f"too many requests: try again in {retry_after(wait)} s",
                        "extensions": {"code": "RATE_LIMITED"},
                    }
                ]
            }
        )
        response = Response(
            body, status_code=429, media_type="application/json", headers={"Retry-After": retry_after(wait)}
        )
        await response(scope, receive, send)
