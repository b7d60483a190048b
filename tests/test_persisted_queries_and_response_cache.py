"""Persisted queries, HTTP caching and the response cache: fast, and never stale after a write."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.databases import seed
from tests.harness.server import LiveServer, live_server, run_accord
from tests.harness.tokens import bearer, create_token
from tests.harness.waiting import wait_until

READ = """{ events(first: 100) { totalCount edges { node { slug title tags partners { slug name } } } }
  partners(first: 100) { edges { node { slug name } } }
  agreements(first: 100) { edges { node { slug title } } }
  exhibits { edges { node { slug title } } } search(query: "cache probe") { __typename } }"""
# The lists alone: the fast path answers them with SQL-built JSON (the search above sends READ to
# the general executor), so every read below checks both paths for freshness, and that they agree.
LISTS = READ.replace(' search(query: "cache probe") { __typename }', "")


@dataclass
class Cached:
    server: LiveServer
    editor: dict[str, str]
    admin: dict[str, str]

    def get(self, query: str) -> dict[str, Any]:
        response = httpx.get(
            self.server.graphql_url, params={"query": query}, headers={"accept": "application/json"}
        )
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def read(self) -> dict[str, Any]:
        data = self.get(READ)
        lists = self.get(LISTS)
        assert lists == {key: value for key, value in data.items() if key != "search"}
        return data

    def hits(self) -> int:
        count: int = httpx.get(f"{self.server.url}/readyz").json()["cache"]["hits"]
        return count

    def write(
        self, document: str, variables: dict[str, Any] | None = None, admin: bool = False
    ) -> dict[str, Any]:
        response = httpx.post(
            self.server.graphql_url,
            json={"query": document, "variables": variables or {}},
            headers=self.admin if admin else self.editor,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]
        return result


@pytest.fixture(params=["sqlite", "postgresql"])
def cached(request: pytest.FixtureRequest, tmp_path: Path, logs: Path) -> Iterator[Cached]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/accord.db"
    else:
        pg = request.getfixturevalue("postgres")
        url = pg.url(pg.create_database())
    seed(url)
    with live_server(url, logs) as server:
        yield Cached(
            server, bearer(create_token(server.env, "ed")), bearer(create_token(server.env, "ad", "admin"))
        )


def _warm(cached: Cached) -> dict[str, Any]:
    first = cached.read()
    hits = cached.hits()
    assert cached.read() == first
    assert cached.hits() == hits + 2  # the second read (both documents) came from the cache
    return first


def test_every_kind_of_write_is_seen_by_the_next_read(cached: Cached) -> None:
    wto = cached.write('{ partner(slug: "wto") { id } }')["partner"]["id"]
    create = """mutation($i: EventInput!) { createEvent(input: $i) { id } }"""
    before = _warm(cached)
    event_id = cached.write(
        create,
        {
            "i": {
                "slug": "cache-probe",
                "title": {"en": "Cache probe"},
                "date": {"year": 2020},
                "kind": "OTHER",
                "status": "PUBLISHED",
                "partnerIds": [wto],
            }
        },
    )["createEvent"]["id"]
    after = cached.read()
    slugs = [e["node"]["slug"] for e in after["events"]["edges"]]
    assert "cache-probe" in slugs and after["events"]["totalCount"] == before["events"]["totalCount"] + 1
    assert {"__typename": "Event"} in after["search"]

    steps: list[tuple[str, dict[str, Any], bool, Any]] = [
        (
            'mutation($id: ID!) { updateEvent(id: $id, input: {tags: ["cached"]}) { id } }',
            {"id": event_id},
            False,
            lambda data: (
                next(e for e in data["events"]["edges"] if e["node"]["slug"] == "cache-probe")["node"]["tags"]
                == ["cached"]
            ),
        ),
        (
            "mutation($id: ID!) { archiveEvent(id: $id) { id } }",
            {"id": event_id},
            False,
            lambda data: "cache-probe" not in [e["node"]["slug"] for e in data["events"]["edges"]],
        ),
        (
            "mutation($id: ID!) { publishEvent(id: $id) { id } }",
            {"id": event_id},
            False,
            lambda data: "cache-probe" in [e["node"]["slug"] for e in data["events"]["edges"]],
        ),
        (
            'mutation($id: ID!) { updatePartner(id: $id, input: {name: {en: "World Trade Org (renamed)"}}) '
            "{ id } }",
            {"id": wto},
            False,
            lambda data: any(
                p["node"]["name"] == "World Trade Org (renamed)" for p in data["partners"]["edges"]
            ),
        ),
        (
            "mutation($id: ID!) { deleteEvent(id: $id) }",
            {"id": event_id},
            True,
            lambda data: "cache-probe" not in [e["node"]["slug"] for e in data["events"]["edges"]],
        ),
        (
            'mutation { createAgreement(input: {slug: "cached-agreement", title: {en: "Cached"}, '
            "kind: OTHER, status: PUBLISHED}) { id } }",
            {},
            False,
            lambda data: "cached-agreement" in [a["node"]["slug"] for a in data["agreements"]["edges"]],
        ),
        (
            'mutation { createExhibit(input: {slug: "cached-exhibit", title: {en: "Cached"}, kind: OTHER, '
            "status: PUBLISHED}) { id } }",
            {},
            False,
            lambda data: "cached-exhibit" in [x["node"]["slug"] for x in data["exhibits"]["edges"]],
        ),
    ]
    for document, variables, admin, sees_it in steps:
        assert not sees_it(_warm(cached)), document
        cached.write(document, variables, admin=admin)
        assert sees_it(cached.read()), document
    # A restore, too.
    revisions = cached.write("query($id: ID!) { revisions(id: $id) { id action } }", {"id": event_id})[
        "revisions"
    ]
    deletion = next(r for r in revisions if r["action"] == "delete")
    assert "cache-probe" not in [e["node"]["slug"] for e in _warm(cached)["events"]["edges"]]
    cached.write("mutation($r: ID!) { restore(revisionId: $r) { id } }", {"r": deletion["id"]})
    assert "cache-probe" in [e["node"]["slug"] for e in cached.read()["events"]["edges"]]


def test_a_fixture_load_by_the_cli_is_seen(cached: Cached, tmp_path: Path) -> None:
    _warm(cached)
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            {
                "events": [
                    {
                        "slug": "loaded-later",
                        "title": {"en": "Loaded later"},
                        "date": {"year": 2021},
                        "kind": "OTHER",
                    }
                ]
            }
        )
    )
    assert run_accord("fixtures", "load", str(extra), env=cached.server.env).returncode == 0

    def loaded() -> bool:
        return "loaded-later" in [e["node"]["slug"] for e in cached.read()["events"]["edges"]]

    # Another process's write reaches the server through the change-log signal, a moment later.
    wait_until(loaded, "the cache to serve the content loaded by another process", timeout=10)


def test_persisted_queries(cached: Cached) -> None:
    query = "{ events { totalCount } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    url = cached.server.graphql_url
    unknown = httpx.get(url, params={"extensions": extensions}).json()
    assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = httpx.post(url, json={"query": query, "extensions": json.loads(extensions)}).json()
    assert registered["data"]["events"]["totalCount"] == 12
    by_hash = httpx.get(url, params={"extensions": extensions})
    assert by_hash.json()["data"]["events"]["totalCount"] == 12
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    mismatch = httpx.post(url, json={"query": query, "extensions": wrong}).json()
    assert mismatch["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # A document that never ran (invalid) is not kept.
    invalid = "{ nope }"
    invalid_ext = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(invalid.encode()).hexdigest()}
    }
    httpx.post(
        url,
        json={"query": invalid, "extensions": invalid_ext},
        headers={"accept": "application/graphql-response+json"},
    )
    again = httpx.get(url, params={"extensions": json.dumps(invalid_ext)}).json()
    assert again["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_etags_and_cache_control(cached: Cached) -> None:
    url = cached.server.graphql_url
    first = httpx.get(url, params={"query": READ})
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"].startswith("public, max-age=")
    assert "Accept-Language" in first.headers["vary"]
    not_modified = httpx.get(url, params={"query": READ}, headers={"if-none-match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    for listed in (f'"other", {etag}', "*"):  # a list naming it, or any current answer
        assert httpx.get(url, params={"query": READ}, headers={"if-none-match": listed}).status_code == 304
    chinese = httpx.get(
        url, params={"query": READ}, headers={"accept-language": "zh-TW", "if-none-match": etag}
    )
    assert chinese.status_code == 200 and chinese.headers["etag"] != etag
    private = httpx.get(url, params={"query": READ}, headers=cached.editor)
    assert private.headers["cache-control"] == "private, no-store"
    cached.write(
        'mutation { createPartner(input: {name: {en: "ETag mover"}, kind: OTHER, status: PUBLISHED}) { id } }'
    )
    after = httpx.get(url, params={"query": READ}, headers={"if-none-match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag


async def test_two_instances_never_serve_stale(postgres: Any, logs: Path) -> None:
    url = postgres.url(postgres.create_database())
    seed(url)
    with live_server(url, logs) as first, live_server(url, logs) as second:
        on_second = Cached(second, {}, {})
        editor = Cached(first, bearer(create_token(first.env, "ed2")), {})
        _warm(on_second)
        editor.write(
            'mutation { createEvent(input: {slug: "written-on-first", title: {en: "On first"}, '
            "date: {year: 2022}, kind: OTHER, status: PUBLISHED}) { id } }"
        )
        assert "written-on-first" in [e["node"]["slug"] for e in on_second.read()["events"]["edges"]]
