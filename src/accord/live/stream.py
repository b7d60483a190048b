"""One subscriber's stream of milestones from the hub, with replay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime

from accord.live.hub import Milestone, MilestoneFilter, MilestoneHub


class _QueueListener:
    def __init__(self, milestone_filter: MilestoneFilter) -> None:
        self.filter = milestone_filter
        self.queue: asyncio.Queue[Milestone] = asyncio.Queue()

    async def deliver(self, milestone: Milestone) -> None:
        self.queue.put_nowait(milestone)


async def milestone_stream(
    hub: MilestoneHub,
    milestone_filter: MilestoneFilter,
    *,
    since: datetime | None = None,
    after_change: int | None = None,
) -> AsyncGenerator[Milestone, None]:
    """Replayed milestones (published after ``since`` / after change ``after_change``), then live ones.

    The listener is registered before the replay is read, and live milestones the replay already
    covered are skipped, so nothing falls between the two and nothing comes twice.
    """
    listener = _QueueListener(milestone_filter)
    hub.add(listener)
    try:
        up_to = hub.version
        if since is not None or after_change is not None:
            for milestone in await hub.replay(up_to=up_to, since=since, after_change=after_change):
                if milestone_filter.matches(milestone):
                    yield milestone
        while True:
            milestone = await listener.queue.get()
            if milestone.change_id > up_to:
                yield milestone
    finally:
        hub.remove(listener)
