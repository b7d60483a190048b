"""Feeds over live HTTP on SQLite and PostgreSQL: RSS 2.0, Atom 1.0, JSON Feed 1.1 and OPML.

Every feed is parsed by feedparser (``bozo == 0``) and compared with what the GraphQL API says, so
the feeds and the API cannot drift apart: same events, same order, published content only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import feedparser
import httpx
import pytest

import accord.feeds
from accord.feeds.saved import FeedsFileError, load_saved_feeds
from tests.conftest import BACKENDS
from tests.harness.clients import query
from tests.harness.databases import seed, sqlite_url
from tests.harness.ports import free_port
from tests.harness.postgres import PostgresServer
from tests.harness.server import LiveServer, accord_env, live_server, run_accord
from tests.harness.tokens import bearer, create_token

EXAMPLE_FEEDS = Path(accord.feeds.__file__).parent / "example-feeds.yaml"
PUBLIC_URL = "https://accord.example.org"
MILESTONE_FEEDS = ("/feeds/milestones.rss", "/feeds/milestones.atom", "/feeds/milestones.json")
CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
MILESTONES_QUERY = """query($filter: EventFilter) {
  events(filter: $filter, orderBy: DATE_DESC, first: 100) {
    edges { node { id slug title(locale: EN) zh: title(locale: ZH_TW) publishedAt updatedAt
                   en: date { label(locale: EN) } zhDate: date { label(locale: ZH_TW) }
                   tags partners { slug updatedAt } } } } }"""


# -- helpers ----------------------------------------------------------------------------------------


def get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=headers, timeout=30)


def parse(response: httpx.Response) -> Any:
    """feedparser's reading of a feed response, which must be well-formed."""
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def json_feed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPES["json"]
    body: dict[str, Any] = response.json()
    return body


def entries(response: httpx.Response) -> list[tuple[str, str, str]]:
    """(id, link, title) of every entry, whatever the format."""
    if response.headers["content-type"] == CONTENT_TYPES["json"]:
        return [(item["id"], item["url"], item["title"]) for item in json_feed(response)["items"]]
    return [(entry.id, entry.link, entry.title) for entry in parse(response).entries]


def english_title(event: dict[str, Any]) -> str:
    """What a feed entry is titled: the event's date as the timeline labels it, then its title."""
    return f"{event['en']['label']}: {event['title']}"


def chinese_title(event: dict[str, Any]) -> str:
    return f"{event['zhDate']['label']}：{event['zh']}"


def slug_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def json_slugs(server: LiveServer, path: str, **headers: str) -> list[str]:
    return [slug_of(item["url"]) for item in json_feed(get(server, path, **headers))["items"]]


def milestones(server: LiveServer, **filter_: Any) -> list[dict[str, Any]]:
    """Published milestones, newest first, as the GraphQL API lists them to anonymous readers."""
    data = query(server, MILESTONES_QUERY, {"filter": {"milestonesOnly": True, **filter_}})
    return [edge["node"] for edge in data["events"]["edges"]]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- servers ----------------------------------------------------------------------------------------


