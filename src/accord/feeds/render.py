"""Feed documents as bytes: RSS 2.0 and Atom 1.0 through feedgen, JSON Feed 1.1 through orjson.

Nothing here reads the clock: a feed's bytes depend only on its content, so its ETag changes
exactly when the content does.

RSS and Atom are XML: every string goes through ``accord.core.text.xml_safe`` first, so a control
character stored in a title (writes refuse them, but older rows may hold them) is dropped instead of
making lxml refuse the whole feed. JSON Feed keeps the text as stored: JSON escapes any character.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree  # type: ignore[import-untyped]  # feedgen's own XML library

from accord.core.text import xml_safe_copy
from accord.feeds.formats import FeedFormat
from accord.feeds.items import FeedItem

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "accord"
# A feed with no entries still needs an Atom <updated>; any fixed instant keeps its bytes stable.
NO_ENTRIES = datetime(2000, 1, 1, tzinfo=UTC)
TAG_SCHEME = "urn:accord:tag"
PARTNER_SCHEME = "urn:accord:partner"


@dataclass(frozen=True, slots=True)
class FeedDocument:
    title: str
    description: str
    language: str
    """An IETF language tag: ``en`` or ``zh-TW``."""
    feed_url: str
    """This document's own URL (Atom ``rel=self``, JSON Feed ``feed_url``); also the Atom feed id."""
    home_url: str
    author: str
    author_url: str
    items: list[FeedItem]
    hub_url: str | None = None
    """The WebSub hub (``rel="hub"``) that pushes this feed's updates; None: no hub."""

    @property
    def last_modified(self) -> datetime | None:
        return max((item.changed for item in self.items), default=None)


def render(document: FeedDocument, fmt: FeedFormat) -> bytes:
    if fmt is FeedFormat.JSON:
        return render_json(document)
    generator = _feedgen(xml_safe_copy(document), fmt)
    if fmt is FeedFormat.RSS:
        body: bytes = generator.rss_str(pretty=True)
        return body
    return _atom_enclosures(generator.atom_str(pretty=True), document.items)


ATOM = "http://www.w3.org/2005/Atom"
ATOM_LINK = f"{{{ATOM}}}link"


def _atom_enclosures(body: bytes, items: list[FeedItem]) -> bytes:
    """feedgen 1.0 writes an Atom entry's links without their rel and type (its loop variable is
    shadowed): an entry's picture would read as a second alternate page. Mark it as the enclosure."""
    pictures = {item.image.url: item.image.media_type for item in items if item.image is not None}
    if not pictures:
        return body
    root = etree.fromstring(body)
    for link in root.iter(ATOM_LINK):
        media_type = pictures.get(link.get("href", ""))
        parent = link.getparent()
        if media_type is not None and parent is not None and parent.tag == f"{{{ATOM}}}entry":
            link.set("rel", "enclosure")
            link.set("type", media_type)
    fixed: bytes = etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return fixed


def _feedgen(document: FeedDocument, fmt: FeedFormat) -> Any:
    fg = FeedGenerator()
    fg.id(document.feed_url)
    fg.title(document.title)
    fg.description(document.description)
    fg.language(document.language)
    fg.author({"name": document.author, "uri": document.author_url})
    fg.generator(GENERATOR)
    fg.updated(document.last_modified or NO_ENTRIES)
    # RSS keeps the last link added as the channel's <link>: the self link goes first.
    fg.link(href=document.feed_url, rel="self", type=fmt.media_type.partition(";")[0])
    fg.link(href=document.home_url, rel="alternate", type="text/html")
    # -- WebSub discovery (accord.push.websub): rel="hub" beside rel="self" --
    if document.hub_url is not None:
        if fmt is FeedFormat.RSS:  # feedgen writes only the self link as <atom:link> in RSS
            fg.register_extension("websub", _RssHubLink, atom=False, rss=True)
            fg.websub.hub_url = document.hub_url
        else:
            fg.link(href=document.hub_url, rel="hub")
    for item in document.items:
        entry = fg.add_entry(order="append")
        entry.guid(item.id, permalink=False)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.content(item.text, type="text")
        entry.published(item.published)
        entry.updated(item.published)
        if item.image is not None:
            # A variant's size is known once it is built: RSS asks for a length, 0 says unknown.
            entry.enclosure(item.image.url, 0, item.image.media_type)
        categories = [{"term": tag, "scheme": TAG_SCHEME} for tag in item.tags]
        categories += [
            {"term": partner.slug, "label": partner.name, "scheme": PARTNER_SCHEME}
            for partner in item.partners
        ]
        if categories:
            entry.category(categories)
    return fg


def render_json(document: FeedDocument) -> bytes:
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": document.title,
        "home_page_url": document.home_url,
        "feed_url": document.feed_url,
        "description": document.description,
        "language": document.language,
        "authors": [{"name": document.author, "url": document.author_url}],
        "items": [_json_item(item) for item in document.items],
    }
    if document.hub_url is not None:  # WebSub discovery (JSON Feed 1.1 "hubs")
        feed["hubs"] = [{"type": "WebSub", "url": document.hub_url}]
    return orjson.dumps(feed)


def _json_item(item: FeedItem) -> dict[str, Any]:
    tags = list(dict.fromkeys([*item.tags, *(partner.name for partner in item.partners)]))
    result: dict[str, Any] = {
        "id": item.id,
        "url": item.url,
        "title": item.title,
        "content_text": item.text,
        "summary": item.summary,
        "date_published": item.published.isoformat(),
        "date_modified": item.updated.isoformat(),
    }
    if tags:
        result["tags"] = tags
    if item.image is not None:
        result["image"] = item.image.url
    return result


class _RssHubLink(BaseExtension):  # type: ignore[misc]
    """Adds ``<atom:link rel="hub" href="..."/>`` to an RSS channel, after its self link."""

    def __init__(self) -> None:
        self.hub_url: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM}

    def extend_rss(self, rss_feed: Any) -> Any:
        if self.hub_url is not None:
            channel = rss_feed[0]
            link = channel.makeelement(ATOM_LINK, {"href": self.hub_url, "rel": "hub"})
            self_links = channel.findall(ATOM_LINK)
            position = list(channel).index(self_links[-1]) + 1 if self_links else len(channel)
            channel.insert(position, link)
        return rss_feed
