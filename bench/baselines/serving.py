"""How every baseline server starts: the same command-line options and the HTTP options
`accord serve` gives uvicorn (uvloop and httptools when installed), so the stacks compare."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """--host, --port and --log-level; a baseline adds its own options."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log-level", default="warning")
    return parser


def serve(app: Any, args: argparse.Namespace, **options: Any) -> None:
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        **options,
    )
