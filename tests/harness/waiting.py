"""Waiting for something to happen, with a deadline: the tests' readiness signals.

A test that needs the server in some state (listening, a subscription registered, a row written)
waits until it can see that state, instead of sleeping for a time that is too long on a fast
machine and too short on a loaded one. The sleeps here are the polling interval of such a wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
INTERVAL = 0.05


def wait_until(
    condition: Callable[[], T],
    what: str,
    *,
    timeout: float = 15,
    interval: float = INTERVAL,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """The first truthy value of ``condition()``; exceptions of the ``ignoring`` types count as
    "not yet". Raises TimeoutError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except ignoring:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(interval)


async def eventually(
    condition: Callable[[], Awaitable[T]],
    what: str,
    *,
    timeout: float = 15,
    interval: float = INTERVAL,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """``wait_until`` for a coroutine condition, without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = await condition()
        except ignoring:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        await asyncio.sleep(interval)
