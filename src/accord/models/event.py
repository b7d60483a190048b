from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlmodel import Field

from accord.models.base import NEVER_REUSE_IDS, ContentBase, kind_field
from accord.models.columns import TITLE_LENGTH
from accord.models.enums import EventKind


class Event(ContentBase, table=True):
    """A dated entry of the timeline; milestones are what feeds and subscriptions announce.

    ``sort_key`` is derived from the start date (``accord.core.dates.PartialDate.sort_key``) and
    kept in the row so that ordering and year ranges use one index instead of three nullable columns.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_status_sort", "status", "sort_key", "id"),
        Index("ix_event_milestone_published", "is_milestone", "published_at"),
        NEVER_REUSE_IDS,
    )

    title_en: str = Field(sa_type=String(TITLE_LENGTH))
    title_zh: str | None = Field(default=None, sa_type=String(TITLE_LENGTH))
    summary_en: str = Field(default="", sa_type=Text)
    summary_zh: str | None = Field(default=None, sa_type=Text)
    year: int
    month: int | None = None
    day: int | None = None
    end_year: int | None = None
    end_month: int | None = None
    end_day: int | None = None
    sort_key: int = Field(index=True)
    kind: str = kind_field(EventKind.OTHER.value)
    is_milestone: bool = Field(default=False)
    # [{"en": "Taipei", "zh_tw": "臺北"}, ...]: read whole with the event, never filtered on.
    places: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