def _database(backend: str, request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield sqlite_url(directory)
        return
    pg: PostgresServer = request.getfixturevalue("postgres")
    name = pg.create_database()
    try:
        yield pg.url(name)
    finally:
        pg.drop_database(name)


@pytest.fixture(scope="module", params=BACKENDS)
def feeds_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> Iterator[LiveServer]:
    """The seed content with the example saved feeds and a public URL of its own (read only)."""
    for url in _database(request.param, request, tmp_path_factory.mktemp("feeds")):
        seed(url)
        env = {"ACCORD_FEEDS_FILE": str(EXAMPLE_FEEDS), "ACCORD_PUBLIC_URL": PUBLIC_URL}
        with live_server(url, logs, extra_env=env) as server:
            yield server


@dataclass
class Editable:
    server: LiveServer
    editor: dict[str, str]

    def ok(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return query(self.server, document, variables, headers=self.editor)


@pytest.fixture(params=BACKENDS)
def editable(request: pytest.FixtureRequest, tmp_path: Path, logs: Path) -> Iterator[Editable]:
    for url in _database(request.param, request, tmp_path):
        seed(url)
        with live_server(url, logs, extra_env={"ACCORD_FEEDS_FILE": str(EXAMPLE_FEEDS)}) as server:
            yield Editable(server, bearer(create_token(server.env, "feeds-editor")))


# -- formats ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/milestones.rss",
        "/feeds/milestones.atom",
        "/feeds/milestones.atom?locale=zh-TW",
        "/feeds/milestones.rss?partner=wto&tag=membership",
        "/feeds/partners/apec.rss",
        "/feeds/partners/wto.atom",
        "/feeds/partners/apec-sccp.atom",  # a partner without milestones: an empty, valid feed
    ],
)
def test_every_feed_is_well_formed(seeded_server: LiveServer, path: str) -> None:
    response = get(seeded_server, path)
    extension = path.partition("?")[0].rsplit(".", 1)[1]
    assert response.headers["content-type"] == CONTENT_TYPES[extension]
    parsed = parse(response)
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[extension]
    assert parsed.feed.title
    for entry in parsed.entries:
        assert entry.id.startswith("urn:accord:event:")
        assert entry.title and entry.link and entry.summary and entry.published_parsed


