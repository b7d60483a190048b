"""What a row read from a table is, for the type checker.

Reads run Core statements (``select(table)``), so a row is an SQLAlchemy ``Row``, never an instance
of the table's SQLModel class (building those would slow the hot read path). These Protocols state
the columns their readers use, named and typed as in accord.models; a ``Row`` satisfies them
through its attribute access, and mypy checks every attribute read against them (not that the
statement selected those columns: it cannot see that). A field kind reads the columns its
declaration names (``getattr``) from a ``ContentRow``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Row

# A row of any columns, as a statement returns it: a select of a whole table, or of chosen columns.
ResultRow = Row[*tuple[Any, ...]]


class ContentRow(Protocol):
    """A row of any content table: the columns of accord.models.base.ContentBase."""

    id: int
    slug: str
    status: str
    published_at: datetime | None
    scheduled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EventRow(ContentRow, Protocol):
    """A row of ``event`` (accord.models.event.Event)."""

    title_en: str
    title_zh: str | None
    summary_en: str
    summary_zh: str | None
    year: int
    month: int | None
    day: int | None
    end_year: int | None
    end_month: int | None
    end_day: int | None
    places: list[dict[str, str | None]]  # [{"en": "Taipei", "zh_tw": "臺北"}, ...]


class PartnerRow(ContentRow, Protocol):
    """A row of ``partner`` (accord.models.partner.Partner): what feeds name a partner by."""

    name_en: str
    name_zh: str | None


class ImageRow(Protocol):
    """A row of ``image`` (accord.models.media.Image): its description, never its bytes."""

    id: int
    content_hash: str
    format: str
    width: int
    height: int
    byte_size: int
    alt_en: str
    alt_zh: str | None
    credit: str | None
    placeholder: str
    dominant_color: str
    created_at: datetime
    updated_at: datetime


class RevisionRow(Protocol):
    """A row of ``revision`` (accord.models.audit.Revision)."""

    id: int
    content_type: str  # a content type's name, or Image
    content_id: int
    action: str
    token_name: str
    at: datetime
    before: dict[str, Any] | None  # a document record, as JSON
    after: dict[str, Any] | None
