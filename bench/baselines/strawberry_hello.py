"""Baseline (b) of `python -m bench http`: plain strawberry ``{ hello }`` on Starlette under uvicorn.

The fixed cost of a Python GraphQL request on accord's stack (parse, validate, execute, serialise,
through strawberry's own ASGI view) with one trivial resolver and no database: a ceiling no
GraphQL document that touches data can reach on this stack.

    python -m bench.baselines.strawberry_hello --port 8001
"""

from __future__ import annotations

import argparse

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


def create_app() -> Starlette:
    graphql = GraphQL(strawberry.Schema(query=Query), graphql_ide=None)

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
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
