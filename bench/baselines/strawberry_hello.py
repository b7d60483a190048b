"""Baseline (b) of `python -m bench http`: plain strawberry ``{ hello }`` on Starlette under uvicorn.

The fixed cost of a Python GraphQL request on accord's stack (parse, validate, execute, serialise,
through strawberry's own ASGI view) with one trivial resolver and no database: a ceiling no
GraphQL document that touches data can reach on this stack.

    python -m bench.baselines.strawberry_hello --port 8001
"""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from bench.baselines.serving import arguments, serve


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
    serve(create_app(), arguments(__doc__).parse_args(argv))


if __name__ == "__main__":
    main()
