"""The deliverer: claims due deliveries from the outbox, sends them, records what happened.

Every ``accord serve`` process runs one. It is woken when the change log moves (the hub's
``version_changed``, which local commits and the cross-process signal both trigger) and also
wakes on its own: when the next retry is due, and every ``ACCORD_WEBHOOK_POLL_SECONDS``.

Claims: a claim marks due deliveries with this process's id and a time it lasts until. On
PostgreSQL the candidates are selected ``FOR UPDATE SKIP LOCKED``, so two instances never claim the
same row; on SQLite the claim is one write transaction, which SQLite runs alone. A process killed
mid-delivery leaves its claims behind; they lapse after ``ACCORD_WEBHOOK_CLAIM_SECONDS`` and the
deliveries are sent again (at least once: receivers drop duplicates by ``webhook-id``).

Outcomes: 2xx delivers; 410 Gone disables the endpoint (ends the WebSub subscription); anything
else, a timeout or a refused address is retried on the schedule of ``accord.push.retry`` until
``ACCORD_WEBHOOK_MAX_ATTEMPTS``; ``ACCORD_WEBHOOK_DISABLE_AFTER_FAILURES`` failed attempts in a row
disable the endpoint, with the reason kept for admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.models.columns import utcnow
from accord.push.outbox import (
    ACTIVE,
    CANCELLED,
    DELIVERED,
    FAILED,
    PENDING,
    deliveries,
    endpoints,
    subscriptions,
)
from accord.push.retry import retry_delay
from accord.push.sender import Answer, Sender
from accord.push.signing import hub_signature, webhook_headers
from accord.push.topics import TopicFeeds
from accord.settings import Settings

log = logging.getLogger("accord.push")
Transaction = Callable[[], AbstractAsyncContextManager[AsyncConnection]]
CLAIM_BATCH = 100
SWEEP_SECONDS = 5.0
COALESCE_SECONDS = 0.005


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    webhook_id: str
    event_type: str
    body: str | None
    attempts: int
    endpoint_id: int | None
    subscription_id: int | None
    url: str | None  # the endpoint's URL, or the subscription's callback
    secret: str | None
    live: bool  # the endpoint is enabled / the subscription active and within its lease
    topic: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    claimed: Claimed
    answer: Answer | None  # None: not sent (cancelled)
    reason: str | None = None


class Deliverer:
    def __init__(
        self,
        settings: Settings,
        *,
        engine: AsyncEngine,
        transaction: Transaction,
        sender: Sender,
        topics: TopicFeeds,
        instance: str,
        version_changed: asyncio.Condition | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine  # reads: is anything due?
        self.transaction = transaction  # claims and outcomes (on SQLite: the writers' queue)
        self.sender = sender
        self.topics = topics
        self.instance = instance
        self.hub_url = f"{settings.public_url}/websub"
        self.version_changed = version_changed
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[Outcome]] = set()
        self._finished: list[Outcome] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._last_sweep = 0.0
        self.sent = 0  # attempts made by this process (for tests and benchmarks)

    # ------------------------------------------------------------------ lifetime

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="accord-push-deliverer"))
        if self.version_changed is not None:
            self._tasks.append(asyncio.create_task(self._follow_changes(), name="accord-push-follow"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        in_flight = list(self._in_flight)
        for sending in in_flight:
            sending.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        try:
            await self._record(self._take_finished())
            await self._release()
        except Exception:
            log.exception("could not record the last deliveries; their claims will lapse")

    def wake(self) -> None:
        self._wake.set()

    async def _follow_changes(self) -> None:
        assert self.version_changed is not None
        while True:
            async with self.version_changed:
                await self.version_changed.wait()
            self.wake()

    async def _run(self) -> None:
        while True:
            try:
                timeout = await self._cycle()
            except Exception:
                log.exception("the deliverer's cycle failed")
                timeout = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            if self._in_flight:
                # Sends finish one by one: gather the next few before one transaction records them
                # all and claims their successors.
                await asyncio.sleep(COALESCE_SECONDS)
            self._wake.clear()

    async def _cycle(self) -> float:
        """Record what finished and claim what is due, in one transaction; start sending it.
        Returns how long to sleep unless woken."""
        finished = self._take_finished()
        free = self.settings.webhook_concurrency - len(self._in_flight)
        # A read first: every write in every process wakes every deliverer, and a claim is a write.
        until_due = await self._until_next_due() if free > 0 else self.settings.webhook_poll_seconds
        wanted = min(free, CLAIM_BATCH) if until_due <= 0 else 0
        claimed: list[Claimed] = []
        if finished or wanted:
            claimed = await self._record_and_claim(finished, wanted)
        for one in claimed:
            task = asyncio.create_task(self._send(one))
            self._in_flight.add(task)
            task.add_done_callback(self._done)
        if finished or (wanted and len(claimed) == wanted):
            self.wake()  # more may be due, and retries just scheduled change when the next one is
        if time.monotonic() - self._last_sweep >= SWEEP_SECONDS:
            await self._sweep()
            self._last_sweep = time.monotonic()
        return max(until_due, 0.01) if not claimed else self.settings.webhook_poll_seconds

    def _done(self, task: asyncio.Task[Outcome]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled():
            error = task.exception()
            if error is None:
                self._finished.append(task.result())
            else:  # a bug: the claim lapses and the delivery is sent again later
                log.error("sending a delivery failed", exc_info=error)
        self.wake()

    def _take_finished(self) -> list[Outcome]:
        finished, self._finished = self._finished, []
        return finished

    # ------------------------------------------------------------------ one-off delivery

    async def deliver(self, ids: Sequence[int]) -> list[Outcome]:
        """Claim and send these deliveries now, waiting for the outcome (``accord webhook test``)."""
        claimed = await self._claim(len(ids), ids=ids)
        outcomes = list(await asyncio.gather(*(self._send(c) for c in claimed)))
        await self._record(outcomes)
        return outcomes

    # ------------------------------------------------------------------ database steps

    async def _claim(self, limit: int, *, ids: Sequence[int] | None = None) -> list[Claimed]:
        if limit <= 0:
            return []
        async with self.transaction() as conn:
            return await conn.run_sync(lambda sync: self._claim_sync(sync, limit, ids))

    async def _record_and_claim(self, outcomes: Sequence[Outcome], limit: int) -> list[Claimed]:
        def both(sync: Connection) -> list[Claimed]:
            self._record_sync(sync, outcomes)
            return self._claim_sync(sync, limit, None) if limit > 0 else []

        async with self.transaction() as conn:
            return await conn.run_sync(both)

    def _claim_sync(self, conn: Connection, limit: int, ids: Sequence[int] | None) -> list[Claimed]:
        now = utcnow()
        free = or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now)
        due = select(deliveries.c.id).where(deliveries.c.status == PENDING, free)
        if ids is None:
            due = due.where(deliveries.c.next_attempt_at <= now)
        else:  # named deliveries: due or not, and also those this process claimed when queueing them
            due = select(deliveries.c.id).where(
                deliveries.c.status == PENDING,
                or_(free, deliveries.c.claimed_by == self.instance),
                deliveries.c.id.in_(list(ids)),
            )
        due = due.order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(limit)
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        until = now + timedelta(seconds=self.settings.webhook_claim_seconds)
        claimed_ids = list(
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(due.scalar_subquery()))
                .values(claimed_by=self.instance, claimed_until=until)
                .returning(deliveries.c.id)
            ).scalars()
        )
        if not claimed_ids:
            return []
        rows = conn.execute(
            select(
                deliveries,
                endpoints.c.url,
                endpoints.c.secret.label("endpoint_secret"),
                endpoints.c.enabled,
                subscriptions.c.callback,
                subscriptions.c.secret.label("subscription_secret"),
                subscriptions.c.state,
                subscriptions.c.lease_expires_at,
                subscriptions.c.topic,
            )
            .select_from(
                deliveries.outerjoin(endpoints, endpoints.c.id == deliveries.c.endpoint_id).outerjoin(
                    subscriptions, subscriptions.c.id == deliveries.c.subscription_id
                )
            )
            .where(deliveries.c.id.in_(claimed_ids))
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        )
        result = []
        for row in rows:
            if row.endpoint_id is not None:
                live, url, secret = bool(row.enabled), row.url, row.endpoint_secret
            else:
                expires = row.lease_expires_at
                live = row.state == ACTIVE and expires is not None and expires > now
                url, secret = row.callback, row.subscription_secret
            result.append(
                Claimed(
                    id=row.id,
                    webhook_id=row.webhook_id,
                    event_type=row.event_type,
                    body=row.body,
                    attempts=row.attempts,
                    endpoint_id=row.endpoint_id,
                    subscription_id=row.subscription_id,
                    url=url,
                    secret=secret,
                    live=live,
                    topic=row.topic,
                )
            )
        return result

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        async with self.transaction() as conn:
            await conn.run_sync(lambda sync: self._record_sync(sync, outcomes))

    def _record_sync(self, conn: Connection, outcomes: Sequence[Outcome]) -> None:
        now = utcnow()
        settings = self.settings
        for outcome in outcomes:
            claimed, answer = outcome.claimed, outcome.answer
            mine = and_(deliveries.c.id == claimed.id, deliveries.c.claimed_by == self.instance)
            released = {"claimed_by": None, "claimed_until": None}
            if answer is None:
                conn.execute(
                    update(deliveries)
                    .where(mine)
                    .values(status=CANCELLED, last_error=(outcome.reason or "cancelled")[:500], **released)
                )
                continue
            attempts = claimed.attempts + 1
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_status_code": answer.status_code,
                "last_error": None if answer.ok else answer.describe(),
                **released,
            }
            if answer.ok:
                conn.execute(
                    update(deliveries).where(mine).values(status=DELIVERED, delivered_at=now, **values)
                )
                self._target_succeeded(conn, claimed)
                continue
            if answer.gone:
                conn.execute(update(deliveries).where(mine).values(status=FAILED, **values))
                self._end_target(
                    conn, claimed, f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M:%S} UTC"
                )
                continue
            if attempts >= settings.webhook_max_attempts:
                values["status"] = FAILED
            else:
                delay = retry_delay(attempts, settings.webhook_retry_base_seconds)
                values["next_attempt_at"] = now + timedelta(seconds=delay)
            conn.execute(update(deliveries).where(mine).values(**values))
            self._target_failed(conn, claimed, answer, now)

    def _target_succeeded(self, conn: Connection, claimed: Claimed) -> None:
        if claimed.endpoint_id is not None:
            conn.execute(
                update(endpoints)
                .where(endpoints.c.id == claimed.endpoint_id, endpoints.c.consecutive_failures != 0)
                .values(consecutive_failures=0)
            )

    def _target_failed(self, conn: Connection, claimed: Claimed, answer: Answer, now: datetime) -> None:
        if claimed.endpoint_id is None:
            return
        failures = conn.execute(
            update(endpoints)
            .where(endpoints.c.id == claimed.endpoint_id)
            .values(consecutive_failures=endpoints.c.consecutive_failures + 1)
            .returning(endpoints.c.consecutive_failures, endpoints.c.enabled)
        ).first()
        limit = self.settings.webhook_disable_after_failures
        if failures is not None and failures.enabled and failures.consecutive_failures >= limit:
            self._end_target(
                conn,
                claimed,
                f"{failures.consecutive_failures} failed attempts in a row, the last on "
                f"{now:%Y-%m-%d %H:%M:%S} UTC: {answer.describe()}",
            )

    def _end_target(self, conn: Connection, claimed: Claimed, reason: str) -> None:
        """Disable the endpoint (or end the subscription) and cancel what it still had pending."""
        now = utcnow()
        if claimed.endpoint_id is not None:
            conn.execute(
                update(endpoints)
                .where(endpoints.c.id == claimed.endpoint_id)
                .values(enabled=False, disabled_reason=reason[:500], updated_at=now)
            )
            target = deliveries.c.endpoint_id == claimed.endpoint_id
        else:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.id == claimed.subscription_id)
                .values(state="gone", state_reason=reason[:500], updated_at=now)
            )
            target = deliveries.c.subscription_id == claimed.subscription_id
        conn.execute(
            update(deliveries)
            .where(target, deliveries.c.status == PENDING, deliveries.c.id != claimed.id)
            .values(status=CANCELLED, last_error=f"not sent: {reason}"[:500])
        )

    async def _sweep(self) -> None:
        """Leases that ran out end their subscriptions (and what was pending for them)."""
        async with self.transaction() as conn:
            await conn.run_sync(_expire_leases)

    async def _release(self) -> None:
        """On a clean stop, hand this process's unfinished claims back at once."""
        async with self.transaction() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.claimed_by == self.instance, deliveries.c.status == PENDING)
                .values(claimed_by=None, claimed_until=None)
            )

    async def _until_next_due(self) -> float:
        """Seconds until a delivery this process could claim is due (0 or less: one is due now;
        at most the poll interval)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        func.min(deliveries.c.next_attempt_at).filter(deliveries.c.claimed_until.is_(None)),
                        func.min(deliveries.c.claimed_until).filter(deliveries.c.claimed_by != self.instance),
                    ).where(deliveries.c.status == PENDING)
                )
            ).first()
        poll = self.settings.webhook_poll_seconds
        moments: list[datetime] = [m for m in (row or ()) if m is not None]
        if not moments:
            return poll
        return min(poll, (min(moments) - utcnow()).total_seconds())

    # ------------------------------------------------------------------ sending

    async def _send(self, claimed: Claimed) -> Outcome:
        if not claimed.live or claimed.url is None:
            reason = "the endpoint is disabled" if claimed.endpoint_id else "the subscription has ended"
            return Outcome(claimed, None, f"not sent: {reason}")
        self.sent += 1
        if claimed.subscription_id is not None:
            return await self._distribute(claimed)
        body = (claimed.body or "").encode()
        assert claimed.secret is not None
        headers = webhook_headers(claimed.secret, claimed.webhook_id, int(time.time()), body)
        headers["content-type"] = "application/json"
        answer = await self.sender.request("POST", claimed.url, body=body, headers=headers)
        return Outcome(claimed, answer)

    async def _distribute(self, claimed: Claimed) -> Outcome:
        assert claimed.topic is not None and claimed.url is not None
        feed = await self.topics.render(claimed.topic)
        if feed is None:
            return Outcome(claimed, Answer(None, error="the topic is no longer a feed of this server"))
        headers = {
            "content-type": feed.media_type,
            "link": f'<{self.hub_url}>; rel="hub", <{feed.self_url}>; rel="self"',
        }
        if claimed.secret:
            headers["x-hub-signature"] = hub_signature(claimed.secret, feed.body)
        answer = await self.sender.request("POST", claimed.url, body=feed.body, headers=headers)
        return Outcome(claimed, answer)


def _expire_leases(conn: Connection) -> None:
    now = utcnow()
    expired = list(
        conn.execute(
            update(subscriptions)
            .where(subscriptions.c.state == ACTIVE, subscriptions.c.lease_expires_at <= now)
            .values(state="expired", state_reason="the lease ran out", updated_at=now)
            .returning(subscriptions.c.id)
        ).scalars()
    )
    if expired:
        conn.execute(
            update(deliveries)
            .where(deliveries.c.subscription_id.in_(expired), deliveries.c.status == PENDING)
            .values(status=CANCELLED, last_error="not sent: the lease ran out")
        )
