"""The benchmark's webhook receiver: `python -m bench.push_receiver PORT`.

Answers 200 to every POST and keeps (path, webhook-id, slug, arrival time) for each; ``GET /results``
returns them as JSON. A Starlette app under uvicorn, in its own process, so that receiving does not
compete with the benchmark's client for one interpreter.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RECEIVED: list[tuple[str, str, str, float]] = []


async def receive(request: Request) -> Response:
    body = await request.body()
    at = time.time()
    event: dict[str, Any] = orjson.loads(body)
    RECEIVED.append((request.url.path, request.headers.get("webhook-id", ""), str(event.get("slug")), at))
    return Response(b"ok")


async def results(request: Request) -> Response:
    return Response(orjson.dumps(RECEIVED), media_type="application/json")


app = Starlette(
    routes=[Route("/results", results, methods=["GET"]), Route("/r/{n}", receive, methods=["POST"])]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", backlog=2048)
