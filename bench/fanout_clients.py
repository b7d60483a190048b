"""Clients for `bench.fanout`: graphql-transport-ws subscribers and the open-loop publisher.

Subscribers (in the benchmark's own process) use the ``websockets`` asyncio client. Once a
subscriber has its ``connection_ack`` and has sent ``subscribe``, every text frame is stamped with
``time.monotonic()`` the moment the frame is parsed out of the socket data (in ``data_received``),
and kept raw; JSON is decoded after the measurement. So a delivery is timed when it reaches the
process, not when some coroutine gets round to it, and the client spends as little CPU per message
as it can.

The publisher runs as a separate process (``python -m bench.fanout_clients``) so that its timing
does not share a GIL or an event loop with a thousand sockets. It opens one HTTP connection per
publish in advance, then on "go" writes request *i* at ``t0 + i * interval`` without waiting for
earlier replies, and reports ``time.monotonic()`` taken just before each write. CLOCK_MONOTONIC is
one clock for every process on the machine, so the two processes' stamps can be subtracted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode

PROTOCOL = "graphql-transport-ws"
T = TypeVar("T")


class StampedConnection(ClientConnection):
    """A client connection that, once ``capture`` is on, keeps every text frame with its arrival
    time instead of queueing it for ``recv()``."""

    capture = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[tuple[float, bytes]] = []
        self.fragments = 0

    def process_event(self, event: Any) -> None:
        if self.capture and isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.CONT):
            if event.opcode is Opcode.TEXT and event.fin:
                self.arrivals.append((time.monotonic(), bytes(event.data)))
            else:  # uvicorn does not fragment messages; count it if that ever changes
                self.fragments += 1
            return
        super().process_event(event)


if not callable(getattr(ClientConnection, "process_event", None)):  # pragma: no cover
    raise RuntimeError("this websockets version has no Connection.process_event to hook into")


@dataclass
class Subscriber:
    connection: StampedConnection
    index: int

    @property
    def arrivals(self) -> list[tuple[float, bytes]]:
        return self.connection.arrivals

    def abort(self) -> None:
        """Drop the TCP connection: no close frame, no ``complete``."""
        transport = self.connection.transport
        if transport is not None:
            transport.abort()


async def open_subscriber(url: str, query: str, index: int, gate: asyncio.Semaphore) -> Subscriber:
    """Connect, ``connection_init``, wait for the ack, ``subscribe``; then capture deliveries."""
    async with gate:
        connection = await connect(
            url,
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            compression=None,
            ping_interval=None,
            open_timeout=60,
            max_queue=None,
            create_connection=StampedConnection,
        )
        assert isinstance(connection, StampedConnection)
        try:
            await connection.send('{"type":"connection_init","payload":{}}')
            ack = json.loads(await asyncio.wait_for(connection.recv(), 60))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"subscriber {index}: expected connection_ack, got {ack}")
            connection.capture = True
            message = {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {}}}
            await connection.send(json.dumps(message))
        except BaseException:
            if connection.transport is not None:
                connection.transport.abort()
            raise
    return Subscriber(connection, index)


async def open_subscribers(url: str, query: str, count: int, in_flight: int) -> list[Subscriber]:
    gate = asyncio.Semaphore(in_flight)
    tasks = [asyncio.create_task(open_subscriber(url, query, i, gate)) for i in range(count)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Subscriber):
                result.abort()
        raise


def abort_all(subscribers: Sequence[Subscriber]) -> None:
    for subscriber in subscribers:
        subscriber.abort()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run``, on uvloop when it is installed (uvicorn[standard] brings it)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


# The publisher process


@dataclass
class Publish:
    index: int
    scheduled: float = 0.0
    sent: float = 0.0
    replied: float = 0.0
    status: int = 0
    body: str = ""
    error: str = ""


@dataclass
class PublishPlan:
    host: str
    port: int
    path: str
    bodies: list[str]
    interval: float
    headers: dict[str, str] = field(default_factory=dict)

    def request(self, body: str) -> bytes:
        data = body.encode()
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            "Accept: application/json",
            f"Content-Length: {len(data)}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def _parse_response(raw: bytes) -> tuple[int, str]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in lines[1:])
    }
    if headers.get("transfer-encoding", "").lower() == "chunked":
        decoded, rest = b"", body
        while rest:
            size_text, _, rest = rest.partition(b"\r\n")
            size = int(size_text.split(b";")[0], 16)
            if size == 0:
                break
            decoded, rest = decoded + rest[:size], rest[size + 2 :]
        body = decoded
    return status, body.decode(errors="replace")


async def _reply(publish: Publish, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        raw = await asyncio.wait_for(reader.read(), 60)  # Connection: close -> read to EOF
        publish.replied = time.monotonic()
        publish.status, publish.body = _parse_response(raw)
    except Exception as exc:
        publish.error = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()


async def run_publisher(plan: PublishPlan) -> list[Publish]:
    loop = asyncio.get_running_loop()
    requests = [plan.request(body) for body in plan.bodies]
    streams = [await asyncio.open_connection(plan.host, plan.port) for _ in requests]
    print("ready", flush=True)
    go = await loop.run_in_executor(None, sys.stdin.readline)
    if go.strip() != "go":
        raise SystemExit("publisher: expected 'go'")
    publishes = [Publish(i) for i in range(len(requests))]
    tasks: list[asyncio.Task[None]] = []
    t0 = time.monotonic() + 0.005
    for publish, request, (reader, writer) in zip(publishes, requests, streams, strict=True):
        publish.scheduled = t0 + publish.index * plan.interval
        delay = publish.scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        publish.sent = time.monotonic()
        writer.write(request)  # the reply is read by a task: the next publish does not wait for it
        tasks.append(asyncio.create_task(_reply(publish, reader, writer)))
    await asyncio.gather(*tasks)
    return publishes


def publisher_main() -> int:
    """stdin: one JSON line (a PublishPlan), then "go"; stdout: "ready", then one JSON line."""
    plan = PublishPlan(**json.loads(sys.stdin.readline()))
    publishes = run(run_publisher(plan))
    print(json.dumps([publish.__dict__ for publish in publishes]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(publisher_main())
