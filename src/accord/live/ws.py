"""GraphQL over WebSocket, protocol graphql-transport-ws (the graphql-ws library's protocol).

Subscriptions join a subscription group (one execution per milestone for every subscriber with the
same document, variables and locale); queries and mutations run through the schema as over HTTP.
Close codes follow the protocol: 4400 bad message, 4401 subscribe before connection_ack, 4403 an
unknown or revoked token in connection_init, 4406 unknown subprotocol, 4408 no connection_init in
time, 4409 duplicate operation id, 4429 repeated connection_init.

A token comes in connection_init's payload (``{"Authorization": "Bearer acc_..."}``, as graphql-ws
clients send ``connectionParams``), or in the handshake's ``Authorization`` header; the socket's
operations then see what that token sees over HTTP, and mutations are its writes, rate-limited
like those over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError, OperationType
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from accord.core.auth import Viewer
from accord.core.errors import ClientError, Unauthenticated
from accord.core.moments import replay_start
from accord.core.ratelimit import retry_after, token_key
from accord.live.groups import Member, SubscriptionGroup, group_key
from accord.live.hub import MilestoneFilter
from accord.operation.params import BadParams, GraphQLParams, params_from_mapping
from accord.operation.pipeline import OperationTimeout
from accord.operation.prepare import Prepared
from accord.schema.errors import INTERNAL

if TYPE_CHECKING:
    from accord.live.runtime import Live

PROTOCOL = "graphql-transport-ws"
log = logging.getLogger("accord.live")


@dataclass
class Operation:
    group: SubscriptionGroup | None = None
    member: Member | None = None
    task: asyncio.Task[None] | None = None


class ProtocolClose(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class GraphQLWebSocket:
    def __init__(self, websocket: WebSocket, live: Live) -> None:
        self.websocket = websocket
        self.live = live
        self.settings = live.settings
        # connection_init received (and acknowledged: messages are handled one at a time, so nothing
        # is read while its token is checked, and a refused one closes the socket).
        self.initialised = False
        self.operations: dict[str, Operation] = {}
        self.closed = False
        self.viewer: Viewer | None = None  # from connection_init (or the handshake)

    async def run(self) -> None:
        limits = self.live.rate_limits
        wait = limits.check(limits.ws_connects, self.websocket)
        if wait:
            headers = {"Retry-After": retry_after(wait)}
            await self.websocket.send_denial_response(PlainTextResponse("too many connections", 429, headers))
            return
        if self.live.connections >= self.settings.max_connections:
            # uvicorn's connection limit (ACCORD_MAX_CONNECTIONS) does not look at upgrades.
            await self.websocket.send_denial_response(PlainTextResponse("too many connections", 503))
            return
        offered = self.websocket.scope.get("subprotocols") or []
        if PROTOCOL not in offered:
            await self.websocket.accept()
            await self.websocket.close(4406, "Subprotocol not acceptable")
            return
        # Counted before the first await, so that handshakes arriving together all see each other.
        self.live.connections += 1
        timer: asyncio.Task[None] | None = None
        try:
            await self.websocket.accept(subprotocol=PROTOCOL)
            timer = asyncio.create_task(self._init_timeout())
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    raise ProtocolClose(4400, "Binary messages are not supported")
                await self._handle(text)
        except ProtocolClose as close:
            await self._close(close.code, close.reason)
        except WebSocketDisconnect:
            pass
        finally:
            if timer is not None:
                timer.cancel()
            self.live.connections -= 1
            for operation in self.operations.values():
                self._stop(operation)
            self.operations.clear()

    async def _init_timeout(self) -> None:
        await asyncio.sleep(self.settings.ws_init_timeout_seconds)
        if not self.initialised:
            await self._close(4408, "Connection initialisation timeout")

    async def _close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            if self.websocket.application_state is WebSocketState.CONNECTED:
                await self.websocket.close(code, reason)

    def _stop(self, operation: Operation) -> None:
        if operation.group is not None and operation.member is not None:
            operation.group.leave(operation.member)
        if operation.task is not None:
            operation.task.cancel()

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(orjson.dumps(message).decode())

    async def send_text(self, text: str) -> None:
        if self.closed:
            return
        try:
            await self.websocket.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True

    async def _handle(self, text: str) -> None:
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ProtocolClose(4400, "Invalid message received") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise ProtocolClose(4400, "Invalid message received")
        kind = message["type"]
        if kind == "connection_init":
            if self.initialised:
                raise ProtocolClose(4429, "Too many initialisation requests")
            self.initialised = True
            try:
                authorization = _authorization(
                    message.get("payload"), self.websocket.headers.get("authorization")
                )
                self.viewer = await self.live.contexts.viewer_for(authorization)
            except Unauthenticated as exc:
                raise ProtocolClose(4403, f"Forbidden: {exc}") from None
            await self.send({"type": "connection_ack", "payload": {"instance": self.live.instance}})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            operation = self.operations.pop(str(message.get("id")), None)
            if operation is not None:
                self._stop(operation)
        else:
            raise ProtocolClose(4400, f"Unknown message type {kind!r}")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if not self.initialised:
            raise ProtocolClose(4401, "Unauthorized")
        op_id = message.get("id")
        try:
            params = params_from_mapping(message.get("payload"))
        except BadParams:
            params = None
        if not isinstance(op_id, str) or not op_id or params is None or params.query is None:
            raise ProtocolClose(4400, "Invalid message received")
        if op_id in self.operations:
            raise ProtocolClose(4409, f"Subscriber for {op_id} already exists")
        if len(self.operations) >= self.settings.ws_max_subscriptions:
            limit = self.settings.ws_max_subscriptions
            too_many = f"at most {limit} operations per connection"
            # Named like the other limits (DEPTH_LIMIT_EXCEEDED, ...), with the maximum in `limit`.
            extensions = {"code": "OPERATION_LIMIT_EXCEEDED", "limit": limit}
            await self._error(op_id, [GraphQLError(too_many, extensions=extensions)])
            return
        pipeline = self.live.pipeline
        prepared = pipeline.prepare(params.query)
        cost, errors = pipeline.check(prepared, params.operation_name, params.variables)
        if errors:
            await self._error(op_id, errors)
            return
        operation = Operation()
        self.operations[op_id] = operation
        if prepared.operation_type(params.operation_name) is OperationType.SUBSCRIPTION:
            await self._start_subscription(op_id, operation, params, prepared)
        else:
            operation.task = asyncio.create_task(self._execute_once(op_id, params, prepared, cost))

    async def _fail(self, op_id: str, errors: list[GraphQLError]) -> None:
        """End the operation with an ``error`` message."""
        self.operations.pop(op_id, None)
        await self._error(op_id, errors)

    async def _error(self, op_id: str, errors: list[GraphQLError]) -> None:
        self.live.pipeline.schema._process_errors(errors)
        await self.send({"id": op_id, "type": "error", "payload": [error.formatted for error in errors]})

    async def _start_subscription(
        self, op_id: str, operation: Operation, params: GraphQLParams, prepared: Prepared
    ) -> None:
        # milestoneAdded (the only subscription field): its filter, and where to replay from.
        try:
            _, arguments = self.live.pipeline.root_arguments(
                prepared, params.operation_name, params.variables
            )
            since = replay_start(arguments.get("since"))
        except GraphQLError as error:
            await self._fail(op_id, [error])
            return
        except ClientError as error:
            await self._fail(
                op_id, [GraphQLError(str(error), extensions={"code": error.code, "field": "since"})]
            )
            return
        milestone_filter = MilestoneFilter(partner=arguments.get("partner"), tag=arguments.get("tag"))
        context = self.live.contexts.for_connection(self.websocket, self.viewer)
        key = group_key(prepared, params.operation_name, params.variables, context.locale, context.visibility)
        group = self.live.groups.group(
            key, prepared, params.variables, milestone_filter, params.operation_name
        )

        member = Member(send=lambda _change_id, payload: self._next(op_id, payload))
        operation.group, operation.member = group, member
        if since is None:
            await group.join(member)
        else:
            operation.task = asyncio.create_task(self._replay(op_id, group, member, since))

    async def _replay(self, op_id: str, group: SubscriptionGroup, member: Member, since: datetime) -> None:
        """Join with a replay; if it fails, the operation ends with an error (and the log says why)."""
        try:
            await group.join(member, since=since)
        except Exception:
            incident = uuid.uuid4().hex[:12]
            log.exception("replaying milestones for a subscription failed (incident %s)", incident)
            error = GraphQLError(
                f"the replay failed (incident {incident}); subscribe again",
                extensions={"code": INTERNAL, "incident": incident},
            )
            group.leave(member)
            await self._fail(op_id, [error])

    async def _next(self, op_id: str, payload: str) -> None:
        """A ``next`` message around a payload that is JSON text already."""
        await self.send_text(f'{{"id":{orjson.dumps(op_id).decode()},"type":"next","payload":{payload}}}')

    async def _execute_once(self, op_id: str, params: GraphQLParams, prepared: Prepared, cost: int) -> None:
        is_write = prepared.operation_type(params.operation_name) is OperationType.MUTATION
        if is_write and self.viewer is not None:
            limits = self.live.rate_limits
            wait = limits.check(limits.writes, self.websocket, token_key(self.viewer.name))
            if wait:
                message = f"too many requests: try again in {retry_after(wait)} s"
                await self._fail(op_id, [GraphQLError(message, extensions={"code": "RATE_LIMITED"})])
                return
        context = self.live.contexts.for_connection(self.websocket, self.viewer, writes=is_write)
        try:
            result = await self.live.pipeline.run(
                prepared,
                context,
                operation_name=params.operation_name,
                variables=params.variables,
                extensions=params.extensions,
                cost=cost,
            )
        except OperationTimeout as exc:
            await self._fail(op_id, [GraphQLError(str(exc), extensions={"code": "TIMEOUT"})])
            return
        if self.operations.pop(op_id, None) is None:
            return  # the client completed it meanwhile
        if not result.executed:
            await self._error(op_id, result.errors)
        else:
            await self._next(op_id, orjson.dumps(result.body()).decode())
            await self.send({"id": op_id, "type": "complete"})


def _authorization(payload: Any, header: str | None) -> str | None:
    """The ``Authorization`` value of connection_init's payload (top level, or under ``headers``,
    any letter case), else the handshake's header. A value that is not a string is refused."""
    for scope in (payload, payload.get("headers") if isinstance(payload, dict) else None):
        if not isinstance(scope, dict):
            continue
        for name, value in scope.items():
            if isinstance(name, str) and name.lower() == "authorization":
                if not isinstance(value, str):
                    raise Unauthenticated("the Authorization of connection_init must be a string")
                return value
    return header
