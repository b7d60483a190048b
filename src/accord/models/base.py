"""Fields every content table carries: identity, slug, publication status and timestamps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from accord.models.columns import KIND_LENGTH, SLUG_LENGTH, UTCDateTime, utcnow
from accord.models.enums import Status

# Deterministic constraint names, so migrations can drop and alter them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# SQLite would otherwise hand the id of the newest deleted row to the next insert: a deleted item's
# global id, revisions and restore would then point at somebody else's content.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class ContentBase(SQLModel):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(SLUG_LENGTH), unique=True, index=True)
    # No index of its own: two or three values are too few to help, and SQLite would pick it over
    # the primary-key lookups of the relation queries.
    status: str = Field(default=Status.PUBLISHED.value, sa_type=String(16))
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A publish set for a later time (a draft or archived item until then); the scheduler
    # (accord.schedule) looks for due ones through its index, and clears it when it publishes.
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def kind_field(default: str) -> str:
    """A kind column: plain string, validated by the enums in the application."""
    result: str = Field(default=default, sa_type=String(KIND_LENGTH), index=True)
    return result