def test_json_feed_has_what_the_spec_requires(seeded_server: LiveServer) -> None:
    feed = json_feed(get(seeded_server, "/feeds/milestones.json"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "International cooperation milestones"
    assert feed["home_page_url"] == f"{seeded_server.url}/"
    assert feed["feed_url"] == f"{seeded_server.url}/feeds/milestones.json"
    assert feed["language"] == "en"
    assert isinstance(feed["items"], list) and feed["items"]
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"].startswith("urn:accord:event:")
        assert item.get("content_text") or item.get("content_html")
        assert item["url"].startswith(f"{seeded_server.url}/events/")
        assert when(item["date_published"]).tzinfo is not None
        assert when(item["date_modified"]) >= when(item["date_published"])
        assert all(isinstance(tag, str) for tag in item["tags"])


def test_feeds_list_published_milestones_newest_first(seeded_server: LiveServer) -> None:
    expected = milestones(seeded_server)
    assert len(expected) == 9  # the seed's milestones
    slugs = [event["slug"] for event in expected]
    assert slugs[0] == "2015-trade-facilitation-agreement-acceptance-notification"
    assert slugs[-1] == "1972-taxation-and-customs-cooperation-conference"
    feed = json_feed(get(seeded_server, "/feeds/milestones.json"))
    assert [slug_of(item["url"]) for item in feed["items"]] == slugs
    assert [item["id"] for item in feed["items"]] == [f"urn:accord:event:{e['id']}" for e in expected]
    for path in MILESTONE_FEEDS[:2]:  # feedparser reads RSS and Atom, not JSON Feed
        entries = parse(get(seeded_server, path)).entries
        assert [slug_of(entry.link) for entry in entries] == slugs
        assert [entry.id for entry in entries] == [f"urn:accord:event:{e['id']}" for e in expected]
    # Not a milestone: the 1999 study missions are on the timeline, not in the feed.
    assert "1999-regional-ata-study-missions" not in slugs


def test_an_entry_carries_title_date_link_and_categories(seeded_server: LiveServer) -> None:
    newest = milestones(seeded_server)[0]
    entry = parse(get(seeded_server, "/feeds/milestones.atom")).entries[0]
    assert entry.title == "August 2015: Notification of Acceptance of the Trade Facilitation Agreement"
    assert entry.link == f"{seeded_server.url}/events/{newest['slug']}"
    assert entry.summary.startswith("August 2015: In August 2015, Taiwan presented")
    published = datetime(*entry.published_parsed[:6]).replace(tzinfo=when(newest["publishedAt"]).tzinfo)
    assert published == when(newest["publishedAt"]).replace(microsecond=0)
    assert entry.updated == entry.published
    terms = {tag.term for tag in entry.tags}
    assert {"wto", "trade-facilitation", "tfa"} <= terms
    labels = {tag.get("label") for tag in entry.tags}
    assert {"World Trade Organization", "Taiwan Customs"} <= labels
    rss = parse(get(seeded_server, "/feeds/milestones.rss")).entries[0]
    assert rss.id == entry.id and rss.guidislink is False
    assert {tag.term for tag in rss.tags} >= {"tfa", "World Trade Organization"}
    item = json_feed(get(seeded_server, "/feeds/milestones.json"))["items"][0]
    assert item["tags"][:3] == ["wto", "trade-facilitation", "tfa"]
    assert "World Trade Organization" in item["tags"]
    assert item["content_text"].startswith("August 2015: In August 2015")
    assert when(item["date_published"]) == when(newest["publishedAt"])
    # A period is labelled as one.
    period = next(
        i for i in json_feed(get(seeded_server, "/feeds/milestones.json"))["items"] if "2013" in i["url"]
    )
    assert period["content_text"].startswith("2013 to 2015: During 2013 to 2015")


@pytest.mark.parametrize("locale", ["en", "zh-TW"])
def test_every_item_shows_the_historic_date_and_keeps_the_publication_time(
    seeded_server: LiveServer, locale: str
) -> None:
    """The seed was published in one moment, so readers that list entries by title and date would
    show every milestone as published today: the event's own date leads each title and body, in
    every format and language, while the entry's date stays the publication time (docs/feeds.md)."""
    expected = milestones(seeded_server)
    titles = [english_title(e) if locale == "en" else chinese_title(e) for e in expected]
    labels = [e["en" if locale == "en" else "zhDate"]["label"] for e in expected]
    published = [when(e["publishedAt"]).replace(microsecond=0) for e in expected]
    for extension in ("rss", "atom"):
        parsed = parse(get(seeded_server, f"/feeds/milestones.{extension}?locale={locale}"))
        assert [entry.title for entry in parsed.entries] == titles, extension
        assert all(
            entry.summary.startswith(label) for entry, label in zip(parsed.entries, labels, strict=True)
        )
        dates = [datetime(*entry.published_parsed[:6]).replace(tzinfo=UTC) for entry in parsed.entries]
        assert dates == published, extension
    items = json_feed(get(seeded_server, f"/feeds/milestones.json?locale={locale}"))["items"]
    assert [item["title"] for item in items] == titles
    assert all(item["content_text"].startswith(label) for item, label in zip(items, labels, strict=True))
    assert [when(item["date_published"]).replace(microsecond=0) for item in items] == published
    # The 1972 conference is in the feed under its own year, whatever day the seed was loaded.
    assert titles[-1].startswith("1972")


# -- locale -----------------------------------------------------------------------------------------


def test_locale_parameter_and_accept_language(seeded_server: LiveServer) -> None:
    expected = milestones(seeded_server)
    zh = parse(get(seeded_server, "/feeds/milestones.rss?locale=zh-TW"))
    assert zh.feed.language == "zh-TW"
    assert zh.feed.title == "國際合作里程碑"
    assert [entry.title for entry in zh.entries] == [chinese_title(event) for event in expected]
    assert zh.entries[0].summary.startswith("2015年8月：2015年8月，臺灣")
    atom = parse(get(seeded_server, "/feeds/milestones.atom?locale=zh-tw"))
    assert atom.feed.language == "zh-TW" and atom.entries[0].title == chinese_title(expected[0])
    feed = json_feed(get(seeded_server, "/feeds/milestones.json?locale=zh-TW"))
    assert feed["language"] == "zh-TW" and feed["items"][0]["title"] == chinese_title(expected[0])
    assert feed["feed_url"].endswith("/feeds/milestones.json?locale=zh-TW")
    assert "世界貿易組織" in feed["items"][0]["tags"]
    # Accept-Language gives the same document as ?locale=, byte for byte (its self link names the locale).
    by_header = get(seeded_server, "/feeds/milestones.json", **{"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.5"})
    by_parameter = get(seeded_server, "/feeds/milestones.json?locale=zh-TW")
    assert by_header.content == by_parameter.content
    assert by_header.headers["etag"] == by_parameter.headers["etag"]
    # ?locale= wins over the header; an unknown language falls back to English.
    english = parse(get(seeded_server, "/feeds/milestones.rss?locale=en", **{"Accept-Language": "zh-TW"}))
    assert english.feed.language == "en" and english.entries[0].title == english_title(expected[0])
    french = parse(get(seeded_server, "/feeds/milestones.rss", **{"Accept-Language": "fr-FR"}))
    assert french.feed.language == "en"
    partner = parse(get(seeded_server, "/feeds/partners/apec.atom?locale=zh-TW"))
    assert partner.feed.title == "與亞太經濟合作的合作里程碑"


# -- filters and limit ------------------------------------------------------------------------------


def test_partner_and_tag_filters(seeded_server: LiveServer) -> None:
    assert json_slugs(seeded_server, "/feeds/milestones.json?partner=apec") == ["1991-taiwan-joins-apec"]
    assert json_slugs(seeded_server, "/feeds/partners/apec.json") == ["1991-taiwan-joins-apec"]
    wto = [event["slug"] for event in milestones(seeded_server, partner="wto")]
    assert wto == ["2015-trade-facilitation-agreement-acceptance-notification", "2002-taiwan-joins-wto"]
    assert json_slugs(seeded_server, "/feeds/milestones.json?partner=wto") == wto
    assert json_slugs(seeded_server, "/feeds/partners/wto.json") == wto
    assert [slug_of(e.link) for e in parse(get(seeded_server, "/feeds/partners/wto.rss")).entries] == wto
    tagged = [event["slug"] for event in milestones(seeded_server, tag="trade-facilitation")]
    assert len(tagged) == 6
    assert json_slugs(seeded_server, "/feeds/milestones.json?tag=trade-facilitation") == tagged
    assert json_slugs(seeded_server, "/feeds/milestones.json?partner=wto&tag=membership") == [
        "2002-taiwan-joins-wto"
    ]
    assert json_slugs(seeded_server, "/feeds/partners/wto.json?tag=tfa") == [wto[0]]
    assert json_slugs(seeded_server, "/feeds/milestones.json?tag=no-such-tag") == []
    titled = json_feed(get(seeded_server, "/feeds/partners/wto.json?tag=tfa"))
    assert titled["title"] == "Milestones with World Trade Organization (tag: tfa)"
    assert titled["feed_url"] == f"{seeded_server.url}/feeds/partners/wto.json?tag=tfa"
    # A partner without milestones has an empty feed, not an error.
    assert json_slugs(seeded_server, "/feeds/partners/apec-sccp.json") == []


def test_limit(seeded_server: LiveServer) -> None:
    every = json_slugs(seeded_server, "/feeds/milestones.json")
    assert json_slugs(seeded_server, "/feeds/milestones.json?limit=1") == every[:1]
    assert json_slugs(seeded_server, "/feeds/milestones.json?limit=3") == every[:3]
    assert json_slugs(seeded_server, "/feeds/milestones.json?limit=200") == every
    assert len(parse(get(seeded_server, "/feeds/milestones.atom?limit=2")).entries) == 2
    assert len(parse(get(seeded_server, "/feeds/partners/wto.rss?limit=1")).entries) == 1


# -- bad requests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/feeds/milestones.json?limit=0", 400, "from 1 to 200"),
        ("/feeds/milestones.json?limit=201", 400, "from 1 to 200"),
        ("/feeds/milestones.json?limit=abc", 400, "from 1 to 200"),
        ("/feeds/milestones.json?limit=-1", 400, "from 1 to 200"),
        ("/feeds/milestones.json?limit=1.5", 400, "from 1 to 200"),
        ("/feeds/milestones.json?limit=", 400, "from 1 to 200"),
        ("/feeds/milestones.rss?limit=99999999999999999999", 400, "from 1 to 200"),
        ("/feeds/partners/apec.atom?limit=1e3", 400, "from 1 to 200"),
        ("/feeds/milestones.json?locale=fr", 400, "en or zh-TW"),
        ("/feeds/milestones.atom?locale=", 400, "en or zh-TW"),
        ("/feeds/milestones.atom?locale=ZH_TW", 400, "en or zh-TW"),
        ("/feeds.opml?locale=de", 400, "en or zh-TW"),
        ("/feeds/milestones.json?tag=Not%20A%20Tag", 400, "tag must be"),
        ("/feeds/milestones.json?tag=%00", 400, "tag must be"),
        ("/feeds/partners/apec.json?partner=wto", 400, "does not take partner"),
        ("/feeds/milestones.json?partner=no-such-partner", 404, "no published partner"),
        ("/feeds/milestones.json?partner=%00", 404, "no published partner"),
        ("/feeds/partners/no-such-partner.rss", 404, "no published partner"),
        ("/feeds/partners/%00.atom", 404, "no published partner"),
        ("/feeds/partners/apec.xml", 404, ".rss, .atom or .json"),
        ("/feeds/partners/apec", 404, ".rss, .atom or .json"),
        ("/feeds/no-such-feed.rss", 404, "no feed named"),
        ("/feeds/milestones.xml", 404, ".rss, .atom or .json"),
        ("/feeds/.json", 404, ".rss, .atom or .json"),
        ("/feeds/milestones", 404, ".rss, .atom or .json"),
    ],
)
def test_bad_requests_get_a_short_plain_answer(
    seeded_server: LiveServer, path: str, status: int, says: str
) -> None:
    response = get(seeded_server, path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert says in response.text and len(response.text) < 300


# -- caching ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*MILESTONE_FEEDS, "/feeds/partners/wto.atom", "/feeds.opml"])
def test_conditional_requests(seeded_server: LiveServer, path: str) -> None:
    first = get(seeded_server, path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["vary"] == "Accept-Language, Authorization"
    again = get(seeded_server, path)
    assert again.content == first.content and again.headers["etag"] == etag  # nothing depends on the clock
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = get(seeded_server, path, **{"If-None-Match": if_none_match})
        assert cached.status_code == 304, if_none_match
        assert cached.content == b""
        assert cached.headers["etag"] == etag
        assert cached.headers["cache-control"] == "public, max-age=60"
    assert get(seeded_server, path, **{"If-None-Match": '"other"'}).status_code == 200
    other_language = get(seeded_server, path, **{"If-None-Match": etag, "Accept-Language": "zh-TW"})
    assert other_language.status_code == 200 and other_language.headers["etag"] != etag
    if path == "/feeds.opml":
        assert "last-modified" not in first.headers
        return
    last_modified = first.headers["last-modified"]
    assert get(seeded_server, path, **{"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(last_modified).replace(year=2000), usegmt=True)
    assert get(seeded_server, path, **{"If-Modified-Since": earlier}).status_code == 200
    assert get(seeded_server, path, **{"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match decides when both are sent.
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert get(seeded_server, path, **both).status_code == 200


def test_last_modified_is_the_newest_change_among_the_entries(seeded_server: LiveServer) -> None:
    events = milestones(seeded_server)
    newest = max(
        when(stamp)
        for event in events
        for stamp in (event["publishedAt"], event["updatedAt"], *(p["updatedAt"] for p in event["partners"]))
    )
    response = get(seeded_server, "/feeds/milestones.rss")
    assert parsedate_to_datetime(response.headers["last-modified"]) == newest.replace(microsecond=0)


# -- saved feeds and OPML ---------------------------------------------------------------------------


def test_saved_feeds(feeds_server: LiveServer) -> None:
    apec = parse(get(feeds_server, "/feeds/apec-milestones.atom", **{"Accept-Language": "zh-TW"}))
    assert apec.feed.title == "APEC milestones"
    assert apec.feed.language == "en"  # the feed's own locale wins over Accept-Language
    assert [slug_of(e.link) for e in apec.entries] == ["1991-taiwan-joins-apec"]
    assert apec.entries[0].link == f"{PUBLIC_URL}/events/1991-taiwan-joins-apec"
    wto = parse(get(feeds_server, "/feeds/wto-zh.rss"))
    assert wto.feed.language == "zh-TW" and wto.feed.title == "世界貿易組織相關大事"
    assert wto.entries[0].title == "2015年8月：提交接受貿易便捷化協定之通知書"
    english = parse(get(feeds_server, "/feeds/wto-zh.rss?locale=en")).entries[0]
    assert english.title.startswith("August 2015: Notification")
    feed = json_feed(get(feeds_server, "/feeds/trade-facilitation-2000s.json"))
    assert feed["feed_url"] == f"{PUBLIC_URL}/feeds/trade-facilitation-2000s.json"
    assert feed["items"] and all("trade-facilitation" in item["tags"] for item in feed["items"])
    years = [int(slug_of(item["url"])[:4]) for item in feed["items"]]
    assert years == sorted(years, reverse=True) and years[-1] >= 2000
    assert len(json_feed(get(feeds_server, "/feeds/trade-facilitation-2000s.json?limit=2"))["items"]) == 2
    assert get(feeds_server, "/feeds/trade-facilitation-2000s.json?tag=wto").status_code == 400
    assert get(feeds_server, "/feeds/no-such-feed.atom").status_code == 404


def test_opml_lists_every_feed(feeds_server: LiveServer) -> None:
    response = get(feeds_server, "/feeds.opml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/x-opml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title")
    urls = [outline.get("xmlUrl", "") for outline in root.iter("outline") if outline.get("xmlUrl")]
    assert all(outline.get("type") == "rss" for outline in root.iter("outline") if outline.get("xmlUrl"))
    partners = query(feeds_server, "{ partners(first: 100) { totalCount edges { node { slug } } } }")
    slugs = [edge["node"]["slug"] for edge in partners["partners"]["edges"]]
    assert len(slugs) == partners["partners"]["totalCount"] == 21
    assert sorted(urls) == sorted(
        [
            *(f"{PUBLIC_URL}{path}" for path in MILESTONE_FEEDS),
            *(f"{PUBLIC_URL}/feeds/partners/{slug}.atom" for slug in slugs),
            *(f"{PUBLIC_URL}/feeds/{name}.atom" for name in load_saved_feeds(EXAMPLE_FEEDS)),
        ]
    )
    # A reader that subscribes to everything gets a feed at every address.
    for url in urls:
        answer = get(feeds_server, url.removeprefix(PUBLIC_URL))
        json_feed(answer) if url.endswith(".json") else parse(answer)
    chinese = ElementTree.fromstring(get(feeds_server, "/feeds.opml?locale=zh-TW").content)
    zh_urls = {o.get("xmlUrl") for o in chinese.iter("outline") if o.get("xmlUrl")}
    assert f"{PUBLIC_URL}/feeds/partners/wto.atom?locale=zh-TW" in zh_urls
    assert f"{PUBLIC_URL}/feeds/wto-zh.atom" in zh_urls  # a saved feed with its own locale keeps it
    assert any(o.get("text") == "與世界貿易組織的合作里程碑" for o in chinese.iter("outline"))


DISCOVERABLE = [
    f"/feeds/{name}.{ext}"
    for name in ("milestones", "partners/wto", "apec-milestones")  # site-wide, per partner, saved
    for ext in ("rss", "atom", "json")
] + ["/feeds/milestones.atom?locale=zh-TW&tag=membership"]


@pytest.mark.parametrize("path", DISCOVERABLE)
def test_every_feed_names_the_websub_hub_and_itself(feeds_server: LiveServer, path: str) -> None:
    """WebSub discovery: rel="hub" and rel="self" in an HTTP Link header and in the document itself
    (Atom and RSS links; JSON Feed's "hubs" and feed_url), whatever the format and kind of feed."""
    response = get(feeds_server, path)
    assert response.status_code == 200, response.text
    hub, self_url = f"{PUBLIC_URL}/websub", f"{PUBLIC_URL}{path}"
    assert response.headers["link"] == f'<{hub}>; rel="hub", <{self_url}>; rel="self"'
    if path.split("?")[0].endswith(".json"):
        document = response.json()
        assert document["hubs"] == [{"type": "WebSub", "url": hub}]
        assert document["feed_url"] == self_url
    else:
        links = parse(response).feed.links
        assert [link["href"] for link in links if link["rel"] == "hub"] == [hub]
        assert [link["href"] for link in links if link["rel"] == "self"] == [self_url]


def test_graphiql_links_to_the_milestone_feeds(feeds_server: LiveServer) -> None:
    page = get(feeds_server, "/graphql", accept="text/html").text
    head = page.split("</head>", 1)[0]
    for extension, media_type in CONTENT_TYPES.items():
        href = f"{PUBLIC_URL}/feeds/milestones.{extension}"
        assert f'type="{media_type.partition(";")[0]}"' in head
        assert f'href="{href}"' in head
    assert head.count('rel="alternate"') == 3


# -- drafts, publishing and edits -------------------------------------------------------------------

CREATE = """mutation($input: EventInput!) { createEvent(input: $input) { id slug status } }"""
PUBLISH = "mutation($id: ID!) { publishEvent(id: $id) { status publishedAt } }"
UPDATE = "mutation($id: ID!, $input: EventPatch!) { updateEvent(id: $id, input: $input) { title } }"
ARCHIVE = "mutation($id: ID!) { archiveEvent(id: $id) { status } }"
WATCHED = (
    "/feeds/milestones.json",
    "/feeds/milestones.atom?locale=zh-TW",
    "/feeds/partners/apec.rss",
    "/feeds/milestones.json?tag=forum",
    "/feeds/apec-milestones.atom",
)


def test_drafts_never_appear_and_a_publish_shows_at_once(editable: Editable) -> None:
    server = editable.server
    before = {path: get(server, path) for path in WATCHED}
    apec = query(server, '{ partner(slug: "apec") { id } }')["partner"]["id"]
    event = {
        "title": {"en": "APEC Customs Forum 2016", "zhTw": "2016年APEC海關論壇"},
        "summary": {"en": "A forum on customs procedures.", "zhTw": "海關程序論壇。"},
        "date": {"year": 2016, "month": 5},
        "kind": "CONFERENCE",
        "isMilestone": True,
        "partnerIds": [apec],
        "tags": ["apec", "forum"],
    }
    created = editable.ok(CREATE, {"input": event})["createEvent"]
    assert created["status"] == "DRAFT"
    for path, response in before.items():
        # The draft changes nothing: same bytes, same ETag, and a revalidation still gets 304.
        now = get(server, path)
        assert now.content == response.content, path
        assert get(server, path, **{"If-None-Match": response.headers["etag"]}).status_code == 304
    assert created["slug"] not in json_slugs(server, "/feeds/milestones.json?limit=200")

    published = editable.ok(PUBLISH, {"id": created["id"]})["publishEvent"]
    for path, response in before.items():
        fresh = get(server, path, **{"If-None-Match": response.headers["etag"]})
        assert fresh.status_code == 200, path
        assert fresh.headers["etag"] != response.headers["etag"]
        entry_id, link, _ = entries(fresh)[0]
        assert slug_of(link) == created["slug"], path
        assert entry_id == f"urn:accord:event:{created['id']}"
        last_modified = parsedate_to_datetime(fresh.headers["last-modified"])
        assert last_modified == when(published["publishedAt"]).replace(microsecond=0)
    feed = json_feed(get(server, "/feeds/milestones.json"))
    assert feed["items"][0]["title"] == "May 2016: APEC Customs Forum 2016"
    assert feed["items"][0]["content_text"] == "May 2016: A forum on customs procedures."
    assert when(feed["items"][0]["date_published"]) == when(published["publishedAt"])
    zh = parse(get(server, "/feeds/milestones.atom?locale=zh-TW")).entries[0]
    assert zh.title == "2016年5月：2016年APEC海關論壇" and zh.summary == "2016年5月：海關程序論壇。"

    # Editing changes the entry and the ETag, not the entry's id.
    etag = get(server, "/feeds/milestones.json").headers["etag"]
    editable.ok(UPDATE, {"id": created["id"], "input": {"title": {"en": "APEC Customs Forum, Lima 2016"}}})
    edited = get(server, "/feeds/milestones.json", **{"If-None-Match": etag})
    assert edited.status_code == 200 and edited.headers["etag"] != etag
    item = json_feed(edited)["items"][0]
    assert item["title"] == "May 2016: APEC Customs Forum, Lima 2016"
    assert item["id"] == feed["items"][0]["id"]
    assert when(item["date_modified"]) > when(item["date_published"])

    # Archived: gone again.
    editable.ok(ARCHIVE, {"id": created["id"]})
    assert created["slug"] not in json_slugs(server, "/feeds/milestones.json?limit=200")
    assert get(server, "/feeds/partners/apec.rss").content == before["/feeds/partners/apec.rss"].content


# -- the saved-feeds file ---------------------------------------------------------------------------


def test_the_example_file_is_valid() -> None:
    feeds = load_saved_feeds(EXAMPLE_FEEDS)
    assert list(feeds) == ["apec-milestones", "wto-zh", "trade-facilitation-2000s"]
    assert feeds["apec-milestones"].filter.event_filter()["milestonesOnly"] is True
    assert load_saved_feeds(None) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "feeds:\n  - {name: ok, title: OK}\n  - {name: apec, title: APEC, filter: {kind: PARTY}}\n",
            "feeds[1] (name 'apec'): filter.kind: Input should be 'CONFERENCE'",
        ),
        (
            "feeds:\n  - {name: milestones, title: M}\n",
            "feeds[0] (name 'milestones'): name: 'milestones' is taken",
        ),
        (
            "feeds:\n  - {name: a, title: A}\n  - {name: a, title: B}\n",
            "feeds[1] (name 'a'): name: already used",
        ),
        (
            "feeds:\n  - {name: a, title: A, locale: fr}\n",
            "feeds[0] (name 'a'): locale: Input should be 'en'",
        ),
        ("feeds:\n  - {name: Bad Name, title: A}\n", "feeds[0] (name 'Bad Name'): name: String should match"),
        ("feeds:\n  - {name: a}\n", "feeds[0] (name 'a'): title: Field required"),
        (
            "feeds:\n  - {name: a, title: A, filter: {yearFrom: 2015, yearTo: 2001}}\n",
            "feeds[0] (name 'a'): filter: yearFrom (2015) is after yearTo (2001)",
        ),
        (
            "feeds:\n  - {name: a, title: A, filter: {year_from: 2001}}\n",
            "feeds[0] (name 'a'): filter.year_from: Extra inputs are not permitted",
        ),
        ("feeds:\n  - {name: a, title: A, filter: {tag: Big Tag}}\n", "filter.tag: String should match"),
        ("feeds: [\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping with a `feeds:` list"),
        ("{}\n", "feeds: Field required"),
    ],
)
def test_a_bad_saved_feeds_file_is_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FeedsFileError) as error:
        load_saved_feeds(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_bad_saved_feeds_file_stops_the_server(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - {name: apec, title: APEC, filter: {kind: PARTY}}\n", encoding="utf-8")
    for path, says in (
        (bad, "feeds[0] (name 'apec'): filter.kind"),
        (tmp_path / "missing.yaml", "cannot read"),
    ):
        env = accord_env(sqlite_url(tmp_path), {"ACCORD_FEEDS_FILE": str(path)})
        result = run_accord("serve", "--port", str(free_port()), env=env, timeout=60)
        assert result.returncode == 2, result.stdout + result.stderr
        output = " ".join(result.stderr.split())
        assert "ACCORD_FEEDS_FILE" in output and says in output


def test_an_archived_partner_leaves_the_feeds(editable: Editable) -> None:
    server = editable.server
    assert json_slugs(server, "/feeds/apec-milestones.json") == ["1991-taiwan-joins-apec"]
    opml = get(server, "/feeds.opml")
    assert b"/feeds/partners/apec.atom" in opml.content
    apec = query(server, '{ partner(slug: "apec") { id } }')["partner"]["id"]
    editable.ok("mutation($id: ID!) { archivePartner(id: $id) { status } }", {"id": apec})
    assert get(server, "/feeds/partners/apec.atom").status_code == 404
    assert get(server, "/feeds/milestones.json?partner=apec").status_code == 404
    assert json_slugs(server, "/feeds/apec-milestones.json") == []  # the saved feed stays, empty
    again = get(server, "/feeds.opml", **{"If-None-Match": opml.headers["etag"]})
    assert again.status_code == 200 and b"/feeds/partners/apec.atom" not in again.content
    # The event stays, without the archived partner among its categories.
    entry = next(e for e in parse(get(server, "/feeds/milestones.atom")).entries if "1991" in e.link)
    assert "Asia-Pacific Economic Cooperation" not in {tag.get("label") for tag in entry.tags}
