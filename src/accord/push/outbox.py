"""Enqueueing deliveries in the write transaction: the outbox.

``enqueue_for_write`` is one of the writer's ``in_transaction`` hooks (registered by
``accord.services``): it runs inside the transaction that made the change, after its change-log
row is added. The deliveries it inserts commit with the write or not at all, so a committed write
is never left unannounced and a failed write never announced. Sending happens after the commit
(``accord.push.deliverer``).

Which WebSub topics a change touches: an event's change touches the feeds it appeared in before or
appears in after; a partner's change (a new name, say) touches the feeds showing one of its events,
since their entries carry its name, and its own partner feed. Bulk loads (``accord fixtures load``,
``accord import``) raise no webhook events, but every WebSub topic is distributed once
(``enqueue_after_load``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from accord.content.model import BY_NAME, BY_SINGULAR, EVENT, PARTNER
from accord.content.reader import read_records
from accord.core.visibility import PUBLIC
from accord.media import IMAGE_TYPE, owners_of
from accord.models import PushDelivery, WebhookEndpoint, WebSubSubscription
from accord.models.columns import copy_into, utcnow
from accord.models.enums import Status
from accord.push.events import WEBSUB_DISTRIBUTION, ContentChange, events_of, partners_of, tags_of
from accord.push.payload import content_data, event_body
from accord.push.signing import new_message_id
from accord.push.topics import appears_in
from accord.read.filters import conditions
from accord.write.content import WriteResult

deliveries: Table = PushDelivery.__table__  # type: ignore[attr-defined]
endpoints: Table = WebhookEndpoint.__table__  # type: ignore[attr-defined]
subscriptions: Table = WebSubSubscription.__table__  # type: ignore[attr-defined]

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
ACTIVE = "active"


async def enqueue_for_write(conn: AsyncConnection, result: WriteResult) -> None:
    """The writer's ``in_transaction`` hook: the deliveries the write ``result`` owes."""
    if result.change_id is None:
        return
    if result.type_name == IMAGE_TYPE:
        # An image added, removed or deleted: the exhibits and events that show it are recorded as
        # updated in the same transaction, and those raise content.updated. New alt text or credit
        # changes no owner's record, so it is announced here for each owner.
        if result.action == "update":
            change_id = result.change_id
            await conn.run_sync(lambda sync: _enqueue_for_new_description(sync, result.id, change_id))
        return
    if result.type_name not in BY_NAME:
        return
    await enqueue_for_change(conn, copy_into(ContentChange, result))  # its fields are the result's


async def enqueue_for_change(conn: AsyncConnection, change: ContentChange) -> int:
    """Insert the deliveries a committed ``change`` owes: one per enabled endpoint that wants each
    event it raises, one per WebSub subscription whose feed it touches. Returns how many."""
    return await conn.run_sync(lambda sync: _enqueue(sync, change))


def _enqueue(conn: Connection, change: ContentChange) -> int:
    now = utcnow()
    rows = _webhook_rows(conn, change, now) + _websub_rows(conn, change, now)
    if rows:
        conn.execute(insert(deliveries), rows)
    return len(rows)


