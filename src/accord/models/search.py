from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class SearchDocument(SQLModel, table=True):
    """The searchable text of one piece of content, in both languages.

    The full-text structures over it are backend-specific and live in migrations: an FTS5 table with
    the trigram tokenizer on SQLite (substring matching works for Chinese, which has no spaces), a
    tsvector and a pg_trgm index on PostgreSQL.
    """

    __tablename__ = "search_document"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    ref_id: int
    status: str = Field(sa_type=String(16))
    body_en: str = Field(default="", sa_type=Text)
    body_zh: str = Field(default="", sa_type=Text)
