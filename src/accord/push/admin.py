"""Webhook administration as plain functions: what the CLI calls, and what GraphQL mutations wrap.

Each function takes a ``PushAdmin`` (the database and the settings), the viewer (admins only) and
plain values, and returns frozen views; a bad value raises ``BadInput`` naming the field as a
GraphQL input would (``input.url``), an unknown id ``NotFound``. Secrets are returned once, by
``create_webhook``; no view carries them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.content.document import SLUG_RE
from accord.core.auth import Viewer, require
from accord.core.errors import BadInput, NotFound
from accord.core.row_types import ResultRow
from accord.models.columns import copy_into, utcnow
from accord.push.addresses import UnsafeURL, check_url
from accord.push.events import CATALOGUE, WEBHOOK_TEST
from accord.push.outbox import CANCELLED, FAILED, PENDING, deliveries, endpoints, new_delivery, subscriptions
from accord.push.payload import test_body
from accord.push.signing import SecretError, new_secret, secret_key
from accord.settings import Settings

MAX_ENDPOINTS = 1000
MAX_DESCRIPTION = 300
MAX_DELIVERIES_LISTED = 200


class Keep(Enum):
    """``KEEP``: leave this field as it is (distinct from None, which clears it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class PushAdmin:
    engine: AsyncEngine
    settings: Settings
    transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]] | None = None
    wake: Callable[[], None] | None = None  # the local deliverer, after a replay or a test

    def begin(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self.transaction() if self.transaction is not None else self.engine.begin()


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: int
    url: str
    events: list[str]
    partner: str | None
    tag: str | None
    description: str | None
    enabled: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ResultRow) -> WebhookView:
        return copy_into(cls, row, events=list(row.events))


@dataclass(frozen=True, slots=True)
class CreatedWebhook:
    webhook: WebhookView
    secret: str  # shown once


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    webhook_id: str
    endpoint_id: int | None
    subscription_id: int | None
    event_type: str
    change_id: int | None
    status: str  # pending, delivered, failed, cancelled
    attempts: int
    next_attempt_at: datetime | None  # while pending
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, row: ResultRow) -> DeliveryView:
        pending = row.status == PENDING
        return copy_into(cls, row, next_attempt_at=row.next_attempt_at if pending else None)


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    id: int
    topic: str
    callback: str
    state: str
    state_reason: str | None
    lease_expires_at: datetime | None
    signed: bool

    @classmethod
    def of(cls, row: ResultRow) -> SubscriptionView:
        return copy_into(cls, row, signed=row.secret is not None)


# ---------------------------------------------------------------------- validation


async def checked_url(admin: PushAdmin, url: str, field: str = "input.url") -> str:
    settings = admin.settings
    try:
        await check_url(url, production=settings.is_production, allow_private=settings.webhook_allow_private)
    except UnsafeURL as exc:
        raise BadInput(f"{field}: the URL {exc}", field=field) from None
    return url


def checked_events(events: Sequence[str]) -> list[str]:
    if not events:
        raise BadInput("input.events: name at least one event", field="input.events")
    if len(events) > len(CATALOGUE):
        raise BadInput(f"input.events: at most {len(CATALOGUE)} events", field="input.events")
    for n, name in enumerate(events):
        if name not in CATALOGUE:
            shown = name if len(name) <= 60 else name[:60] + "..."
            raise BadInput(
                f"input.events[{n}]: unknown event {shown!r}; known: {', '.join(CATALOGUE)}",
                field=f"input.events[{n}]",
            )
    if len(set(events)) != len(events):
        raise BadInput("input.events: an event is listed twice", field="input.events")
    return list(events)


