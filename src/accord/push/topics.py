"""WebSub topics: accord's feed URLs.

A topic is the URL of a feed (``/feeds/milestones.atom?partner=wto``, ``/feeds/partners/apec.rss``,
a saved feed) under ``ACCORD_PUBLIC_URL``. It is accepted when the feed endpoint serves it; which
events appear in it (its *criteria*) is worked out from the URL once, when the subscription is
made, and kept with the subscription, so the write transaction needs neither the settings nor the
saved-feeds file to tell whether a change concerns it. The feed itself is rendered when a
distribution is sent, through the feed endpoints, so subscribers get exactly what a GET returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match

from accord.content.document import ContentRecord
from accord.content.fields import Date, Tags
from accord.content.model import EVENT
from accord.feeds.endpoints import FeedEndpoints
from accord.feeds.formats import split_file_name
from accord.feeds.links import MILESTONES
from accord.models.enums import Status


class NotATopic(ValueError):
    """A URL that is not one of accord's feeds."""


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    body: bytes
    media_type: str
    self_url: str


def criteria_of(topic: str, public_url: str, feeds: FeedEndpoints) -> dict[str, Any]:
    """Which events appear in the feed at ``topic`` (the keys of GraphQL's EventFilter)."""
    prefix = f"{public_url}/feeds/"
    if not topic.startswith(prefix):
        raise NotATopic(f"hub.topic must be one of this server's feeds, under {prefix}")
    parts = urlsplit(topic)
    query = dict(parse_qsl(parts.query))
    path = topic[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
    if path.startswith("partners/"):
        named = split_file_name(path.removeprefix("partners/"))
        if named is None:
            raise NotATopic("hub.topic is not a feed URL")
        return {"milestonesOnly": True, "partner": named[0], "tag": query.get("tag")}
    named = split_file_name(path)
    if named is None:
        raise NotATopic("hub.topic is not a feed URL")
    name = named[0]
    if name == MILESTONES:
        return {"milestonesOnly": True, "partner": query.get("partner"), "tag": query.get("tag")}
    saved = feeds.saved.get(name)
    if saved is None:
        raise NotATopic(f"hub.topic: there is no feed named {name!r}")
    return saved.filter.model_dump(by_alias=True, mode="json")


# The event fields the criteria (GraphQL's EventFilter) look at, by their declaration.
_MILESTONE = EVENT.milestone_flag or ""
_PARTNERS = EVENT.linked("partners").record
_TAGS = next(EVENT.of_kind(Tags)).record
_KIND = EVENT.field("kind").record
_DATE = EVENT.field("date")
assert isinstance(_DATE, Date) and _DATE.period_end is not None
_START, _END = _DATE.record, EVENT.field(_DATE.period_end).record


def appears_in(record: ContentRecord | None, criteria: dict[str, Any]) -> bool:
    """Whether a published event as ``record`` describes it is an entry of a feed with these criteria."""
    if record is None or record.content_type is not EVENT or record.status is not Status.PUBLISHED:
        return False
    if criteria.get("milestonesOnly") and not getattr(record, _MILESTONE):
        return False
    if criteria.get("partner") is not None and criteria["partner"] not in getattr(record, _PARTNERS):
        return False
    if criteria.get("tag") is not None and criteria["tag"] not in getattr(record, _TAGS):
        return False
    if criteria.get("kind") is not None and criteria["kind"] != getattr(record, _KIND).value:
        return False
    start, end = getattr(record, _START), getattr(record, _END)
    first = start.year
    last = end.year if end is not None else first
    year_from, year_to = criteria.get("yearFrom"), criteria.get("yearTo")
    if year_from is not None and last < year_from:
        return False
    return year_to is None or first <= year_to


class TopicFeeds:
    """Renders a topic through the feed endpoints, as a GET of its URL would."""

    def __init__(self, feeds: FeedEndpoints) -> None:
        self.feeds = feeds
        self.public_url = feeds.public_url

    async def render(self, topic: str) -> RenderedFeed | None:
        """The feed at ``topic``; None when it is not a feed this server serves (now)."""
        prefix = f"{self.public_url}/feeds/"
        if not topic.startswith(prefix):
            return None
        parts = urlsplit(topic)
        path = "/feeds/" + topic[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
        scope: dict[str, Any] = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": parts.query.encode(),
            "headers": [],
            "root_path": "",
        }
        for route in self.feeds.routes():
            match, child = route.matches(scope)
            if match is not Match.FULL:
                continue
            try:
                response = await route.endpoint(Request({**scope, **child}))
            except HTTPException:  # a client mistake the feed answers with a 4xx: no feed there
                return None
            if response.status_code != 200:
                return None
            media_type = response.headers.get("content-type", "application/octet-stream")
            return RenderedFeed(bytes(response.body), media_type, topic)
        return None
