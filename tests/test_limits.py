"""Abuse limits: each attack, including the fragment bypasses, is refused cheaply with its code while
normal queries keep being answered."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness.databases import seed
from tests.harness.server import LiveServer, live_server
from tests.harness.ws import ws_client

DOCS_QUERIES = Path(__file__).parent.parent / "docs" / "queries"
MODERN = {"accept": "application/graphql-response+json"}
NORMAL = "{ events(first: 5) { totalCount edges { node { title partners { name } } } } }"
FRONT_PAGE = """{ events(first: 50, orderBy: DATE_DESC) { edges { node {
  title date { label } partners { name shortName } agreements { title parties { name } }
  exhibits { title } } } } }"""


def _nested(depth: int) -> str:
    # events > edges > node > partners > events > edges > node > ... : three levels per hop
    inner = "title"
    while depth > 0:
        inner = f"partners {{ events {{ edges {{ node {{ {inner} }} }} }} }}"
        depth -= 1
    return f"{{ events {{ edges {{ node {{ {inner} }} }} }} }}"


ATTACKS: dict[str, tuple[str, str]] = {
    "depth": (_nested(3), "DEPTH_LIMIT_EXCEEDED"),
    "depth through fragments": (
        """query { events { edges { node { ...A } } } }
        fragment A on Event { partners { ...B } }
        fragment B on Partner { events { edges { node { ...C } } } }
        fragment C on Event { partners { events { edges { node { title } } } } }""",
        "DEPTH_LIMIT_EXCEEDED",
    ),
    "circular fragments": (
        """query { events { edges { node { ...A } } } }
        fragment A on Event { partners { ...B } }
        fragment B on Partner { events { edges { node { ...A } } } }""",
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "aliases": (
        "{ " + " ".join(f"a{n}: events {{ totalCount }}" for n in range(16)) + " }",
        "ALIAS_LIMIT_EXCEEDED",
    ),
    "aliases through a fragment spread twice": (
        "query { ...F ...F }\nfragment F on Query { "
        + " ".join(f"a{n}: __typename" for n in range(8))
        + " }",
        "ALIAS_LIMIT_EXCEEDED",
    ),
    "aliases through nested fragments": (
        "query { ...Outer }\nfragment Outer on Query { ...F ...F ...F }\n"
        "fragment F on Query { " + " ".join(f"b{n}: __typename" for n in range(6)) + " }",
        "ALIAS_LIMIT_EXCEEDED",
    ),
    "directives": (
        "{ " + " ".join("__typename @include(if: true)" for _ in range(51)) + " }",
        "DIRECTIVE_LIMIT_EXCEEDED",
    ),
    "directives through fragments": (
        "query { ...F ...F ...F }\nfragment F on Query { "
        + " ".join("__typename @skip(if: false)" for _ in range(20))
        + " }",
        "DIRECTIVE_LIMIT_EXCEEDED",
    ),
    "tokens": ("{ " + " ".join("__typename" for _ in range(2100)) + " }", "TOKEN_LIMIT_EXCEEDED"),
    "cost: nested pages": (
        """{ events(first: 100) { edges { node { partners { events(first: 100) { edges { node {
          partners { events(first: 100) { totalCount } } } } } } } } } }""",
        "QUERY_TOO_COMPLEX",
    ),
    "cost through fragments": (
        """query { events(first: 100) { ...E } }
        fragment E on EventConnection { edges { node { partners { events(first: 100) { ...F } } } } }
        fragment F on EventConnection { edges { node { agreements { parties { name } } } } }""",
        "QUERY_TOO_COMPLEX",
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('limits')}/accord.db"
    seed(url)
    with live_server(url, logs) as live:
        yield live


def _post(server: LiveServer, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(
        server.graphql_url, json={"query": query, "variables": variables or {}}, headers=MODERN, timeout=30
    )


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attack_is_refused_quickly_while_others_are_served(server: LiveServer, attack: str) -> None:
    query, code = ATTACKS[attack]
    async with httpx.AsyncClient(timeout=30, headers=MODERN) as client:
        await client.post(server.graphql_url, json={"query": NORMAL})  # connection warm

        async def refused() -> float:
            started = time.perf_counter()
            response = await client.post(server.graphql_url, json={"query": query})
            elapsed = time.perf_counter() - started
            assert response.status_code == 400, response.text
            body = response.json()
            assert "data" not in body
            assert body["errors"][0]["extensions"]["code"] == code, body
            return elapsed

        async def normal() -> None:
            response = await client.post(server.graphql_url, json={"query": NORMAL})
            assert response.status_code == 200
            assert response.json()["data"]["events"]["totalCount"] == 12

        async def attacks() -> list[float]:
            return [await refused() for _ in range(5)]

        timings, *_ = await asyncio.gather(attacks(), normal(), normal())
    assert statistics.median(timings) < 0.1, f"refusing took {timings}"


def test_every_documented_query_and_the_front_page_fit_the_budget(server: LiveServer) -> None:
    examples = {path.name: path.read_text() for path in sorted(DOCS_QUERIES.glob("*.graphql"))}
    examples["front page"] = FRONT_PAGE
    assert len(examples) >= 5
    for name, query in examples.items():
        response = _post(server, query, _variables_of(query))
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, (name, body)
        cost = body["extensions"]["cost"]
        assert 0 < cost <= 5000 * 6 // 10, (name, cost)  # with room to spare


def _variables_of(query: str) -> dict[str, Any]:
    import json

    for line in query.splitlines():
        if line.startswith("# variables:"):
            loaded: dict[str, Any] = json.loads(line.removeprefix("# variables:"))
            return loaded
    return {}


def test_cost_counts_variables(server: LiveServer) -> None:
    query = """query($n: Int) {
      events(first: $n) { edges { node { partners { events(first: $n) { totalCount } } } } } }"""
    assert _post(server, query, {"n": 5}).status_code == 200
    response = _post(server, query, {"n": 100})
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_cost_counts_variable_defaults_and_floats(server: LiveServer) -> None:
    query = """query($n: Int = 100) {
      events(first: $n) { edges { node { partners { events(first: $n) { totalCount } } } } } }"""
    for variables in ({}, {"n": 100.0}):
        response = _post(server, query, variables)
        assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", variables


def test_request_body_limit(server: LiveServer) -> None:
    response = httpx.post(
        server.graphql_url, json={"query": "{ __typename }", "variables": {"x": "y" * 110_000}}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_websocket_message_limit(server: LiveServer) -> None:
    async with ws_client(server.ws_url) as client:
        await client.send(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": "{ __typename }", "variables": {"x": "y" * 70_000}},
            }
        )
        assert await client.closed_with() == 1009
    async with ws_client(server.ws_url) as client:
        query, code = ATTACKS["depth through fragments"]
        await client.subscribe("2", query)
        message = await client.receive()
        assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == code
        query, code = ATTACKS["cost: nested pages"]
        await client.subscribe("3", query)
        message = await client.receive()
        assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == code


def test_batching_is_off_by_default(server: LiveServer) -> None:
    response = httpx.post(server.graphql_url, json=[{"query": "{ __typename }"}])
    assert response.status_code == 400
    assert "batched requests are not enabled" in response.json()["errors"][0]["message"]


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    """A production server with tight limits and every switch flipped."""
    url = f"sqlite:///{tmp_path_factory.mktemp('tight')}/accord.db"
    seed(url)
    env = {
        "ACCORD_ENV": "production",
        "ACCORD_RATE_LIMIT": "true",
        "ACCORD_RATE_READS_PER_SECOND": "0.5",
        "ACCORD_RATE_READS_BURST": "20",
        "ACCORD_RATE_WS_CONNECTS_PER_SECOND": "0.5",
        "ACCORD_RATE_WS_CONNECTS_BURST": "2",
        "ACCORD_BATCH_MAX": "2",
        "ACCORD_INTROSPECTION": "false",
        "ACCORD_GRAPHIQL": "false",
        "ACCORD_CORS_ORIGINS": "https://timeline.example.org",
    }
    with live_server(url, logs, extra_env=env) as live:
        yield live


def test_production_switches(tight: LiveServer) -> None:
    url = tight.graphql_url
    introspection = httpx.post(url, json={"query": "{ __schema { queryType { name } } }"}, headers=MODERN)
    assert introspection.status_code == 400
    assert httpx.get(url, headers={"accept": "text/html"}).status_code == 404
    typo = httpx.post(url, json={"query": '{ event(slug: "x") { titel } }'}).json()
    assert "Did you mean" not in typo["errors"][0]["message"]
    batch = httpx.post(url, json=[{"query": "{ __typename }"}, {"query": "{ events { totalCount } }"}])
    assert (
        batch.status_code == 200 and [item["data"] for item in batch.json()][1]["events"]["totalCount"] == 12
    )
    assert httpx.post(url, json=[{"query": "{ __typename }"}] * 3).status_code == 400
    preflight = httpx.options(
        url,
        headers={
            "Origin": "https://timeline.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://timeline.example.org"
    stranger = httpx.post(url, json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers


async def test_rate_limits(tight: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        statuses = [
            (await client.post(tight.graphql_url, json={"query": "{ __typename }"})) for _ in range(25)
        ]
    limited = [response for response in statuses if response.status_code == 429]
    assert limited, "no request was limited"
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert httpx.get(f"{tight.url}/healthz").status_code == 200  # health checks are never limited
    # Inventing a new token per request does not buy a new bucket: reads are counted per address.
    invented = [
        httpx.post(
            tight.graphql_url, json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer x{n}"}
        )
        for n in range(3)
    ]
    assert all(response.status_code == 429 for response in invented)
    # WebSocket connects have their own, tighter bucket.
    refused = 0
    for _ in range(4):
        try:
            async with ws_client(tight.ws_url):
                pass
        except Exception:
            refused += 1
    assert refused >= 1


def test_unexpected_errors_are_masked_in_production(tmp_path: Path, logs: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    seed(url)
    from accord.db import create_sync_engine

    engine = create_sync_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE event_tag")  # every query for tags now fails inside the database
    engine.dispose()
    with live_server(url, logs, extra_env={"ACCORD_ENV": "production"}) as live:
        body = httpx.post(
            live.graphql_url, json={"query": "{ events(first: 1) { edges { node { tags } } } }"}
        ).json()
        error = body["errors"][0]
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert error["message"] == f"Internal server error (incident {error['extensions']['incident']})"
        text = str(body)
        assert "event_tag" not in text and "Traceback" not in text and "sqlite" not in text.lower()
        assert error["extensions"]["incident"] in live.log()


def test_execution_timeout(tmp_path: Path, logs: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_EXECUTION_TIMEOUT_SECONDS": "0.000001"}) as live:
        response = httpx.post(live.graphql_url, json={"query": FRONT_PAGE})
        assert response.status_code == 504
        assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