def checked_slug(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    if len(value) > 120 or not SLUG_RE.fullmatch(value):
        raise BadInput(
            f"{field}: lowercase letters, digits and single hyphens, like trade-facilitation", field=field
        )
    return value


def checked_description(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_DESCRIPTION:
        raise BadInput(f"input.description: at most {MAX_DESCRIPTION} characters", field="input.description")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise BadInput("input.description: no control characters", field="input.description")
    return value


def checked_secret(value: str | None) -> str:
    if value is None:
        return new_secret()
    try:
        secret_key(value)
    except SecretError as exc:
        raise BadInput(f"input.secret: {exc}", field="input.secret") from None
    return value


# ---------------------------------------------------------------------- endpoints


async def create_webhook(
    admin: PushAdmin,
    viewer: Viewer | None,
    *,
    url: str,
    events: Sequence[str],
    partner: str | None = None,
    tag: str | None = None,
    description: str | None = None,
    secret: str | None = None,
    enabled: bool = True,
) -> CreatedWebhook:
    require(viewer, "manage_webhooks")
    secret = checked_secret(secret)
    values: dict[str, Any] = {
        "events": checked_events(events),
        "partner": checked_slug(partner, "input.partner"),
        "tag": checked_slug(tag, "input.tag"),
        "description": checked_description(description),
        "secret": secret,
        "url": await checked_url(admin, url),
    }
    now = utcnow()
    async with admin.begin() as conn:
        count = (await conn.execute(select(func.count()).select_from(endpoints))).scalar_one()
        if count >= MAX_ENDPOINTS:
            raise BadInput(
                f"input.url: at most {MAX_ENDPOINTS} endpoints; remove one first", field="input.url"
            )
        new_id = (
            await conn.execute(
                insert(endpoints)
                .values(**values, enabled=enabled, consecutive_failures=0, created_at=now, updated_at=now)
                .returning(endpoints.c.id)
            )
        ).scalar_one()
        row = (await conn.execute(select(endpoints).where(endpoints.c.id == new_id))).one()
    return CreatedWebhook(WebhookView.of(row), secret)


async def update_webhook(
    admin: PushAdmin,
    viewer: Viewer | None,
    endpoint_id: int,
    *,
    url: str | Keep = KEEP,
    events: Sequence[str] | Keep = KEEP,
    partner: str | Keep | None = KEEP,
    tag: str | Keep | None = KEEP,
    description: str | Keep | None = KEEP,
    enabled: bool | Keep = KEEP,
) -> WebhookView:
    """Change what is given; enabling an endpoint clears its failure count and disabled reason."""
    require(viewer, "manage_webhooks")
    values: dict[str, Any] = {}
    if not isinstance(events, Keep):
        values["events"] = checked_events(events)
    if not isinstance(partner, Keep):
        values["partner"] = checked_slug(partner, "input.partner")
    if not isinstance(tag, Keep):
        values["tag"] = checked_slug(tag, "input.tag")
    if not isinstance(description, Keep):
        values["description"] = checked_description(description)
    if not isinstance(url, Keep):
        values["url"] = await checked_url(admin, url)
    if not isinstance(enabled, Keep):
        values["enabled"] = enabled
        if enabled:
            values |= {"consecutive_failures": 0, "disabled_reason": None}
    async with admin.begin() as conn:
        await _endpoint(conn, endpoint_id)
        values["updated_at"] = utcnow()
        await conn.execute(update(endpoints).where(endpoints.c.id == endpoint_id).values(**values))
        return WebhookView.of(await _endpoint(conn, endpoint_id))


async def delete_webhook(admin: PushAdmin, viewer: Viewer | None, endpoint_id: int) -> int:
    """Remove the endpoint and its delivery history; returns its id."""
    require(viewer, "manage_webhooks")
    async with admin.begin() as conn:
        await _endpoint(conn, endpoint_id)
        await conn.execute(delete(deliveries).where(deliveries.c.endpoint_id == endpoint_id))
        await conn.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))
    return endpoint_id


async def list_webhooks(admin: PushAdmin, viewer: Viewer | None) -> list[WebhookView]:
    require(viewer, "manage_webhooks")
    async with admin.engine.connect() as conn:
        rows = await conn.execute(select(endpoints).order_by(endpoints.c.id))
        return [WebhookView.of(row) for row in rows]


async def get_webhook(admin: PushAdmin, viewer: Viewer | None, endpoint_id: int) -> WebhookView:
    require(viewer, "manage_webhooks")
    async with admin.engine.connect() as conn:
        return WebhookView.of(await _endpoint(conn, endpoint_id))


# ---------------------------------------------------------------------- deliveries


async def list_deliveries(
    admin: PushAdmin,
    viewer: Viewer | None,
    endpoint_id: int,
    *,
    status: str | None = None,
    first: int = 50,
) -> list[DeliveryView]:
    """The endpoint's most recent deliveries, newest first."""
    require(viewer, "manage_webhooks")
    if not 1 <= first <= MAX_DELIVERIES_LISTED:
        raise BadInput(f"first: from 1 to {MAX_DELIVERIES_LISTED}", field="first")
    if status is not None and status not in (PENDING, "delivered", FAILED, CANCELLED):
        raise BadInput("status: pending, delivered, failed or cancelled", field="status")
    async with admin.engine.connect() as conn:
        await _endpoint(conn, endpoint_id)
        query = select(deliveries).where(deliveries.c.endpoint_id == endpoint_id)
        if status is not None:
            query = query.where(deliveries.c.status == status)
        rows = await conn.execute(query.order_by(deliveries.c.id.desc()).limit(first))
        return [DeliveryView.of(row) for row in rows]


