"""The OPML 2.0 subscription list of every feed, built as an element tree (no string templates).

ElementTree escapes markup but writes control characters out as they are, which no XML parser then
accepts: every string goes through ``accord.core.text.xml_safe`` first (a partner's name stored
before writes refused such characters still gives a valid document).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree import ElementTree

from accord.core.text import xml_safe, xml_safe_copy

OPML_DOCS = "http://opml.org/spec2.opml"


@dataclass(frozen=True, slots=True)
class Subscription:
    text: str
    xml_url: str
    html_url: str
    language: str | None = None


@dataclass(slots=True)
class Group:
    text: str
    subscriptions: list[Subscription] = field(default_factory=list)


def render_opml(title: str, owner: str, groups: list[Group]) -> bytes:
    """One outline per group (a folder in most readers) holding one outline per feed."""
    title, owner, groups = xml_safe(title), xml_safe(owner), xml_safe_copy(groups)
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "ownerName").text = owner
    ElementTree.SubElement(head, "docs").text = OPML_DOCS
    body = ElementTree.SubElement(root, "body")
    for group in groups:
        if not group.subscriptions:
            continue
        folder = ElementTree.SubElement(body, "outline", text=group.text, title=group.text)
        for sub in group.subscriptions:
            attributes = {
                "type": "rss",
                "text": sub.text,
                "title": sub.text,
                "xmlUrl": sub.xml_url,
                "htmlUrl": sub.html_url,
            }
            if sub.language is not None:
                attributes["language"] = sub.language
            ElementTree.SubElement(folder, "outline", attributes)
    ElementTree.indent(root)
    document: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
