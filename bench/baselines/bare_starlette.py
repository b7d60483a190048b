"""Baseline (a) of `python -m bench http`: a bare Starlette route that returns fixed bytes.

The bytes are accord's own W1 answer for the data set at hand (captured from accord just before),
sent with the same media type, for GET and POST on /graphql: the floor of the Python HTTP stack
(uvicorn + Starlette, one process) for a response of that size. No GraphQL, no database, no cache.

    python -m bench.baselines.bare_starlette --body FILE --port 8001
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bench.baselines.serving import arguments, serve

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
    parser = arguments(__doc__)
    parser.add_argument("--body", type=Path, required=True, help="the bytes to answer with")
    args = parser.parse_args(argv)
    serve(create_app(args.body.read_bytes()), args)


if __name__ == "__main__":
    main()
