"""Push delivery: webhook endpoints, WebSub subscriptions and the outbox of deliveries.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 22:49:21.256670
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("partner", sa.String(length=120), nullable=True),
        sa.Column("tag", sa.String(length=120), nullable=True),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "websub_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=2048), nullable=False),
        sa.Column("callback", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_reason", sa.String(length=500), nullable=True),
        sa.Column("lease_seconds", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_websub_subscription")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("websub_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_websub_subscription_key"), ["key"], unique=True)

    op.create_table(
        "push_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoint.id"],
            name=op.f("fk_push_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["websub_subscription.id"],
            name=op.f("fk_push_delivery_subscription_id_websub_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_delivery")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_push_delivery_webhook_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("push_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_push_delivery_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_push_delivery_endpoint", ["endpoint_id", "id"], unique=False)
        batch_op.create_index("ix_push_delivery_subscription", ["subscription_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("push_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_push_delivery_subscription")
        batch_op.drop_index("ix_push_delivery_endpoint")
        batch_op.drop_index("ix_push_delivery_due")

    op.drop_table("push_delivery")
    with op.batch_alter_table("websub_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_websub_subscription_key"))

    op.drop_table("websub_subscription")
    op.drop_table("webhook_endpoint")
