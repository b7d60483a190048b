"""Knowing that the process is stopping, for streams that would otherwise hold it open.

uvicorn stops accepting and waits for in-flight HTTP responses before the lifespan ends; a
Server-Sent Events stream never finishes on its own, so it would keep the worker alive until the
graceful timeout and then be cut. Streams watch this event and end themselves instead (browsers
reconnect with Last-Event-ID and miss nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from types import FrameType
from typing import Any


class Stopping:
    def __init__(self) -> None:
        self.event = asyncio.Event()

    def install(self) -> None:
        """Chain onto the server's SIGTERM and SIGINT handlers (main thread only; a no-op elsewhere)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)

            def handler(received: int, frame: FrameType | None, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.event.set)
                if callable(previous):
                    previous(received, frame)

            with contextlib.suppress(ValueError):  # not the main thread (embedded in another server)
                signal.signal(signum, handler)
