"""Wake-up signals between processes: "the change log has new rows".

The change log is the source of truth; a signal only says "look now". So a lost signal costs
latency, never a milestone: every hub also re-reads the log on a timer, and after a reconnect.

- memory: nothing crosses processes; the local writer wakes its own hub (one worker).
- poll: the hub reads the log every ``poll_seconds`` (SQLite with several workers).
- postgres: ``NOTIFY accord_changes`` in the write transaction (delivered at commit) and ``LISTEN``.
- redis: ``PUBLISH`` after commit and a pub/sub subscription (several instances without LISTEN).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from accord.core.tasks import cancel_and_wait
from accord.write.content import WriteResult

log = logging.getLogger("accord.live")

CHANNEL = "accord_changes"
Wake = Callable[[], None]


async def notify_in_transaction(conn: AsyncConnection, result: WriteResult) -> None:
    """A write hook (accord.write.content): on PostgreSQL, NOTIFY the other processes inside the
    write's transaction; PostgreSQL delivers it at commit, and only if the transaction commits."""
    if conn.dialect.name == "postgresql" and result.change_id is not None:
        await conn.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": str(result.change_id)},
        )


class Signal(Protocol):
    name: str
    safety_poll_seconds: float

    async def start(self, wake: Wake) -> None: ...

    async def stop(self) -> None: ...

    async def announce(self, change_id: int) -> None:
        """Called after a local commit (PostgreSQL announces inside the transaction instead)."""


class LocalSignal:
    """One process: local commits wake the hub directly; the timer catches other writers."""

    def __init__(self, name: str = "memory", poll_seconds: float = 2.0) -> None:
        self.name = name
        self.safety_poll_seconds = poll_seconds

    async def start(self, wake: Wake) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def announce(self, change_id: int) -> None:
        return None


class _Reconnecting:
    """A listener task that reconnects with exponential backoff and wakes the hub after each
    (re)connection, so whatever was committed while it was away is read from the log."""

    name = "listener"
    safety_poll_seconds = 5.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def start(self, wake: Wake) -> None:
        self._task = asyncio.create_task(self._run(wake), name=f"accord-{self.name}-listener")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self, wake: Wake) -> None:
        delay = 0.2
        while True:
            try:
                await self._listen(wake)
            except Exception as exc:  # not CancelledError (a BaseException): stopping ends the loop
                self.connected.clear()
                log.warning(
                    "%s listener lost (%s); reconnecting in %.1fs", self.name, type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                wake()  # catch up from the change log in the meantime
                continue
            delay = 0.2

    async def _listen(self, wake: Wake) -> None:
        raise NotImplementedError


class PostgresSignal(_Reconnecting):
    name = "postgres"

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn

    async def _listen(self, wake: Wake) -> None:
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.dsn, autocommit=True) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.connected.set()
            wake()
            async for _notify in conn.notifies():
                wake()

    async def announce(self, change_id: int) -> None:
        return None  # NOTIFY was sent inside the write transaction


class RedisSignal(_Reconnecting):
    name = "redis"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._publisher: object | None = None

    async def _listen(self, wake: Wake) -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(self.url, socket_keepalive=True, health_check_interval=5)
        try:
            pubsub = client.pubsub()
            await pubsub.subscribe(CHANNEL)
            self.connected.set()
            wake()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                if message is not None:
                    wake()
        finally:
            await client.aclose()

    async def announce(self, change_id: int) -> None:
        from redis.asyncio import Redis

        try:
            if self._publisher is None:
                self._publisher = Redis.from_url(self.url, socket_timeout=1.0, socket_connect_timeout=1.0)
            assert isinstance(self._publisher, Redis)
            await self._publisher.publish(CHANNEL, str(change_id))
        except Exception as exc:
            log.warning("could not announce change %s on Redis (%s)", change_id, type(exc).__name__)
            self._publisher = None

    async def stop(self) -> None:
        await super().stop()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            from redis.asyncio import Redis

            assert isinstance(publisher, Redis)
            await publisher.aclose()
