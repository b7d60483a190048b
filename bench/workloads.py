"""The read workloads of `python -m bench http`: GraphQL documents, the feed, and how to check answers.

W1 to W5 are what a headless frontend asks accord for. Each GraphQL workload is sent two ways:

- uncached: POST with the document and its variables plus ``"nonce": "<unique per request>"`` (autocannon
  replaces ``[<id>]`` with a fresh id on every request). GraphQL ignores variables the operation does
  not declare, so the execution is the same, but the response cache key differs every time: every
  request runs the document against the database (and the answer is still stored, as on any miss).
- cached: the same GET URL over and over (``?query=...&variables=...``): anonymous GETs are answered
  from the response cache (keyed by document, variables, locale and media type) until content changes.

W4 (the Atom feed) keeps built feeds until content changes, keyed by path and query string: uncached
is a GET with a unique unused ``nonce`` parameter (the feed ignores parameters it does not know),
cached the same plain GET again.

The PostGraphile peers are asked for the same rows as W1 in their own naming
(bench/http_reads/postgraphile.py).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

NONCE = "[<id>]"  # autocannon --idReplacement fills this in per request

W1 = """query W1FrontPage {
  events(first: 50, orderBy: DATE_DESC) {
    edges {
      node {
        slug
        title
        date { label }
        partners { name shortName }
        agreements { title parties { name } }
        exhibits { title }
      }
    }
  }
}"""

W2 = """query W2EventPage($slug: String!) {
  event(slug: $slug) {
    id
    slug
    title
    summary
    kind
    isMilestone
    date { iso precision label }
    endDate { iso label }
    places
    tags
    publishedAt
    updatedAt
    partners { id slug name shortName kind country }
    agreements { id slug title kind signedOn { iso label } parties { slug name } }
    exhibits { id slug title kind imageUrl origin { slug name } }
  }
}"""

W3 = """query W3Search($query: String!, $first: Int!) {
  search(query: $query, first: $first) {
    __typename
    ... on Event { slug title date { label } }
    ... on Partner { slug name shortName }
    ... on Agreement { slug title signedOn { label } }
    ... on Exhibit { slug title }
  }
}"""

W4_PATH = "/feeds/milestones.atom"
# autocannon's command line reads an argument ending in "]" as a sub-argument: a parameter follows.
W4_UNCACHED_PATH = f"{W4_PATH}?nonce={NONCE}&bench=1"

W5 = """query W5PartnerPage($slug: String!, $first: Int!, $after: String) {
  partner(slug: $slug) {
    id
    slug
    name
    shortName
    kind
    country
    website
    agreements { slug title kind signedOn { iso label } }
    events(first: $first, after: $after, orderBy: DATE_DESC) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { slug title date { label } isMilestone } }
    }
  }
}"""

HELLO = "{ hello }"
HELLO_ANSWER = b'{"data":{"hello":"world"}}'

SEARCH_QUERY = "trade facilitation"
SEARCH_FIRST = 20
PARTNER_EVENTS_FIRST = 20


@dataclass(frozen=True)
class Picks:
    """Per data set: the event (W2) and partner (W5) a page is asked for."""

    event_slug: str
    partner_slug: str


# W2: the published event with the most links (ties: lowest id), so every size asks for a full page.
EVENT_PICK = """
SELECT e.slug FROM event e
WHERE e.status = 'PUBLISHED'
ORDER BY (SELECT count(*) FROM event_partner l WHERE l.event_id = e.id)
       + (SELECT count(*) FROM event_agreement l WHERE l.event_id = e.id)
       + (SELECT count(*) FROM event_exhibit l WHERE l.event_id = e.id) DESC, e.id
