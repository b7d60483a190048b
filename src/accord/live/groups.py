"""Subscription groups: subscribers with the same document, variables and locale share one execution
per milestone, and the same payload text is sent to each of them."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from graphql import DocumentNode, ExecutionResult, GraphQLError
from graphql.execution import Executor, execute_subscription_event

from accord.live.hub import Milestone, MilestoneFilter, MilestoneHub
from accord.models.enums import Locale
from accord.read.db import Reader
from accord.core.visibility import PUBLIC
from accord.schema.context import Context
from accord.schema.types import Event

if TYPE_CHECKING:
    from accord.services import Services

Send = Callable[[int, str], Awaitable[None]]  # (change id, payload JSON text)


@dataclass(eq=False)  # members are told apart by identity
class Member:
    """One subscriber: a WebSocket operation or an SSE stream."""

    send: Send
    replaying: bool = False
    pending: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GroupKey:
    document_hash: str
    operation_name: str | None
    variables: bytes
    locale: Locale


def group_key(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, locale: Locale
) -> GroupKey:
    return GroupKey(
        document_hash=hashlib.sha256(query.encode()).hexdigest(),
        operation_name=operation_name,
        variables=orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS),
        locale=locale,
    )


class SubscriptionGroup:
    def __init__(
        self,
        registry: GroupRegistry,
        key: GroupKey,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        milestone_filter: MilestoneFilter,
        operation_name: str | None,
    ) -> None:
        self.registry = registry
        self.operation_name = operation_name
        self.key = key
        self.document = document
        self.variables = variables
        self.filter = milestone_filter
        self.members: set[Member] = set()

    async def execute(self, milestone: Milestone) -> str:
        """The ``payload`` of a ``next`` message for this milestone, as JSON text."""
        services = self.registry.services
        context = Context(
            db=Reader(services.engine), locale=self.key.locale, visibility=PUBLIC, services=services
        )
        try:
            built = Executor.build(
                services.schema._schema,
                self.document,
                root_value=Event.from_row(milestone.row),
                context_value=context,
                raw_variable_values=self.variables,
                operation_name=self.operation_name,
            )
            if isinstance(built, list):
                result = ExecutionResult(data=None, errors=built)
            else:
                outcome = execute_subscription_event(built)
                result = await outcome if not isinstance(outcome, ExecutionResult) else outcome
        finally:
            await context.db.close()
        return payload_text(services, result)

    async def deliver(self, milestone: Milestone) -> None:
        if not self.members:
            return
        payload = await self.execute(milestone)
        for member in list(self.members):
            if member.replaying:
                member.pending.append((milestone.change_id, payload))
            else:
                await member.send(milestone.change_id, payload)

    async def join(
        self, member: Member, *, since: datetime | None = None, after_change: int | None = None
    ) -> None:
        """Add a member; with ``since`` (or ``after_change``), first send what it missed, in order,
        then go live with no gap and no duplicate."""
        hub = self.registry.hub
        if since is None and after_change is None:
            self.members.add(member)
            return
        member.replaying = True
        self.members.add(member)
        up_to = hub.version
        try:
            for milestone in await hub.replay(up_to=up_to, since=since, after_change=after_change):
                if self.filter.matches(milestone):
                    await member.send(milestone.change_id, await self.execute(milestone))
            # Live deliveries that arrived meanwhile; the replay already covered up to ``up_to``.
            while member.pending:
                change_id, payload = member.pending.pop(0)
                if change_id > up_to:
                    await member.send(change_id, payload)
        finally:
            member.replaying = False

    def leave(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self.registry.drop(self)


class GroupRegistry:
    def __init__(self, services: Services, hub: MilestoneHub) -> None:
        self.services = services
        self.hub = hub
        self.groups: dict[GroupKey, SubscriptionGroup] = {}

    def group(
        self,
        key: GroupKey,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        milestone_filter: MilestoneFilter,
        *,
        operation_name: str | None = "",
    ) -> SubscriptionGroup:
        existing = self.groups.get(key)
        if existing is not None:
            return existing
        name = key.operation_name if operation_name == "" else operation_name
        created = SubscriptionGroup(self, key, document, variables, milestone_filter, name)
        self.groups[key] = created
        self.hub.add(created)
        return created

    def drop(self, group: SubscriptionGroup) -> None:
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
        self.hub.remove(group)

    @property
    def subscriber_count(self) -> int:
        return sum(len(group.members) for group in self.groups.values())


def payload_text(services: Services, result: ExecutionResult) -> str:
    body: dict[str, Any] = {}
    if result.errors:
        errors: list[GraphQLError] = list(result.errors)
        services.schema._process_errors(errors)
        body["errors"] = [error.formatted for error in errors]
    body["data"] = result.data
    return orjson.dumps(body).decode()
