"""GraphQL over HTTP: the graphql-http audit suite and the transport rules, against a live server."""

from __future__ import annotations

import httpx

from tests.harness.clients import node_client
from tests.harness.server import LiveServer


def test_graphql_http_audit_passes_every_audit(seeded_server: LiveServer) -> None:
    result = node_client("http-audit.mjs", seeded_server.graphql_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 warn, 0 error" in result.stdout


def test_queries_over_get(seeded_server: LiveServer) -> None:
    response = httpx.get(
        seeded_server.graphql_url,
        params={"query": "{ events { totalCount } }"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"events": {"totalCount": 12}}


def test_response_media_types_and_status_codes(seeded_server: LiveServer) -> None:
    url = seeded_server.graphql_url
    modern = {"accept": "application/graphql-response+json"}
    ok = httpx.post(url, json={"query": "{ events { totalCount } }"}, headers=modern)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    invalid = httpx.post(url, json={"query": "{ nope }"}, headers=modern)
    assert invalid.status_code == 400 and "data" not in invalid.json()
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    legacy = httpx.post(url, json={"query": "{ nope }"}, headers={"accept": "application/json"})
    assert legacy.status_code == 200
    syntax = httpx.post(url, json={"query": "{"}, headers=modern)
    assert (
        syntax.status_code == 400
        and syntax.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    )


def test_transport_refusals(seeded_server: LiveServer) -> None:
    url = seeded_server.graphql_url
    form = httpx.post(url, data={"query": "{ events { totalCount } }"})
    assert form.status_code == 415  # no "simple" cross-site form posts
    assert httpx.post(url, content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert (
        httpx.post(url, json={"query": "{ __typename }"}, headers={"accept": "text/plain"}).status_code == 406
    )
    assert httpx.put(url, json={"query": "{ __typename }"}).status_code == 405
    huge = {"query": "{ __typename }", "variables": {"x": "y" * 200_000}}
    assert httpx.post(url, json=huge).status_code == 413


def test_graphiql_opens_with_an_example(seeded_server: LiveServer) -> None:
    page = httpx.get(seeded_server.graphql_url, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in page.text and "query Timeline" in page.text


def test_health_endpoints(seeded_server: LiveServer) -> None:
    assert httpx.get(f"{seeded_server.url}/healthz").text == "ok"
    ready = httpx.get(f"{seeded_server.url}/readyz").json()
    assert ready["ready"] is True and ready["live"] == {"connections": 0, "subscriptions": 0}
    assert set(ready["cache"]) == {"entries", "hits", "misses"}
