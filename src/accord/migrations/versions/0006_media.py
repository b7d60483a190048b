"""Images: the image table, the stored originals, and the images of exhibits and events.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("alt_en", sa.String(length=1000), nullable=False),
        sa.Column("alt_zh", sa.String(length=1000), nullable=True),
        sa.Column("credit", sa.String(length=300), nullable=True),
        sa.Column("placeholder", sa.String(length=64), nullable=False),
        sa.Column("dominant_color", sa.String(length=7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_content_hash"), ["content_hash"], unique=True)

    op.create_table(
        "image_data",
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"], ["image.id"], name=op.f("fk_image_data_image_id_image"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_image_data")),
    )

    for owner in ("exhibit", "event"):
        name = f"{owner}_image"
        op.create_table(
            name,
            sa.Column(f"{owner}_id", sa.Integer(), nullable=False),
            sa.Column("image_id", sa.Integer(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                [f"{owner}_id"],
                [f"{owner}.id"],
                name=op.f(f"fk_{name}_{owner}_id_{owner}"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["image_id"], ["image.id"], name=op.f(f"fk_{name}_image_id_image"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint(f"{owner}_id", "image_id", name=op.f(f"pk_{name}")),
        )
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{name}_image_id"), ["image_id"], unique=False)


def downgrade() -> None:
    for owner in ("event", "exhibit"):
        name = f"{owner}_image"
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_image_id"))
        op.drop_table(name)
    op.drop_table("image_data")
    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_image_content_hash"))
    op.drop_table("image")
