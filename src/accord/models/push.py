"""Push delivery: webhook endpoints, WebSub subscriptions, and the outbox of deliveries to both.

A write that should be pushed inserts its deliveries in its own transaction (``accord.push.outbox``);
the deliverer of any ``accord serve`` process claims them after the commit and sends them
(``accord.push.deliverer``). See docs/webhooks.md and docs/feeds.md (WebSub).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from accord.models.base import NEVER_REUSE_IDS
from accord.models.columns import UTCDateTime, utcnow

URL_LENGTH = 2048


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives signed JSON events (Standard Webhooks)."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_type=String(URL_LENGTH))
    events: list[str] = Field(sa_type=JSON)  # event type names, e.g. ["milestone.published"]
    partner: str | None = Field(default=None, sa_type=String(120))  # a partner slug, or any
    tag: str | None = Field(default=None, sa_type=String(120))  # a tag, or any
    description: str | None = Field(default=None, sa_type=String(300))
    secret: str = Field(sa_type=String(128))  # whsec_ + base64: needed in clear to sign
    enabled: bool = True
    consecutive_failures: int = 0
    disabled_reason: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebSubSubscription(SQLModel, table=True):
    """A WebSub subscriber of one feed (the topic), verified, with its lease."""

    __tablename__ = "websub_subscription"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    # sha256 of topic and callback: one subscription per pair (the URLs are too long for an index).
    key: str = Field(sa_type=String(64), unique=True, index=True)
    topic: str = Field(sa_type=String(URL_LENGTH))
    callback: str = Field(sa_type=String(URL_LENGTH))
    secret: str | None = Field(default=None, sa_type=String(200))
    # Which events appear in the topic, worked out from its URL when the subscription was made.
    criteria: dict[str, Any] = Field(sa_type=JSON)
    state: str = Field(default="pending", sa_type=String(16))  # pending, active, failed, expired, ...
    state_reason: str | None = Field(default=None, sa_type=String(500))
    lease_seconds: int = 0
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PushDelivery(SQLModel, table=True):
    """One message to one target, from the write that caused it until it is delivered or given up.

    ``webhook_id`` is the Standard Webhooks message id: the same on every attempt, so receivers can
    drop duplicates. WebSub deliveries carry no body: the topic's feed is rendered when sent.
    """

    __tablename__ = "push_delivery"
    __table_args__ = (
        # The deliverer's claim: the oldest due pending deliveries.
        Index("ix_push_delivery_due", "status", "next_attempt_at"),
        Index("ix_push_delivery_endpoint", "endpoint_id", "id"),
        Index("ix_push_delivery_subscription", "subscription_id", "id"),
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: str = Field(sa_type=String(64), unique=True)
    endpoint_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), nullable=True),
    )
    subscription_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("websub_subscription.id", ondelete="CASCADE"), nullable=True),
    )
    event_type: str = Field(sa_type=String(40))
    change_id: int | None = None
    body: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="pending", sa_type=String(16))  # pending, delivered, failed, cancelled
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, sa_type=String(40))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, sa_type=String(500))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
