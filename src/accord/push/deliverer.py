"""The deliverer: claims due deliveries from the outbox, sends them, records what happened.

Every ``accord serve`` process runs one. It is woken when the change log moves (the hub's
``version_changed``, which local commits and the cross-process signal both trigger) and also
wakes on its own: when the next retry is due, and every ``ACCORD_WEBHOOK_POLL_SECONDS``.

Claims: a claim marks due deliveries with this process's id and a time it lasts until. On
PostgreSQL the candidates are selected ``FOR UPDATE SKIP LOCKED``, so two instances never claim the
same row; on SQLite the claim is one write transaction, which SQLite runs alone. A process killed
mid-delivery leaves its claims behind; they lapse after ``ACCORD_WEBHOOK_CLAIM_SECONDS`` and the
deliveries are sent again (at least once: receivers drop duplicates by ``webhook-id``).

Sending: claimed deliveries wait in a queue of this process, oldest first, and at most
``ACCORD_WEBHOOK_CONCURRENCY`` are sent at once (a finished send starts the next at once, without
waiting for the database). The queue holds no more than can be sent before the claims lapse even if
every send took the whole timeout; a delivery still queued too close to its claim's end is handed
back unsent, so no delivery is ever sent under a claim that may lapse before its answer comes.

Database work is batched and kept short, since on SQLite it shares the writers' queue with the
publishing mutations: one transaction records the outcomes gathered so far (one statement for the
delivered ones, whatever their number, one for the cancelled ones, and the rarer failures one by
one) and claims the next batch (one statement, and one to read what was claimed). Outcomes are
recorded when the queue runs low and more is to be claimed, when nothing is being sent any more, or
at the latest ``RECORD_SECONDS`` after the first of them. None is open while anything is sent.

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
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Update, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.core.tasks import cancel_and_wait
from accord.models.columns import copy_into, utcnow
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
CLAIM_BATCH = 500  # rows one claim takes at most
MAX_QUEUE = 2000  # claimed deliveries one process holds at most (queued and being sent)
SWEEP_SECONDS = 5.0
RECORD_SECONDS = 0.1  # the longest an outcome waits to be recorded while other sends run
RECORD_BATCH = 500  # ... or until this many are waiting


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
    send_by: float  # time.monotonic() after which a send could outlast the claim: hand it back


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
        self.concurrency = settings.webhook_concurrency
        # A send must end before its claim does (and a little before, for recording it): one that
        # cannot start within `send_window` of its claim is handed back. The queue holds what
        # `concurrency` sends can get through in that window even if each took the whole timeout.
        timeout, claim = settings.webhook_timeout_seconds, settings.webhook_claim_seconds
        spare = max(claim - timeout, 0.0)  # the settings insist on claims longer than the timeout
        self.send_window = spare - min(1.0, spare / 2)
        rounds = max(1, int(self.send_window // timeout))
        self.queue_limit = min(MAX_QUEUE, self.concurrency * rounds)
        self._wake = asyncio.Event()
        self._queue: deque[Claimed] = deque()  # claimed, waiting for a free sending slot
        self._in_flight: set[asyncio.Task[Outcome]] = set()
        self._finished: list[Outcome] = []
        self._first_finished_at = 0.0
        self._handed_back: list[int] = []  # claims to release unsent
        self._ended: set[tuple[str, int | None]] = set()  # targets disabled by the outcomes just recorded
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._last_sweep = 0.0
        self.sent = 0  # attempts made by this process (for tests and benchmarks)

    # ------------------------------------------------------------------ lifetime

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="accord-push-deliverer"))
        if self.version_changed is not None:
            self._tasks.append(asyncio.create_task(self._follow_changes(), name="accord-push-follow"))

    async def stop(self) -> None:
        self._stopping = True
        await cancel_and_wait(*self._tasks)
        self._tasks.clear()
        self._queue.clear()  # released below with every other claim of this process
        in_flight = list(self._in_flight)
        for sending in in_flight:
            sending.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        try:
            await self._record_and_claim(self._take_finished(), [], 0)
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
            self._wake.clear()
            try:
                timeout = await self._cycle()
            except Exception:
                log.exception("the deliverer's cycle failed")
                timeout = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    @property
    def _held(self) -> int:
        """Claimed deliveries this process holds: queued or being sent."""
        return len(self._queue) + len(self._in_flight)

    async def _cycle(self) -> float:
        """Record what finished and claim what is due, in one transaction, when either is worth it;
        start sending. Returns how long to sleep unless woken."""
        held = self._held
        room = self.queue_limit - held
        poll = self.settings.webhook_poll_seconds
        until_due, wanted = poll, 0
        # Refill when the queue is half empty: a few large claims rather than many small ones. A
        # read first: every write in every process wakes every deliverer, and a claim is a write.
        if room > 0 and held <= self.queue_limit // 2:
            until_due = await self._until_next_due()
            wanted = min(room, CLAIM_BATCH) if until_due <= 0 else 0
        finished = self._finished
        record = bool(finished) and (
            wanted > 0
            or held == 0
            or len(finished) >= RECORD_BATCH
            or time.monotonic() - self._first_finished_at >= RECORD_SECONDS
        )
        if record or wanted or self._handed_back:
            outcomes = self._take_finished() if record else []
            handed_back, self._handed_back = self._handed_back, []
            self._ended.clear()
            try:
                claimed = await self._record_and_claim(outcomes, handed_back, wanted)
            except BaseException:
                # Keep what was to be recorded for the next try (or for stop()) rather than let the
                # claims lapse and delivered calls be sent again; recording twice changes nothing.
                self._finished[:0] = outcomes
                self._handed_back[:0] = handed_back
                raise
            if self._ended:  # their pending deliveries were just cancelled: do not send them
                ended, self._ended = self._ended, set()
                self._queue = deque(c for c in self._queue if _target_of(c) not in ended)
            self._queue.extend(claimed)
            self._pump()
            if record or handed_back or (wanted and len(claimed) == wanted):
                # More may be due (what was handed back is), and retries just scheduled change when
                # the next one is.
                self.wake()
        if time.monotonic() - self._last_sweep >= SWEEP_SECONDS:
            await self._sweep()
            self._last_sweep = time.monotonic()
        timeout = until_due
        if self._finished:
            timeout = min(timeout, self._first_finished_at + RECORD_SECONDS - time.monotonic())
        return max(timeout, 0.01)

    def _pump(self) -> None:
        """Start sending queued deliveries while sending slots are free."""
        while self._queue and len(self._in_flight) < self.concurrency and not self._stopping:
            claimed = self._queue.popleft()
            if time.monotonic() > claimed.send_by:
                self._handed_back.append(claimed.id)
                self.wake()
                continue
            task = asyncio.create_task(self._send(claimed))
            self._in_flight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Outcome]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled():
            error = task.exception()
            if error is None:
                if not self._finished:
                    self._first_finished_at = time.monotonic()
                    self.wake()  # so that the cycle sets the timer that records it
                self._finished.append(task.result())
            else:  # a bug: the claim lapses and the delivery is sent again later
                log.error("sending a delivery failed", exc_info=error)
        self._pump()
        held = self._held
        if held == 0 or held == self.queue_limit // 2 or len(self._finished) >= RECORD_BATCH:
            self.wake()  # idle (record now), or half empty (claim more), or many outcomes waiting

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

    async def _record_and_claim(
        self, outcomes: Sequence[Outcome], handed_back: Sequence[int], limit: int
    ) -> list[Claimed]:
        def both(sync: Connection) -> list[Claimed]:
            self._record_sync(sync, outcomes)
            if handed_back:
                sync.execute(self._unclaim(deliveries.c.id.in_(list(handed_back))))
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
        send_by = time.monotonic() + self.send_window
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
            result.append(copy_into(Claimed, row, url=url, secret=secret, live=live, send_by=send_by))
        return result

    async def _record(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        async with self.transaction() as conn:
            await conn.run_sync(lambda sync: self._record_sync(sync, outcomes))

    def _record_sync(self, conn: Connection, outcomes: Sequence[Outcome]) -> None:
        """Record outcomes with one statement per kind (delivered: one per answer code, usually
        one; cancelled), and the failed ones one by one. The result is what recording them one by
        one, in the order they finished, gives; an outcome recorded before (or whose claim passed
        to another process) changes nothing."""
        if not outcomes:
            return
        now = utcnow()
        delivered: dict[int, list[Outcome]] = {}  # answer code -> outcomes
        cancelled: list[dict[str, Any]] = []
        failed: list[tuple[int, Outcome, Answer]] = []
        position_of: dict[int, int] = {}  # delivery id -> position among the outcomes
        for position, outcome in enumerate(outcomes):
            claimed, answer = outcome.claimed, outcome.answer
            position_of[claimed.id] = position
            if answer is None:
                cancelled.append({"b_id": claimed.id, "b_error": (outcome.reason or "cancelled")[:500]})
            elif answer.ok:
                assert answer.status_code is not None
                delivered.setdefault(answer.status_code, []).append(outcome)
            else:
                failed.append((position, outcome, answer))
        released = {"claimed_by": None, "claimed_until": None}
        last_success: dict[int, int] = {}  # endpoint id -> position of its last delivered outcome
        for code, group in delivered.items():
            applied = conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.id.in_([o.claimed.id for o in group]),
                    deliveries.c.claimed_by == self.instance,
                )
                .values(
                    status=DELIVERED,
                    delivered_at=now,
                    attempts=deliveries.c.attempts + 1,
                    last_status_code=code,
                    last_error=None,
                    **released,
                )
                .returning(deliveries.c.id, deliveries.c.endpoint_id)
            )
            for row in applied:
                if row.endpoint_id is not None:
                    position = position_of[row.id]
                    last_success[row.endpoint_id] = max(position, last_success.get(row.endpoint_id, -1))
        if last_success:  # a success ends an endpoint's run of failures
            conn.execute(
                update(endpoints)
                .where(endpoints.c.id.in_(list(last_success)), endpoints.c.consecutive_failures != 0)
                .values(consecutive_failures=0)
            )
        if cancelled:
            mine = and_(deliveries.c.id == bindparam("b_id"), deliveries.c.claimed_by == self.instance)
            conn.execute(
                update(deliveries)
                .where(mine)
                .values(status=CANCELLED, last_error=bindparam("b_error"), **released),
                cancelled,
            )
        settings = self.settings
        for position, outcome, answer in failed:
            claimed = outcome.claimed
            one = and_(deliveries.c.id == claimed.id, deliveries.c.claimed_by == self.instance)
            attempts = claimed.attempts + 1
            values: dict[str, Any] = {
                "attempts": attempts,
                "last_status_code": answer.status_code,
                "last_error": answer.describe(),
                **released,
            }
            if answer.gone or attempts >= settings.webhook_max_attempts:
                values["status"] = FAILED
            else:
                delay = retry_delay(attempts, settings.webhook_retry_base_seconds)
                values["next_attempt_at"] = now + timedelta(seconds=delay)
            if conn.execute(update(deliveries).where(one).values(**values)).rowcount == 0:
                continue  # no longer this process's claim (or recorded already): not counted twice
            if answer.gone:
                self._end_target(
                    conn, claimed, f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M:%S} UTC"
                )
                continue
            # A failure before the endpoint's last success in this batch is no longer "in a row".
            endpoint_id = claimed.endpoint_id
            if endpoint_id is not None and position > last_success.get(endpoint_id, -1):
                self._target_failed(conn, claimed, answer, now)

    def _target_failed(self, conn: Connection, claimed: Claimed, answer: Answer, now: datetime) -> None:
        assert claimed.endpoint_id is not None
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
        """Disable the endpoint (or end the subscription) and cancel what it still had pending (what
        this process has queued for it is dropped after the commit)."""
        now = utcnow()
        self._ended.add(_target_of(claimed))
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
            await conn.execute(self._unclaim())

    def _unclaim(self, *only: ColumnElement[bool]) -> Update:
        """Hand this process's pending claims back (``only`` those matching)."""
        return (
            update(deliveries)
            .where(*only, deliveries.c.claimed_by == self.instance, deliveries.c.status == PENDING)
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


def _target_of(claimed: Claimed) -> tuple[str, int | None]:
    if claimed.endpoint_id is not None:
        return ("endpoint", claimed.endpoint_id)
    return ("subscription", claimed.subscription_id)
