"""Cross-origin calls from browsers, over live HTTP: loopback dev servers work out of the box in
development; refused preflights are answered with a 403 that says why (docs/security.md#cors)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, live_server

VITE = "http://localhost:5173"


def preflight(
    server: LiveServer, origin: str, method: str = "POST", headers: str = "content-type"
) -> httpx.Response:
    return httpx.options(
        server.graphql_url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
        timeout=30,
    )


@pytest.fixture(scope="module")
def development(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("cors-dev"))
    seed(url)
    with live_server(url, logs) as live:
        yield live


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("cors-prod"))
    seed(url)
    env = {"ACCORD_ENV": "production", "ACCORD_CORS_ORIGINS": "https://timeline.example.org"}
    with live_server(url, logs, extra_env=env) as live:
        yield live


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("cors-closed"))
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_ENV": "production"}) as live:
        yield live


@pytest.mark.parametrize("origin", [VITE, "http://127.0.0.1:3000", "http://[::1]:8080", "http://localhost"])
def test_development_allows_loopback_dev_servers(development: LiveServer, origin: str) -> None:
    answer = preflight(development, origin, headers="content-type, authorization")
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == origin
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "authorization" in answer.headers["access-control-allow-headers"].lower()
    # The request itself then carries the headers the browser needs to hand the answer to the page.
    posted = httpx.post(
        development.graphql_url, json={"query": "{ events { totalCount } }"}, headers={"Origin": origin}
    )
    assert posted.status_code == 200
    assert posted.headers["access-control-allow-origin"] == origin
    assert "etag" in posted.headers["access-control-expose-headers"].lower()


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "http://localhost.evil.example", "http://127.0.0.1.evil.example:80"]
)
def test_development_refuses_other_origins_with_a_reason(development: LiveServer, origin: str) -> None:
    answer = preflight(development, origin)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert "access-control-allow-origin" not in answer.headers
    error = answer.json()["errors"][0]
    assert error["extensions"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
    assert origin in error["message"] and "ACCORD_CORS_ORIGINS" in error["message"]
    assert "loopback" in error["message"]


def test_production_allows_only_its_list(production: LiveServer) -> None:
    listed = preflight(production, "https://timeline.example.org")
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "https://timeline.example.org"
    assert listed.headers["access-control-max-age"] == "600"
    loopback = preflight(production, VITE)
    assert loopback.status_code == 403
    error = loopback.json()["errors"][0]
    assert error["extensions"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
    assert "loopback" not in error["message"]  # production does not open loopback origins
    stranger = httpx.post(
        production.graphql_url, json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )
    assert stranger.status_code == 200 and "access-control-allow-origin" not in stranger.headers


def test_refused_methods_and_headers_are_named(production: LiveServer) -> None:
    method = preflight(production, "https://timeline.example.org", method="DELETE")
    assert method.status_code == 403
    assert method.json()["errors"][0]["extensions"]["code"] == "CORS_METHOD_NOT_ALLOWED"
    headers = preflight(production, "https://timeline.example.org", headers="content-type, x-secret")
    assert headers.status_code == 403
    error = headers.json()["errors"][0]
    assert error["extensions"]["code"] == "CORS_HEADERS_NOT_ALLOWED"
    assert "x-secret" in error["message"]


def test_a_server_without_origins_explains_its_refusal(closed: LiveServer) -> None:
    answer = preflight(closed, "https://timeline.example.org")
    assert answer.status_code == 403
    assert answer.json()["errors"][0]["extensions"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
    # A long, odd Origin is cut and escaped, never echoed raw or answered with a 500.
    odd = preflight(closed, "https://" + "a" * 5000 + '"<x>')
    assert odd.status_code == 403
    assert len(odd.json()["errors"][0]["message"]) < 600
    # Same-origin requests, which send no preflight, are untouched.
    assert httpx.post(closed.graphql_url, json={"query": "{ __typename }"}).status_code == 200
