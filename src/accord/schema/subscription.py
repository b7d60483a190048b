"""The Subscription root.

Over WebSocket, accord runs subscriptions through its subscription groups (accord.live.ws): this
resolver then only validates the arguments. Run through strawberry's own machinery (for example
``schema.subscribe`` in tests), it streams from the same hub, one execution per subscriber: the
reference the grouped path is compared with.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry

from accord.live.hub import MilestoneFilter
from accord.live.stream import milestone_stream
from accord.resolvers.errors import BadInput
from accord.schema.types import Event, Info

MAX_CLOCK_SKEW = timedelta(minutes=1)
SINCE = "Replay the milestones published after this moment first, then go live (no gap, no duplicate)."
SUBSCRIPTION_ARGUMENTS = "milestone_subscription"


def check_since(since: datetime | None) -> datetime | None:
    """The moment to replay from, in UTC (a time without an offset is read as UTC)."""
    if since is None:
        return None
    aware = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    try:
        moment = aware.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first moment Python has
        raise BadInput("since: that moment is out of range", field="since") from None
    if moment > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise BadInput("since: that moment is in the future", field="since")
    return moment


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description=(
            "A milestone event became PUBLISHED (created published, or published later). "
            "Optional partner slug / tag filters."
        )
    )
    def milestone_added(
        self,
        info: Info,
        partner: str | None = None,
        tag: str | None = None,
        since: Annotated[datetime | None, strawberry.argument(description=SINCE)] = None,
    ) -> AsyncIterator[Event]:
        milestone_filter = MilestoneFilter(partner=partner, tag=tag)
        start = check_since(since)
        info.context.extras[SUBSCRIPTION_ARGUMENTS] = (milestone_filter, start)
        return _events(info, milestone_filter, start)


async def _events(
    info: Info, milestone_filter: MilestoneFilter, since: datetime | None
) -> AsyncGenerator[Event, None]:
    async for milestone in milestone_stream(info.context.services.hub, milestone_filter, since=since):
        yield Event.from_row(milestone.row)
