"""The scheduler: every ``accord serve`` process runs one.

It sleeps until the earliest scheduled time it knows of, or ``poll_seconds`` at most (a schedule
made by another process or instance is seen within that), publishes whatever is due, oldest
first, and sleeps again. Each publish is the writer's ``publish_due``, which makes sure that
exactly one process publishes each item however many look at the same moment. At start the first
round publishes everything that came due while the process was down, in scheduled order.

Times are the process's clock: instances must keep their clocks in step (NTP), as they must for
every other timestamp they write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from accord.core.tasks import cancel_and_wait
from accord.models.columns import utcnow
from accord.schedule.due import due_now, next_due
from accord.write.content import ContentWriter, WriteResult

log = logging.getLogger("accord.schedule")
RETRY_SECONDS = 1.0
# Due items this process could not take (another process is publishing them, or an edit holds
# them): looked at again this soon, rather than at once in a loop.
BUSY_SECONDS = 0.1


class Scheduler:
    def __init__(self, engine: AsyncEngine, writer: ContentWriter, poll_seconds: float) -> None:
        # The primary's database (a replica may not have the newest schedules yet), on a
        # connection of the scheduler's own.
        self.engine = engine
        self.writer = writer
        self.poll_seconds = poll_seconds
        self.published = 0  # publishes this process has made
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="accord-scheduler")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def committed_write(self, result: WriteResult) -> None:
        """A write hook (accord.write.content): a schedule set here is known at once, not at the
        next look."""
        if result.action in ("schedule", "restore"):
            self.wake()

    async def _run(self) -> None:
        while True:
            # Cleared before looking, so that a schedule committed while we look wakes the wait.
            self._wake.clear()
            try:
                round_ = await self.publish_due()
                async with self.engine.connect() as conn:
                    upcoming = await next_due(conn)
            except Exception:
                log.exception("the scheduler could not read what is due; trying again")
                delay = RETRY_SECONDS
            else:
                delay = RETRY_SECONDS if round_.failed else self._delay(upcoming)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    def _delay(self, upcoming: datetime | None) -> float:
        if upcoming is None:
            return self.poll_seconds
        ahead = (upcoming - utcnow()).total_seconds()
        return min(self.poll_seconds, BUSY_SECONDS if ahead <= 0 else ahead)

    async def publish_due(self) -> Round:
        """Publish everything due now, in scheduled order. An item that fails to publish is logged
        and left due (tried again a second later); the items after it are published meanwhile."""
        round_ = Round()
        while True:
            now = utcnow()
            async with self.engine.connect() as conn:
                due = [
                    item
                    for item in await due_now(conn, now)
                    if (item.content.name, item.id) not in round_.tried
                ]
            if not due:
                return round_
            done = 0
            for item in due:
                round_.tried.add((item.content.name, item.id))
                try:
                    result = await self.writer.publish_due(item.content, item.id, now)
                except Exception:
                    round_.failed += 1
                    log.exception(
                        "could not publish %s %s scheduled for %s", item.content.singular, item.id, item.at
                    )
                    continue
                if result is not None:
                    done += 1
                    log.info("published %s %s scheduled for %s", item.content.singular, item.id, item.at)
            round_.published += done
            self.published += done
            if done == 0:
                # All taken by other processes (or held by an edit in progress): look again soon
                # rather than spin on rows another transaction holds.
                return round_


@dataclass
class Round:
    """One look at what is due: how many items this process published, how many failed."""

    published: int = 0
    failed: int = 0
    tried: set[tuple[str, int]] = field(default_factory=set)
