"""A plain graphql-transport-ws client on the `websockets` library, for protocol-level checks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"


class WSClient:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.ack: dict[str, Any] = {}
        # Messages of other operations read while waiting for one: kept, in order, per operation.
        self.held: dict[str, list[dict[str, Any]]] = {}

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def init(self) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": {}})
        ack = await self.receive()
        assert ack["type"] == "connection_ack", ack
        self.ack = ack.get("payload") or {}
        return ack

    async def subscribe(self, op_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}
        )

    async def handled(self, timeout: float = 10) -> None:
        """Wait until the server has handled every message sent before this call: it reads a
        connection's messages one at a time, in order (accord.live.ws), so its pong to a ping sent
        now comes after them. Once a subscribe is handled, its subscription has joined its group and
        a milestone committed afterwards reaches it. Messages of operations read meanwhile are kept."""
        await self.send({"type": "ping"})
        while True:
            message = await self.receive(timeout)
            if message.get("type") == "pong":
                return
            if "id" in message:
                self.held.setdefault(message["id"], []).append(message)

    async def next_payload(self, op_id: str, timeout: float = 10) -> dict[str, Any]:
        while True:
            held = self.held.get(op_id)
            message = held.pop(0) if held else await self.receive(timeout)
            if message.get("id") not in (None, op_id):
                self.held.setdefault(message["id"], []).append(message)
                continue
            if message.get("id") == op_id and message["type"] == "next":
                payload: dict[str, Any] = message["payload"]
                return payload
            if message.get("id") == op_id and message["type"] in ("error", "complete"):
                raise AssertionError(f"operation {op_id} ended: {message}")

    async def closed_with(self, timeout: float = 15) -> int | None:
        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), timeout)
        except Exception:
            pass
        code: int | None = self.connection.close_code
        return code


@asynccontextmanager
async def ws_client(
    url: str, subprotocols: list[str] | None = None, init: bool = True
) -> AsyncIterator[WSClient]:
    protocols = [PROTOCOL] if subprotocols is None else subprotocols
    async with connect(url, subprotocols=protocols, open_timeout=10) as connection:  # type: ignore[arg-type]
        client = WSClient(connection)
        if init:
            await client.init()
        yield client
