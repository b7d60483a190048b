"""Subscription groups: subscribers with the same document, variables and locale share one execution
per milestone, and the same payload text is sent to each of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.content.model import EVENT
from accord.core.visibility import PUBLIC, Visibility
from accord.live.hub import Milestone, MilestoneFilter, MilestoneHub
from accord.models.enums import Locale
from accord.observability.tracing import SUBSCRIBERS
from accord.operation.pipeline import OperationTimeout, Pipeline, Result
from accord.operation.prepare import Prepared
from accord.read.db import Reader
from accord.schema.context import Context
from accord.schema.types import Item

if TYPE_CHECKING:
    from opentelemetry.trace import Span

Send = Callable[[int, str], Awaitable[None]]  # (change id, payload JSON text)


@dataclass(eq=False)  # members are told apart by identity
class Member:
    """One subscriber: a WebSocket operation or an SSE stream."""

    send: Send
    replaying: bool = False
    pending: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GroupKey:
    document: bytes  # the prepared document's digest
    operation_name: str | None
    variables: bytes
    locale: Locale
    # What the subscribers may see: token holders' payloads (drafts among a milestone's partners,
    # scheduledAt) are never sent to anonymous subscribers, nor theirs to token holders.
    visibility: Visibility = PUBLIC


def group_key(
    prepared: Prepared,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    locale: Locale,
    visibility: Visibility = PUBLIC,
) -> GroupKey:
    return GroupKey(prepared.digest, operation_name, prepared.variables_key(variables), locale, visibility)


@dataclass(eq=False)  # a hub's listener, told apart by identity
class SubscriptionGroup:
    registry: GroupRegistry
    key: GroupKey
    prepared: Prepared
    variables: dict[str, Any] | None
    filter: MilestoneFilter
    operation_name: str | None
    members: set[Member] = field(default_factory=set)

    async def execute(self, milestone: Milestone) -> str:
        """The ``payload`` of a ``next`` message for this milestone, as JSON text."""
        registry = self.registry
        context = Context(
            db=Reader(registry.engine),
            locale=self.key.locale,
            visibility=self.key.visibility,
            media_base=registry.media_base,
        )
        try:
            result = await registry.pipeline.run_event(
                self.prepared,
                context,
                operation_name=self.operation_name,
                variables=self.variables,
                root_value=Item(EVENT, milestone.row),
            )
        except OperationTimeout as exc:
            result = Result(errors=[GraphQLError(str(exc), extensions={"code": "TIMEOUT"})])
        return orjson.dumps(result.body()).decode()

    def _span(self, milestone: Milestone, *, replay: bool) -> AbstractContextManager[Span | None]:
        """The delivery's span (None: tracing is off)."""
        tracing = self.registry.pipeline.tracing
        if tracing is None:
            return nullcontext()
        return tracing.delivery(self.operation_name, milestone.change_id, replay=replay)

    async def deliver(self, milestone: Milestone) -> None:
        """One execution for the milestone, sent to every member (or queued for one still replaying)."""
        if not self.members:
            return
        with self._span(milestone, replay=False) as span:
            payload = await self.execute(milestone)
            members = list(self.members)
            for member in members:
                if member.replaying:
                    member.pending.append((milestone.change_id, payload))
                else:
                    await member.send(milestone.change_id, payload)
            if span is not None:
                span.set_attribute(SUBSCRIBERS, len(members))

    async def _replay_one(self, member: Member, milestone: Milestone) -> None:
        """A milestone the member missed, executed for it alone."""
        with self._span(milestone, replay=True) as span:
            if span is not None:
                span.set_attribute(SUBSCRIBERS, 1)
            await member.send(milestone.change_id, await self.execute(milestone))

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
                    await self._replay_one(member, milestone)
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


@dataclass(eq=False)
class GroupRegistry:
    pipeline: Pipeline
    engine: AsyncEngine  # reads (a replica when configured)
    hub: MilestoneHub
    media_base: str = ""  # what image URLs start with (the public URL)
    groups: dict[GroupKey, SubscriptionGroup] = field(default_factory=dict)

    def group(
        self,
        key: GroupKey,
        prepared: Prepared,
        variables: dict[str, Any] | None,
        milestone_filter: MilestoneFilter,
        operation_name: str | None,
    ) -> SubscriptionGroup:
        existing = self.groups.get(key)
        if existing is not None:
            return existing
        created = SubscriptionGroup(self, key, prepared, variables, milestone_filter, operation_name)
        self.groups[key] = created
        self.hub.listeners.add(created)
        return created

    def drop(self, group: SubscriptionGroup) -> None:
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
        self.hub.listeners.discard(group)

    @property
    def subscriber_count(self) -> int:
        return sum(len(group.members) for group in self.groups.values())
