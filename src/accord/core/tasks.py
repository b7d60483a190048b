"""Background tasks: stopping them."""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_and_wait(*tasks: asyncio.Task[None] | None) -> None:
    """Cancel each task, then wait until each has ended, so that nothing it holds (a connection, a
    claim) outlives the caller's stop. ``None`` stands for a task never started."""
    started = [task for task in tasks if task is not None]
    for task in started:
        task.cancel()
    for task in started:
        with contextlib.suppress(asyncio.CancelledError):
            await task
