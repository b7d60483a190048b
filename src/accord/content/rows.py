"""Between document records and table rows (plain dicts for bulk Core statements), field by field
as the content model declares them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from accord.content.document import RECORD_TYPES, STORED, ContentRecord
from accord.content.model import ContentType
from accord.core.row_types import ContentRow
from accord.models.enums import Status

# The columns every content table has, named as in the records.
COMMON = ("slug", "status", "published_at", "scheduled_at", "created_at", "updated_at")


def _timestamps(record: ContentRecord, now: datetime) -> dict[str, Any]:
    published_at = record.published_at
    if published_at is None and record.status is not Status.DRAFT:
        published_at = now
    return {
        "slug": record.slug,
        "status": record.status.value,
        "published_at": published_at,
        "scheduled_at": record.scheduled_at,
        "created_at": record.created_at or now,
        "updated_at": record.updated_at or now,
    }


def content_row(content: ContentType, record: ContentRecord) -> dict[str, Any]:
    """The row's content columns, without identity, timestamps and links."""
    row: dict[str, Any] = {}
    for spec in content.fields:
        if spec.record and spec.columns:
            row |= spec.to_row(getattr(record, spec.record))
    return row


def full_row(content: ContentType, record: ContentRecord, now: datetime) -> dict[str, Any]:
    return {**content_row(content, record), **_timestamps(record, now)}


def record_of(content: ContentType, row: ContentRow, related: Mapping[str, object]) -> ContentRecord:
    """The record of a row, given the values the row does not hold itself, by record field: the
    slugs of what it links to, its origin's slug, its tags."""
    values: dict[str, Any] = {name: getattr(row, name) for name in COMMON}
    values["status"] = Status(row.status)
    for spec in content.fields:
        if spec.record:
            values[spec.record] = related[spec.record] if spec.record in related else spec.from_row(row)
    # Validated with the STORED context: a row written before a rule existed (a control character,
    # more tags than allowed today) must stay readable, exportable and restorable.
    return RECORD_TYPES[content.name].model_validate(values, context=STORED)