async def replay_delivery(admin: PushAdmin, viewer: Viewer | None, delivery_id: int) -> DeliveryView:
    """Send a failed (or cancelled) delivery again: the same webhook-id and body, attempts from zero."""
    require(viewer, "manage_webhooks")
    async with admin.begin() as conn:
        row = (await conn.execute(select(deliveries).where(deliveries.c.id == delivery_id))).first()
        if row is None:
            raise NotFound(f"deliveryId: no delivery {delivery_id}", field="deliveryId")
        if row.status not in (FAILED, CANCELLED):
            raise BadInput(
                f"deliveryId: only failed or cancelled deliveries are replayed (this one is {row.status})",
                field="deliveryId",
            )
        if row.endpoint_id is not None and not (await _endpoint(conn, row.endpoint_id)).enabled:
            raise BadInput("deliveryId: its endpoint is disabled; enable it first", field="deliveryId")
        if row.subscription_id is not None:
            state = (
                await conn.execute(
                    select(subscriptions.c.state).where(subscriptions.c.id == row.subscription_id)
                )
            ).scalar()
            if state != "active":
                raise BadInput("deliveryId: its WebSub subscription has ended", field="deliveryId")
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(
                status=PENDING,
                attempts=0,
                next_attempt_at=utcnow(),
                claimed_by=None,
                claimed_until=None,
                delivered_at=None,
            )
        )
        view = DeliveryView.of(
            (await conn.execute(select(deliveries).where(deliveries.c.id == delivery_id))).one()
        )
    if admin.wake is not None:
        admin.wake()
    return view


async def send_test(
    admin: PushAdmin, viewer: Viewer | None, endpoint_id: int, *, claimed_by: str | None = None
) -> DeliveryView:
    """Queue a ``webhook.test`` event to the endpoint (enabled or not: a test shows whether it works).
    With ``claimed_by``, the delivery is queued already claimed by that deliverer, which sends it
    itself (``accord webhook test`` waits for the answer)."""
    require(viewer, "manage_webhooks")
    now = utcnow()
    async with admin.begin() as conn:
        await _endpoint(conn, endpoint_id)
        row = new_delivery(now, WEBHOOK_TEST, None, endpoint_id=endpoint_id, body=test_body(endpoint_id, now))
        if claimed_by is not None:
            until = now + timedelta(seconds=admin.settings.webhook_claim_seconds)
            row |= {"claimed_by": claimed_by, "claimed_until": until}
        new_id = (
            await conn.execute(insert(deliveries).values(**row).returning(deliveries.c.id))
        ).scalar_one()
        view = DeliveryView.of(
            (await conn.execute(select(deliveries).where(deliveries.c.id == new_id))).one()
        )
    if admin.wake is not None:
        admin.wake()
    return view


async def list_subscriptions(admin: PushAdmin, viewer: Viewer | None) -> list[SubscriptionView]:
    """The WebSub subscriptions, in every state (pending, active, failed, expired, unsubscribed, gone)."""
    require(viewer, "manage_webhooks")
    async with admin.engine.connect() as conn:
        rows = await conn.execute(select(subscriptions).order_by(subscriptions.c.id))
        return [SubscriptionView.of(row) for row in rows]


async def get_subscription(admin: PushAdmin, viewer: Viewer | None, key: str) -> SubscriptionView | None:
    """The WebSub subscription of a (topic, callback) pair, by its key (``websub.subscription_key``)."""
    require(viewer, "manage_webhooks")
    async with admin.engine.connect() as conn:
        row = (await conn.execute(select(subscriptions).where(subscriptions.c.key == key))).first()
        return None if row is None else SubscriptionView.of(row)


async def _endpoint(conn: AsyncConnection, endpoint_id: int) -> Any:
    if not 1 <= endpoint_id < 2**31:
        raise NotFound(f"id: no webhook endpoint {endpoint_id}", field="id")
    row = (await conn.execute(select(endpoints).where(endpoints.c.id == endpoint_id))).first()
    if row is None:
        raise NotFound(f"id: no webhook endpoint {endpoint_id}", field="id")
    return row
