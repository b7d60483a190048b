"""Feed URLs, and the ``<link rel="alternate">`` tags that let browsers and readers find the feeds."""

from __future__ import annotations

from html import escape

from accord.feeds.formats import FeedFormat

MILESTONES = "milestones"
MILESTONES_TITLE = "International cooperation milestones"


def feed_url(public_url: str, name: str, fmt: FeedFormat) -> str:
    """A milestone or saved feed: ``{public_url}/feeds/{name}.{rss,atom,json}``."""
    return f"{public_url}/feeds/{name}.{fmt.value}"


def partner_feed_url(public_url: str, slug: str, fmt: FeedFormat) -> str:
    return f"{public_url}/feeds/partners/{slug}.{fmt.value}"


def event_url(public_url: str, slug: str) -> str:
    return f"{public_url}/events/{slug}"


def alternate_links_html(public_url: str) -> str:
    """The ``<link rel="alternate">`` tags of the three milestone feeds, one per line, for a <head>."""
    tags = []
    for fmt in FeedFormat:
        href = feed_url(public_url.rstrip("/"), MILESTONES, fmt)
        media_type = fmt.media_type.partition(";")[0]
        title = f"{MILESTONES_TITLE} ({fmt.label})"
        attributes = f'type="{escape(media_type)}" title="{escape(title)}" href="{escape(href)}"'
        tags.append(f'<link rel="alternate" {attributes} />')
    return "\n".join(tags)
