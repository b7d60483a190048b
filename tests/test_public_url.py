"""``ACCORD_PUBLIC_URL`` follows ``accord serve --host/--port`` when it is unset.

The harness serves on a free port (never 8000), so every link the server writes into a feed, the
OPML list, the timeline page or GraphiQL must name that port; a link to ``:8000`` is a dead link.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import httpx
import pytest

from accord.cli import served_url
from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, live_server

LINK_HREF = re.compile(r'<link rel="alternate"[^>]*href="([^"]+)"')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("public-url"))
    seed(url)
    with live_server(url, logs) as live:
        yield live


def get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    response = httpx.get(f"{server.url}{path}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response


def test_the_harness_port_is_not_the_default(server: LiveServer) -> None:
    assert server.port != 8000


@pytest.mark.parametrize("extension", ["rss", "atom"])
def test_xml_feed_links_name_the_served_port(server: LiveServer, extension: str) -> None:
    parsed = feedparser.parse(get(server, f"/feeds/milestones.{extension}").content)
    assert parsed.bozo == 0
    assert parsed.entries
    for entry in parsed.entries:
        assert entry.link.startswith(f"{server.url}/events/"), entry.link
    links = [link.href for link in parsed.feed.links]
    assert f"{server.url}/feeds/milestones.{extension}" in links
    assert f"{server.url}/" in links or parsed.feed.link == f"{server.url}/"


def test_json_feed_links_name_the_served_port(server: LiveServer) -> None:
    feed = get(server, "/feeds/partners/wto.json").json()
    assert feed["home_page_url"] == f"{server.url}/"
    assert feed["feed_url"] == f"{server.url}/feeds/partners/wto.json"
    assert feed["items"]
    assert all(item["url"].startswith(f"{server.url}/events/") for item in feed["items"])


def test_an_entry_link_opens_its_event(server: LiveServer) -> None:
    """The link in a feed entry is one a reader can follow: it answers on this server."""
    feed = get(server, "/feeds/milestones.json").json()
    link = feed["items"][0]["url"]
    response = httpx.get(link, timeout=30, follow_redirects=True)
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


def test_opml_lists_feeds_on_the_served_port(server: LiveServer) -> None:
    outlines = ElementTree.fromstring(get(server, "/feeds.opml").content).iter("outline")
    urls = [outline.get("xmlUrl") for outline in outlines if outline.get("xmlUrl")]
    assert urls
    assert all(url is not None and url.startswith(f"{server.url}/feeds/") for url in urls)


@pytest.mark.parametrize("path", ["/", "/graphql"])
def test_pages_link_to_feeds_on_the_served_port(server: LiveServer, path: str) -> None:
    page = get(server, path, accept="text/html").text
    hrefs = LINK_HREF.findall(page)
    feeds = [href for href in hrefs if "/feeds/" in href]
    assert len(feeds) == 3
    assert all(href.startswith(f"{server.url}/feeds/milestones.") for href in feeds)
    assert ":8000" not in page


def test_an_explicit_public_url_wins(tmp_path: Path, logs: Path) -> None:
    url = sqlite_url(tmp_path)
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_PUBLIC_URL": "https://accord.example.org/"}) as live:
        feed = get(live, "/feeds/milestones.json").json()
    assert feed["feed_url"] == "https://accord.example.org/feeds/milestones.json"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 18741, "http://127.0.0.1:18741"),
        ("localhost", 8000, "http://localhost:8000"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::", 9000, "http://[::1]:9000"),
        ("::1", 9000, "http://[::1]:9000"),
        ("accord.internal", 80, "http://accord.internal:80"),
    ],
)
def test_served_url(host: str, port: int, expected: str) -> None:
    assert served_url(host, port) == expected
