"""The feed formats accord serves, their file extensions and media types."""

from __future__ import annotations

from enum import StrEnum


class FeedFormat(StrEnum):
    """The value is the file extension in the URL (``/feeds/milestones.rss``)."""

    RSS = "rss"
    ATOM = "atom"
    JSON = "json"

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self]

    @property
    def label(self) -> str:
        return LABELS[self]


MEDIA_TYPES = {
    FeedFormat.RSS: "application/rss+xml; charset=utf-8",
    FeedFormat.ATOM: "application/atom+xml; charset=utf-8",
    FeedFormat.JSON: "application/feed+json; charset=utf-8",
}
LABELS = {FeedFormat.RSS: "RSS", FeedFormat.ATOM: "Atom", FeedFormat.JSON: "JSON Feed"}
OPML_MEDIA_TYPE = "text/x-opml; charset=utf-8"


def split_file_name(file_name: str) -> tuple[str, FeedFormat] | None:
    """``'milestones.rss'`` → ``('milestones', FeedFormat.RSS)``; None for an unknown extension."""
    name, dot, extension = file_name.rpartition(".")
    if not dot or not name:
        return None
    try:
        return name, FeedFormat(extension)
    except ValueError:
        return None
