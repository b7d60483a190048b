"""The feed formats accord serves, their file extensions and media types."""

from __future__ import annotations

from enum import StrEnum

from accord.models.enums import Locale


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

# The values of ``?locale=`` and of ``locale:`` in the saved-feeds file, as IETF language tags.
LANGUAGE_TAGS = {Locale.EN: "en", Locale.ZH_TW: "zh-TW"}
LOCALE_OF_TAG = {tag.lower(): locale for locale, tag in LANGUAGE_TAGS.items()}
ALLOWED_LOCALES = " or ".join(LANGUAGE_TAGS.values())


def split_file_name(file_name: str) -> tuple[str, FeedFormat] | None:
    """``'milestones.rss'`` → ``('milestones', FeedFormat.RSS)``; None for an unknown extension."""
    name, dot, extension = file_name.rpartition(".")
    if not dot or not name:
        return None
    try:
        return name, FeedFormat(extension)
    except ValueError:
        return None


def locale_of_tag(tag: str) -> Locale | None:
    """``en`` / ``zh-TW`` (any letter case) to a Locale; None for anything else."""
    return LOCALE_OF_TAG.get(tag.lower())