LIMIT 1
"""
# W5: the published partner with the most published events (ties: lowest id): a full first page.
PARTNER_PICK = """
SELECT p.slug FROM partner p
JOIN event_partner l ON l.partner_id = p.id
JOIN event e ON e.id = l.event_id AND e.status = 'PUBLISHED'
WHERE p.status = 'PUBLISHED'
GROUP BY p.id, p.slug
ORDER BY count(*) DESC, p.id
LIMIT 1
"""


def picks_from_sqlite(path: str) -> Picks:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        event = conn.execute(EVENT_PICK).fetchone()[0]
        partner = conn.execute(PARTNER_PICK).fetchone()[0]
    return Picks(str(event), str(partner))


def picks_from_postgres(url: str) -> Picks:
    import psycopg

    with psycopg.connect(url) as conn:
        event = conn.execute(EVENT_PICK).fetchone()
        partner = conn.execute(PARTNER_PICK).fetchone()
    assert event is not None and partner is not None
    return Picks(str(event[0]), str(partner[0]))


# Checks of one answer: raise AssertionError naming what is wrong.


def graphql_data(body: bytes) -> dict[str, Any]:
    document = json.loads(body)
    assert isinstance(document, dict), "not a JSON object"
    assert not document.get("errors"), f"GraphQL errors: {json.dumps(document.get('errors'))[:500]}"
    data = document.get("data")
    assert isinstance(data, dict), "no data"
    return data


def check_w1(body: bytes, expected_events: int) -> str:
    edges = graphql_data(body)["events"]["edges"]
    assert len(edges) == expected_events, f"{len(edges)} events, expected {expected_events}"
    links = sum(len(e["node"]["partners"]) + len(e["node"]["agreements"]) for e in edges)
    return f"{len(edges)} events, {links} partner+agreement links"


def check_w2(body: bytes, expected_events: int) -> str:
    event = graphql_data(body)["event"]
    assert event is not None, "event not found"
    return f"{len(event['partners'])} partners, {len(event['agreements'])} agreements"


def check_w3(body: bytes, expected_events: int) -> str:
    results = graphql_data(body)["search"]
    assert results, "no search results"
    return f"{len(results)} results"


def check_w4(body: bytes, expected_events: int) -> str:
    assert body.startswith(b"<?xml") and b"<feed" in body, "not an Atom feed"
    entries = body.count(b"<entry>") + body.count(b"<entry ")
    assert entries > 0, "no entries"
    return f"{entries} entries"


def check_w5(body: bytes, expected_events: int) -> str:
    partner = graphql_data(body)["partner"]
    assert partner is not None, "partner not found"
    events = partner["events"]
    assert events["edges"], "no events"
    return f"{len(events['edges'])} of {events['totalCount']} events, {len(partner['agreements'])} agreements"


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    check: Callable[[bytes, int], str]
    query: str | None = None  # None: the feed (W4)
    variables: Callable[[Picks], dict[str, Any]] = field(default=lambda picks: {})

    @property
    def is_graphql(self) -> bool:
        return self.query is not None

    def post_body(self, picks: Picks, *, nonce: bool) -> str:
        assert self.query is not None
        variables = self.variables(picks)
        if nonce:
            variables = {**variables, "nonce": NONCE}
        return json.dumps({"query": self.query, "variables": variables}, separators=(",", ":"))

    def get_path(self, picks: Picks, *, nonce: bool = False) -> str:
        if self.query is None:
            return W4_UNCACHED_PATH if nonce else W4_PATH
        params = {"query": self.query}
        variables = self.variables(picks)
        if variables:
            params["variables"] = json.dumps(variables, separators=(",", ":"))
        return "/graphql?" + urlencode(params)


WORKLOADS = [
    Workload("W1", "front page: 50 newest events, 3 levels", check_w1, W1),
    Workload(
        "W2", "event page by slug, everything linked", check_w2, W2, lambda picks: {"slug": picks.event_slug}
    ),
    Workload(
        "W3",
        f'search "{SEARCH_QUERY}", first {SEARCH_FIRST}',
        check_w3,
        W3,
        lambda picks: {"query": SEARCH_QUERY, "first": SEARCH_FIRST},
    ),
    Workload("W4", f"Atom feed {W4_PATH}", check_w4),
    Workload(
        "W5",
        f"partner page: agreements + events(first: {PARTNER_EVENTS_FIRST}) with totalCount",
        check_w5,
        W5,
        lambda picks: {"slug": picks.partner_slug, "first": PARTNER_EVENTS_FIRST, "after": None},
    ),
]
BY_KEY = {workload.key: workload for workload in WORKLOADS}
