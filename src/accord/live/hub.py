"""The per-process hub: reads new change-log rows once, loads each new milestone once, and hands it
to every interested subscription group on this worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.content.model import EVENT
from accord.core.row_types import EventRow, ResultRow
from accord.core.tables import changes, events
from accord.core.tasks import cancel_and_wait
from accord.core.visibility import PUBLIC
from accord.live.signals import Signal
from accord.models.enums import Status
from accord.read.db import Reader, fetch_all, fetch_one
from accord.read.relations import load_linked, load_tags
from accord.write.content import WriteResult

log = logging.getLogger("accord.live")
BATCH = 500
EVENT_PARTNERS = EVENT.linked("partners")


@dataclass(frozen=True, slots=True)
class Milestone:
    """A published milestone as subscribers see it, loaded once per worker."""

    change_id: int
    at: datetime
    row: EventRow
    partners: frozenset[str]
    tags: frozenset[str]


@dataclass(frozen=True, slots=True)
class MilestoneFilter:
    partner: str | None = None
    tag: str | None = None

    def matches(self, milestone: Milestone) -> bool:
        if self.partner is not None and self.partner not in milestone.partners:
            return False
        return self.tag is None or self.tag in milestone.tags


class Listener(Protocol):
    filter: MilestoneFilter

    async def deliver(self, milestone: Milestone) -> None: ...


async def load_milestones(db: Reader, rows: Iterable[ResultRow]) -> list[Milestone]:
    """The change rows' events that are still published milestones, with partners and tags."""
    wanted = {row.content_id: row for row in rows}
    if not wanted:
        return []
    found = await fetch_all(
        db,
        select(events).where(
            events.c.id.in_(list(wanted)),
            events.c.status == Status.PUBLISHED.value,
            events.c.is_milestone.is_(True),
        ),
    )
    by_id = {row.id: row for row in found}
    ids = list(by_id)
    partners = await load_linked(db, EVENT_PARTNERS.relation, ids, PUBLIC.statuses) if ids else []
    tags = await load_tags(db, ids) if ids else []
    extras = {
        id_: (frozenset(p.slug for p in ps), frozenset(ts))
        for id_, ps, ts in zip(ids, partners, tags, strict=True)
    }
    result = []
    for change in sorted(wanted.values(), key=lambda change: change.id):
        row = by_id.get(change.content_id)
        if row is not None:
            result.append(Milestone(change.id, change.at, row, *extras[row.id]))
    return result


class MilestoneHub:
    def __init__(self, engine: AsyncEngine, signal: Signal) -> None:
        self.engine = engine
        self.signal = signal
        self.version = 0  # the newest change-log id whose milestones this worker has dispatched
        self.content_version = 0  # the newest change-log id this worker knows of (response caches)
        self.listeners: set[Listener] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.version_changed = asyncio.Condition()

    async def start(self) -> None:
        self.version = await self.newest_change()
        self._task = asyncio.create_task(self._run(), name="accord-milestone-hub")
        await self.signal.start(self.wake)

    async def stop(self) -> None:
        await self.signal.stop()
        await cancel_and_wait(self._task)
        self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def committed_write(self, result: WriteResult) -> None:
        """A write hook (accord.write.content): a write of this process committed. Caches see the
        new version before the mutation answers; subscribers are served by the catch-up, and the
        other processes are told."""
        if result.change_id is not None:
            self.content_version = max(self.content_version, result.change_id)
            self.wake()
            await self.signal.announce(result.change_id)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.signal.safety_poll_seconds)
            self._wake.clear()
            try:
                await self.catch_up()
            except Exception:
                log.exception("could not read the change log")
                await asyncio.sleep(0.5)

    async def catch_up(self) -> None:
        while True:
            db = Reader(self.engine)
            try:
                rows = await fetch_all(
                    db, select(changes).where(changes.c.id > self.version).order_by(changes.c.id).limit(BATCH)
                )
                if not rows:
                    return
                milestones = await load_milestones(db, [row for row in rows if row.milestone_published])
            finally:
                await db.close()
            self.version = rows[-1].id
            self.content_version = max(self.content_version, self.version)
            async with self.version_changed:
                self.version_changed.notify_all()
            for milestone in milestones:
                await self.dispatch(milestone)
            if len(rows) < BATCH:
                return

    async def dispatch(self, milestone: Milestone) -> None:
        for listener in list(self.listeners):
            if listener.filter.matches(milestone):
                try:
                    await listener.deliver(milestone)
                except Exception:
                    log.exception("delivering change %s failed", milestone.change_id)

    async def replay(
        self, *, up_to: int, since: datetime | None = None, after_change: int | None = None
    ) -> list[Milestone]:
        """Milestones published after ``since`` or after change ``after_change``, up to change
        ``up_to``, oldest first."""
        conditions = [changes.c.milestone_published.is_(True), changes.c.id <= up_to]
        if since is not None:
            conditions.append(changes.c.at > since)
        if after_change is not None:
            conditions.append(changes.c.id > after_change)
        db = Reader(self.engine)
        try:
            rows = await fetch_all(db, select(changes).where(*conditions).order_by(changes.c.id))
            return await load_milestones(db, rows)
        finally:
            await db.close()

    async def newest_change(self, engine: AsyncEngine | None = None) -> int:
        """The newest change-log id in ``engine``'s database (default: the hub's, the primary)."""
        db = Reader(engine or self.engine)
        try:
            row = await fetch_one(db, select(func.coalesce(func.max(changes.c.id), 0)))
            return int(row[0]) if row is not None else 0
        finally:
            await db.close()
