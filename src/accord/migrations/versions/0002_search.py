"""Full-text search: the search_document table and its backend-specific indexes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS = [
    # External-content FTS5 table: the text lives once, in search_document; triggers keep the index.
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        body_en, body_zh, content='search_document', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_document BEGIN
        INSERT INTO search_fts(rowid, body_en, body_zh) VALUES (new.id, new.body_en, new.body_zh);
    END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, body_en, body_zh)
        VALUES ('delete', old.id, old.body_en, old.body_zh);
    END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, body_en, body_zh)
        VALUES ('delete', old.id, old.body_en, old.body_zh);
        INSERT INTO search_fts(rowid, body_en, body_zh) VALUES (new.id, new.body_en, new.body_zh);
    END""",
]

POSTGRES_FTS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE INDEX ix_search_document_fts ON search_document
        USING gin (to_tsvector('simple', body_en || ' ' || body_zh))""",
    """CREATE INDEX ix_search_document_trgm ON search_document
        USING gin ((body_en || ' ' || body_zh) gin_trgm_ops)""",
]


def upgrade() -> None:
    op.create_table(
        "search_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_document")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_search_document_kind_ref_id")),
    )
    statements = SQLITE_FTS if op.get_bind().dialect.name == "sqlite" else POSTGRES_FTS
    for statement in statements:
        op.execute(statement)
    # Content that already exists is indexed by accord.migrate.upgrade after the migrations.


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_fts_insert", "search_fts_delete", "search_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_document")
