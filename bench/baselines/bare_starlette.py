"""Baseline (a) of `python -m bench http`: a bare Starlette route that returns fixed bytes.

The bytes are accord's own W1 answer for the data set at hand (captured from accord just before),
sent with the same media type, for GET and POST on /graphql: the floor of the Python HTTP stack
(uvicorn + Starlette, one process) for a response of that size. No GraphQL, no database, no cache.

    python -m bench.baselines.bare_starlette --body FILE --port 8001
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

MEDIA_TYPE = "application/json; charset=utf-8"


def create_app(body: bytes) -> Starlette:
    async def graphql(request: Request) -> Response:
        await request.body()  # read the request as a real handler would
        return Response(body, media_type=MEDIA_TYPE)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body", type=Path, required=True, help="the bytes to answer with")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    # The HTTP options `accord serve` gives uvicorn (uvloop and httptools when installed).
    uvicorn.run(
        create_app(args.body.read_bytes()),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
