"""The page's address and the event links feeds point to, over live HTTP.

- ``/?lang=en`` and ``/?lang=zh-TW`` start the page in that language, with ``hreflang`` alternates;
- ``/events/{slug}`` sends a published event to the page (302), and answers a real 404 page for an
  unknown, draft or archived slug (not a redirect to a page that then says 200).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, live_server
from tests.harness.tokens import bearer, create_token

CREATE_DRAFT = """mutation { createEvent(input: {slug: "a-draft-milestone", title: {en: "A draft"},
  date: {year: 2020}, kind: OTHER, isMilestone: true}) { id status } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("web-links"))
    seed(url)
    with live_server(url, logs) as live:
        token = create_token(live.env, "web-links")
        created = httpx.post(live.graphql_url, json={"query": CREATE_DRAFT}, headers=bearer(token)).json()
        assert created["data"]["createEvent"]["status"] == "DRAFT", created
        yield live


def get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=headers, timeout=30, follow_redirects=False)


def test_the_page_starts_in_the_language_of_its_address(server: LiveServer) -> None:
    english = get(server, "/")
    chinese = get(server, "/?lang=zh-TW")
    assert english.status_code == chinese.status_code == 200
    assert '<html lang="en"' in english.text
    assert '<html lang="zh-Hant"' in chinese.text
    assert get(server, "/?lang=ZH-tw").content == chinese.content
    assert get(server, "/?lang=en").content == english.content
    assert get(server, "/?lang=fr").content == english.content  # unknown: the default, no error
    assert english.headers["etag"] != chinese.headers["etag"]
    revalidated = get(server, "/?lang=zh-TW", **{"If-None-Match": chinese.headers["etag"]})
    assert revalidated.status_code == 304
    for page in (english, chinese):
        alternates = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', page.text)
        assert alternates == [
            ("en", f"{server.url}/?lang=en"),
            ("zh-TW", f"{server.url}/?lang=zh-TW"),
            ("x-default", f"{server.url}/"),
        ]


def test_a_published_event_opens_on_the_page(server: LiveServer) -> None:
    found = get(server, "/events/2002-taiwan-joins-wto")
    assert found.status_code == 302
    assert found.headers["location"] == "/?event=2002-taiwan-joins-wto"
    chinese = get(server, "/events/2002-taiwan-joins-wto?lang=zh-TW")
    assert chinese.headers["location"] == "/?event=2002-taiwan-joins-wto&lang=zh-TW"
    landed = httpx.get(f"{server.url}/events/2002-taiwan-joins-wto", follow_redirects=True, timeout=30)
    assert landed.status_code == 200 and "text/html" in landed.headers["content-type"]


@pytest.mark.parametrize(
    "slug",
    ["no-such-event", "a-draft-milestone", "UPPER-case", "x" * 300, "%3Cscript%3Ealert(1)%3Cscript%3E"],
)
def test_an_unknown_or_unpublished_event_is_a_real_404(server: LiveServer, slug: str) -> None:
    response = get(server, f"/events/{slug}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "location" not in response.headers
    assert "There is no published event" in response.text
    assert '<meta name="robots" content="noindex" />' in response.text
    assert "<script>" not in response.text
    assert '<a href="/?lang=en">Back to the timeline</a>' in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_the_404_page_speaks_the_readers_language(server: LiveServer) -> None:
    by_header = get(server, "/events/no-such-event", **{"Accept-Language": "zh-TW,zh;q=0.9"})
    assert by_header.status_code == 404
    assert '<html lang="zh-Hant"' in by_header.text and "沒有已發布的活動" in by_header.text
    by_address = get(server, "/events/no-such-event?lang=en", **{"Accept-Language": "zh-TW"})
    assert '<html lang="en"' in by_address.text
    assert by_header.headers["vary"] == "Accept-Language"


def test_an_archived_event_is_gone_from_its_link(server: LiveServer) -> None:
    token = create_token(server.env, "archiver")
    found = httpx.post(
        server.graphql_url, json={"query": '{ event(slug: "1999-regional-ata-study-missions") { id } }'}
    ).json()
    archive = "mutation($id: ID!) { archiveEvent(id: $id) { status } }"
    variables = {"id": found["data"]["event"]["id"]}
    archived = httpx.post(
        server.graphql_url, json={"query": archive, "variables": variables}, headers=bearer(token)
    ).json()
    assert archived["data"]["archiveEvent"]["status"] == "ARCHIVED"
    assert get(server, "/events/1999-regional-ata-study-missions").status_code == 404
