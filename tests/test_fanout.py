"""A milestone published on one worker or instance reaches subscribers on every other one."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from tests.harness.databases import seed
from tests.harness.postgres import PostgresServer
from tests.harness.redis import RedisServer
from tests.harness.server import LiveServer, live_server
from tests.harness.tokens import bearer, create_token
from tests.harness.ws import WSClient, ws_client

SUBSCRIPTION = "subscription { milestoneAdded { slug } }"
CREATE = """mutation($slug: String!) { createEvent(input: {slug: $slug, title: {en: "Fan-out"},
  date: {year: 2026}, kind: OTHER, isMilestone: true, status: PUBLISHED}) { slug } }"""
# A long safety poll: deliveries within the test's timeouts come through the signal, not the timer.
SLOW_POLL = {"ACCORD_CHANGE_SAFETY_POLL_SECONDS": "120"}


async def _publish(url: str, token: dict[str, str], slug: str) -> str:
    async with httpx.AsyncClient(timeout=20) as client:
        response = await client.post(url, json={"query": CREATE, "variables": {"slug": slug}}, headers=token)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.headers["x-accord-instance"]


async def _expect(clients: list[WSClient], slugs: list[str]) -> None:
    for client in clients:
        got = [(await client.next_payload("1", timeout=15))["data"]["milestoneAdded"]["slug"] for _ in slugs]
        assert got == slugs


async def test_two_workers_on_sqlite(tmp_path: Path, logs: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    seed(url)
    with live_server(url, logs, workers=2) as server:
        token = bearer(create_token(server.env, "fanout"))
        async with AsyncExitStack() as stack:
            clients: list[WSClient] = []
            instances: set[str] = set()
            for _ in range(40):  # connections land on either worker: keep going until both have some
                client = await stack.enter_async_context(ws_client(server.ws_url))
                await client.subscribe("1", SUBSCRIPTION)
                clients.append(client)
                instances.add(client.ack["instance"])
                if len(instances) == 2 and len(clients) >= 4:
                    break
            assert len(instances) == 2, "all connections went to one worker"
            for client in clients:  # each subscription has joined its group, on its worker
                await client.handled()
            published: list[str] = []
            writers: set[str] = set()
            for n in range(12):  # publish until each worker has answered at least one write
                slug = f"two-workers-{n}"
                writers.add(await _publish(server.graphql_url, token, slug))
                published.append(slug)
                if writers == instances and n >= 1:
                    break
            assert writers == instances
            await _expect(clients, published)


@pytest.mark.parametrize("signal", ["postgres", "redis"])
async def test_two_instances(
    signal: str, postgres: PostgresServer, request: pytest.FixtureRequest, logs: Path
) -> None:
    url = postgres.url(postgres.create_database())
    seed(url)
    env = dict(SLOW_POLL, ACCORD_PUBSUB=signal)
    if signal == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        env["ACCORD_REDIS_URL"] = redis.url
    with live_server(url, logs, extra_env=env) as first, live_server(url, logs, extra_env=env) as second:
        await _across(first, second, signal)


async def _across(first: LiveServer, second: LiveServer, label: str) -> None:
    token = bearer(create_token(first.env, f"fanout-{label}"))
    async with ws_client(first.ws_url) as on_first, ws_client(second.ws_url) as on_second:
        assert on_first.ack["instance"] != on_second.ack["instance"]
        for client in (on_first, on_second):
            await client.subscribe("1", SUBSCRIPTION)
            await client.handled()
        from_first = await _publish(first.graphql_url, token, f"{label}-from-first")
        from_second = await _publish(second.graphql_url, token, f"{label}-from-second")
        assert from_first != from_second
        await _expect([on_first, on_second], [f"{label}-from-first", f"{label}-from-second"])
