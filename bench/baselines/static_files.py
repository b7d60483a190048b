"""Baseline of `python -m bench media`: Starlette's ``StaticFiles`` serving a directory.

The same file accord serves as a cached image variant, through the stock way to serve files on
accord's stack (uvicorn + Starlette, one process, the same uvicorn options): a stat, then the file
read in chunks, with ETag and Last-Modified. No database, no visibility check, no middleware.

    python -m bench.baselines.static_files --directory DIR --port 8001
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bench.baselines.serving import arguments, serve


def create_app(directory: Path) -> Starlette:
    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Mount("/static", app=StaticFiles(directory=directory)),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__)
    parser.add_argument("--directory", type=Path, required=True, help="the directory to serve at /static")
    args = parser.parse_args(argv)
    serve(create_app(args.directory), args)


if __name__ == "__main__":
    main()
