"""Content tables: events, partners, agreements, exhibits, their links and event tags.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 00:58:16.058775
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("signed_year", sa.Integer(), nullable=True),
        sa.Column("signed_month", sa.Integer(), nullable=True),
        sa.Column("signed_day", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreement_signed_year"), ["signed_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreement_slug"), ["slug"], unique=True)
        batch_op.create_index(batch_op.f("ix_agreement_status"), ["status"], unique=False)

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=True),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("end_year", sa.Integer(), nullable=True),
        sa.Column("end_month", sa.Integer(), nullable=True),
        sa.Column("end_day", sa.Integer(), nullable=True),
        sa.Column("sort_key", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("is_milestone", sa.Boolean(), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_event_milestone_published", ["is_milestone", "published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_slug"), ["slug"], unique=True)
        batch_op.create_index(batch_op.f("ix_event_sort_key"), ["sort_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_status"), ["status"], unique=False)
        batch_op.create_index("ix_event_status_sort", ["status", "sort_key", "id"], unique=False)

    op.create_table(
        "partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_zh", sa.String(length=300), nullable=True),
        sa.Column("short_name", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_name_en"), ["name_en"], unique=False)
        batch_op.create_index(batch_op.f("ix_partner_slug"), ["slug"], unique=True)
        batch_op.create_index(batch_op.f("ix_partner_status"), ["status"], unique=False)

    op.create_table(
        "agreement_party",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_party_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_agreement_party_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "partner_id", name=op.f("pk_agreement_party")),
    )
    with op.batch_alter_table("agreement_party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_party_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "event_agreement",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_event_agreement_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_agreement_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "agreement_id", name=op.f("pk_event_agreement")),
    )
    with op.batch_alter_table("event_agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_agreement_agreement_id"), ["agreement_id"], unique=False)

    op.create_table(
        "event_partner",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_partner_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_event_partner_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "partner_id", name=op.f("pk_event_partner")),
    )
    with op.batch_alter_table("event_partner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_partner_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "event_tag",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_tag_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "tag", name=op.f("pk_event_tag")),
    )
    with op.batch_alter_table("event_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_tag_tag"), ["tag"], unique=False)

    op.create_table(
        "exhibit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("origin_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["origin_id"], ["partner.id"], name=op.f("fk_exhibit_origin_id_partner"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibit")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("exhibit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exhibit_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_exhibit_origin_id"), ["origin_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exhibit_slug"), ["slug"], unique=True)
        batch_op.create_index(batch_op.f("ix_exhibit_status"), ["status"], unique=False)

    op.create_table(
        "event_exhibit",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("exhibit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_exhibit_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["exhibit_id"],
            ["exhibit.id"],
            name=op.f("fk_event_exhibit_exhibit_id_exhibit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "exhibit_id", name=op.f("pk_event_exhibit")),
    )
    with op.batch_alter_table("event_exhibit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_exhibit_exhibit_id"), ["exhibit_id"], unique=False)

    op.create_table(
        "exhibit_agreement",
        sa.Column("exhibit_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_exhibit_agreement_agreement_id_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["exhibit_id"],
            ["exhibit.id"],
            name=op.f("fk_exhibit_agreement_exhibit_id_exhibit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("exhibit_id", "agreement_id", name=op.f("pk_exhibit_agreement")),
    )
    with op.batch_alter_table("exhibit_agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exhibit_agreement_agreement_id"), ["agreement_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exhibit_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exhibit_agreement_agreement_id"))

    op.drop_table("exhibit_agreement")
    with op.batch_alter_table("event_exhibit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_exhibit_exhibit_id"))

    op.drop_table("event_exhibit")
    with op.batch_alter_table("exhibit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exhibit_status"))
        batch_op.drop_index(batch_op.f("ix_exhibit_slug"))
        batch_op.drop_index(batch_op.f("ix_exhibit_origin_id"))
        batch_op.drop_index(batch_op.f("ix_exhibit_kind"))

    op.drop_table("exhibit")
    with op.batch_alter_table("event_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_tag_tag"))

    op.drop_table("event_tag")
    with op.batch_alter_table("event_partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_partner_partner_id"))

    op.drop_table("event_partner")
    with op.batch_alter_table("event_agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_agreement_agreement_id"))

    op.drop_table("event_agreement")
    with op.batch_alter_table("agreement_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_party_partner_id"))

    op.drop_table("agreement_party")
    with op.batch_alter_table("partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_status"))
        batch_op.drop_index(batch_op.f("ix_partner_slug"))
        batch_op.drop_index(batch_op.f("ix_partner_name_en"))
        batch_op.drop_index(batch_op.f("ix_partner_kind"))
        batch_op.drop_index(batch_op.f("ix_partner_country"))

    op.drop_table("partner")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_status_sort")
        batch_op.drop_index(batch_op.f("ix_event_status"))
        batch_op.drop_index(batch_op.f("ix_event_sort_key"))
        batch_op.drop_index(batch_op.f("ix_event_slug"))
        batch_op.drop_index("ix_event_milestone_published")
        batch_op.drop_index(batch_op.f("ix_event_kind"))

    op.drop_table("event")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_status"))
        batch_op.drop_index(batch_op.f("ix_agreement_slug"))
        batch_op.drop_index(batch_op.f("ix_agreement_signed_year"))
        batch_op.drop_index(batch_op.f("ix_agreement_kind"))

    op.drop_table("agreement")
