"""Who may write (API tokens), what was written (revisions) and the change log feeds and
subscriptions follow."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from accord.models.base import NEVER_REUSE_IDS
from accord.models.columns import UTCDateTime, utcnow


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored (tokens are 256-bit random, so no slow hash is needed)."""

    __tablename__ = "api_token"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(80), unique=True, index=True)
    role: str = Field(sa_type=String(16))
    token_hash: str = Field(sa_type=String(64), unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Revision(SQLModel, table=True):
    """One write to one piece of content, with the whole record before and after it."""

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_content", "content_type", "content_id", "id"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    content_type: str = Field(sa_type=String(16))
    content_id: int
    action: str = Field(sa_type=String(16))
    token_name: str = Field(sa_type=String(80))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


# PostgreSQL advisory lock that writers hold from adding a change-log row until they commit, so that
# change-log ids become visible in increasing order (see accord.write.content.lock_change_log).
CHANGE_LOG_LOCK = 7_422_612


class ChangeLog(SQLModel, table=True):
    """Every committed write appends a row. Its id is the content version caches key on; the rows
    that publish a milestone are what subscriptions replay after a reconnect."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_milestone", "milestone_published", "id"), NEVER_REUSE_IDS)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    content_type: str = Field(sa_type=String(16))
    content_id: int
    action: str = Field(sa_type=String(16))
    milestone_published: bool = False