def _enqueue_for_new_description(conn: Connection, image_id: int, change_id: int) -> int:
    """content.updated of each published exhibit and event showing an image whose alt text or
    credit changed (receivers that show the image show those). Feeds carry neither: no WebSub."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for owner in owners_of(conn, image_id):
        content = BY_SINGULAR[owner.kind.value]
        for record in read_records(conn, content, [owner.id]):
            change = ContentChange(content.name, owner.id, "update", change_id, False, record, record)
            rows += _webhook_rows(conn, change, now)
    if rows:
        conn.execute(insert(deliveries), rows)
    return len(rows)


def wanted_by(endpoint: Any, event_type: str, change: ContentChange) -> bool:
    if event_type not in endpoint.events:
        return False
    if endpoint.partner is not None and endpoint.partner not in (
        partners_of(change.before) | partners_of(change.after)
    ):
        return False
    return endpoint.tag is None or endpoint.tag in (tags_of(change.before) | tags_of(change.after))


def _webhook_rows(conn: Connection, change: ContentChange, now: datetime) -> list[dict[str, Any]]:
    raised = events_of(change)
    if not raised:
        return []
    enabled = list(
        conn.execute(
            select(endpoints.c.id, endpoints.c.events, endpoints.c.partner, endpoints.c.tag).where(
                endpoints.c.enabled.is_(True)
            )
        )
    )
    wanted = [
        (event, endpoint) for event in raised for endpoint in enabled if wanted_by(endpoint, event, change)
    ]
    if not wanted:
        return []
    data = content_data(conn, change)
    bodies = {event: event_body(event, change, data, now) for event in raised}
    return [
        new_delivery(now, event, change.change_id, endpoint_id=endpoint.id, body=bodies[event])
        for event, endpoint in wanted
    ]


def _websub_rows(conn: Connection, change: ContentChange, now: datetime) -> list[dict[str, Any]]:
    touches: Callable[[dict[str, Any]], bool]
    if change.type_name == EVENT.name:
        touches = _event_touches(change)
    elif change.type_name == PARTNER.name and _shown(change):
        touches = _partner_touches(conn, change)
    else:
        return []
    active = list(
        conn.execute(
            select(subscriptions.c.id, subscriptions.c.criteria).where(
                subscriptions.c.state == ACTIVE, subscriptions.c.lease_expires_at > now
            )
        )
    )
    verdicts: dict[str, bool] = {}  # many subscriptions share a topic: one answer per criteria
    touched = []
    for subscription in active:
        key = repr(sorted(subscription.criteria.items()))
        if key not in verdicts:
            verdicts[key] = touches(subscription.criteria)
        if verdicts[key]:
            touched.append(subscription.id)
    return _distributions(conn, touched, change.change_id, now)


def _event_touches(change: ContentChange) -> Callable[[dict[str, Any]], bool]:
    """Whether a feed with given criteria shows the event, before or after the write."""

    def touches(criteria: dict[str, Any]) -> bool:
        return appears_in(change.before, criteria) or appears_in(change.after, criteria)

    return touches


def _shown(change: ContentChange) -> bool:
    """Whether feeds show (or showed) the content: published before or after the write."""
    return any(r is not None and r.status is Status.PUBLISHED for r in (change.before, change.after))


def _partner_touches(conn: Connection, change: ContentChange) -> Callable[[dict[str, Any]], bool]:
    """Whether a feed with given criteria shows the partner: its own feed, or a feed with one of its
    published events (whose entries name it). A deleted partner's links are gone already: every
    feed is taken to show it."""
    slugs = {record.slug for record in (change.before, change.after) if record is not None}
    relation = EVENT.linked("partners").relation
    link = relation.link
    its_events = select(link.c[relation.own_column]).where(link.c[relation.target_column] == change.id)
    table = EVENT.table
    dialect = conn.dialect.name

    def touches(criteria: dict[str, Any]) -> bool:
        if change.after is None or criteria.get("partner") in slugs:
            return True
        query = (
            select(table.c.id)
            .where(*conditions(EVENT, criteria, PUBLIC.statuses, dialect), table.c.id.in_(its_events))
            .limit(1)
        )
        return conn.execute(query).first() is not None

    return touches


def enqueue_after_load(conn: Connection, change_id: int | None) -> int:
    """After a bulk load changed content (inside its transaction): one distribution to every active
    WebSub subscription. Returns how many deliveries were added (pending ones carry the load)."""
    now = utcnow()
    active = conn.execute(
        select(subscriptions.c.id).where(
            subscriptions.c.state == ACTIVE, subscriptions.c.lease_expires_at > now
        )
    )
    rows = _distributions(conn, list(active.scalars()), change_id, now)
    if rows:
        conn.execute(insert(deliveries), rows)
    return len(rows)


def _distributions(
    conn: Connection, subscription_ids: list[int], change_id: int | None, now: datetime
) -> list[dict[str, Any]]:
    rows = []
    for subscription_id in subscription_ids:
        # A distribution waiting to be sent renders the feed when it is sent, so it will carry this
        # change too: bring it forward instead of adding another. On PostgreSQL the UPDATE locks
        # the row until commit; a deliverer claiming meanwhile skips it (SKIP LOCKED), and one that
        # claimed it first makes this UPDATE match nothing, so a new delivery is added.
        merged = conn.execute(
            update(deliveries)
            .where(
                deliveries.c.subscription_id == subscription_id,
                deliveries.c.status == PENDING,
                or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
            )
            .values(change_id=change_id)
        )
        if merged.rowcount == 0:
            rows.append(new_delivery(now, WEBSUB_DISTRIBUTION, change_id, subscription_id=subscription_id))
    return rows


def new_delivery(
    now: datetime,
    event_type: str,
    change_id: int | None,
    *,
    endpoint_id: int | None = None,
    subscription_id: int | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    return {
        "webhook_id": new_message_id(),
        "endpoint_id": endpoint_id,
        "subscription_id": subscription_id,
        "event_type": event_type,
        "change_id": change_id,
        "body": body,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
