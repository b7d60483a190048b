"""Operators' handles and failures: metrics, request ids and JSON logs, graceful shutdown, a read
replica, and recovery from PostgreSQL and Redis going away."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
from redis import Redis, RedisError

from accord.live.signals import CHANNEL
from tests.harness.databases import seed
from tests.harness.postgres import running_postgres
from tests.harness.redis import RedisServer
from tests.harness.server import LiveServer, live_server
from tests.harness.tokens import bearer, create_token
from tests.harness.waiting import eventually, wait_until
from tests.harness.ws import ws_client

WRITE_PARTNER = (
    'mutation($s: String!) { createPartner(input: {slug: $s, name: {en: "W"}, kind: OTHER, '
    "status: PUBLISHED}) { slug } }"
)
EVENTS = "query Front { events(first: 5) { totalCount edges { node { title } } } }"


def _gql(
    server: LiveServer, query: str, headers: dict[str, str] | None = None, variables: Any = None
) -> httpx.Response:
    return httpx.post(
        server.graphql_url,
        json={"query": query, "variables": variables or {}},
        headers=headers or {},
        timeout=20,
    )


async def test_metrics_request_ids_and_json_logs(tmp_path: Path, logs: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    seed(url)
    with live_server(
        url, logs, extra_env={"ACCORD_LOG_FORMAT": "json", "ACCORD_LOG_LEVEL": "info"}
    ) as server:
        given = _gql(server, EVENTS, {"X-Request-ID": "trace-42"})
        assert given.headers["x-request-id"] == "trace-42"
        made_up = _gql(server, EVENTS, {"X-Request-ID": "not a valid id; forged=1"})
        assert (
            made_up.headers["x-request-id"] != "not a valid id; forged=1"
            and len(made_up.headers["x-request-id"]) == 32
        )
        httpx.get(server.graphql_url, params={"query": EVENTS})
        httpx.get(server.graphql_url, params={"query": EVENTS})  # a cache hit
        _gql(server, "{ nope }")
        async with ws_client(server.ws_url) as client:
            await client.subscribe("1", "subscription { milestoneAdded { id } }")
            await client.handled()
            metrics = httpx.get(f"{server.url}/metrics").text
        assert 'accord_graphql_requests_total{operation="Front",outcome="ok"}' in metrics
        assert 'accord_graphql_requests_total{operation="Front",outcome="cached"}' in metrics
        assert 'accord_graphql_requests_total{operation="anonymous",outcome="error"}' in metrics
        assert 'accord_graphql_request_seconds_bucket{le="0.1",operation="Front"}' in metrics
        assert "accord_subscriptions 1.0" in metrics and "accord_websocket_connections 1.0" in metrics
        assert 'accord_response_cache_total{result="hit"}' in metrics
        assert 'accord_db_pool_connections{engine="read",state="in_use"}' in metrics
        assert 'accord_http_requests_total{route="/graphql",status="200"}' in metrics
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
        traced = [line for line in lines if line.get("request_id") == "trace-42"]
        assert traced and traced[0]["operation"] == "Front" and traced[0]["status"] == 200


def _any_line(lines: list[str]) -> Callable[[], Awaitable[bool]]:
    async def arrived() -> bool:
        return bool(lines)

    return arrived


def _listeners(redis_server: RedisServer, count: int) -> bool:
    """Whether ``count`` clients are subscribed to accord's change channel on Redis."""
    client = Redis.from_url(redis_server.url)
    try:
        ((_channel, subscribed),) = client.pubsub_numsub(CHANNEL)
    finally:
        client.close()
    return bool(subscribed == count)


async def test_sigterm_closes_sockets_and_exits_cleanly(tmp_path: Path, logs: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_LOG_LEVEL": "info"}) as server:
        sse_lines: list[str] = []

        async def read_stream() -> None:
            async with (
                httpx.AsyncClient(timeout=30) as client,
                client.stream("GET", f"{server.url}/feeds/milestones/stream") as response,
            ):
                async for line in response.aiter_lines():
                    sse_lines.append(line)

        async with ws_client(server.ws_url) as client:
            await client.subscribe("1", "subscription { milestoneAdded { id } }")
            await client.handled()
            stream = asyncio.create_task(read_stream())
            await eventually(_any_line(sse_lines), "the event stream to open")
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            assert await client.closed_with(timeout=15) == 1012  # service restart: clients reconnect
            await asyncio.wait_for(stream, 10)  # the event stream ends too, instead of being cut
        returncode = await asyncio.to_thread(server.process.wait, 20)
        # uvicorn shuts down gracefully, then re-raises the signal it caught, as a process should.
        assert returncode in (0, -signal.SIGTERM)
        assert time.monotonic() - started < 5
        assert "retry: 2000" in sse_lines
        log = server.log()
        assert "Task was destroyed" not in log and "Traceback" not in log, log
        assert "graceful shutdown exceeded" not in log
        assert "Application shutdown complete" in log


def test_reads_go_to_the_replica_and_writes_to_the_primary(postgres: Any, logs: Path) -> None:
    primary = postgres.url(postgres.create_database())
    replica = postgres.url(postgres.create_database())  # stands in for a replica: same schema, other rows
    seed(primary)
    seed(replica)
    with psycopg.connect(replica, autocommit=True) as conn:
        conn.execute("UPDATE event SET title_en = 'From the replica' WHERE slug LIKE '1972%'")
    with live_server(primary, logs, extra_env={"ACCORD_READ_DATABASE_URL": replica}) as server:
        token = bearer(create_token(server.env, "replica-editor"))
        read = _gql(server, "{ events(first: 1) { edges { node { title } } } }").json()
        assert read["data"]["events"]["edges"][0]["node"]["title"] == "From the replica"
        written = _gql(
            server,
            'mutation { createPartner(input: {slug: "written-to-primary", name: {en: "P"}, '
            "kind: OTHER}) { slug } }",
            token,
        ).json()
        assert written["data"]["createPartner"]["slug"] == "written-to-primary"
    with psycopg.connect(primary) as conn:
        assert conn.execute("SELECT count(*) FROM partner WHERE slug = 'written-to-primary'").fetchone() == (
            1,
        )
    with psycopg.connect(replica) as conn:
        assert conn.execute("SELECT count(*) FROM partner WHERE slug = 'written-to-primary'").fetchone() == (
            0,
        )


def _poll_ok(server: LiveServer, seconds: float) -> bool:
    def answered() -> bool:
        return "errors" not in _gql(server, EVENTS).json()

    try:
        return wait_until(
            answered, "a query answered without errors", timeout=seconds, ignoring=(httpx.HTTPError,)
        )
    except TimeoutError:
        return False


def test_postgres_faults_recover_by_themselves(logs: Path) -> None:
    with running_postgres() as pg:
        url = pg.url(pg.create_database())
        seed(url)
        with live_server(url, logs) as server:
            assert "errors" not in _gql(server, EVENTS).json()
            with psycopg.connect(pg.admin_url, autocommit=True) as conn:
                killed = conn.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (url.rsplit("/", 1)[1],),
                ).fetchone()
            assert killed is not None and killed[0] >= 1
            # The pool notices dead connections (pre-ping): the next requests succeed.
            assert all("errors" not in _gql(server, EVENTS).json() for _ in range(5))
            pg.stop()
            down = _gql(server, EVENTS)
            assert (
                down.status_code < 500
                and down.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
            )
            pg.start()
            assert _poll_ok(server, 20), "accord did not recover after PostgreSQL came back"
            assert server.process.poll() is None


async def test_redis_away_falls_back_to_the_change_log(
    postgres: Any, redis_server: RedisServer, logs: Path
) -> None:
    url = postgres.url(postgres.create_database())
    seed(url)
    env = {
        "ACCORD_PUBSUB": "redis",
        "ACCORD_REDIS_URL": redis_server.url,
        "ACCORD_CHANGE_SAFETY_POLL_SECONDS": "1",
    }
    with live_server(url, logs, extra_env=env) as first, live_server(url, logs, extra_env=env) as second:
        token = bearer(create_token(first.env, "redis-editor"))
        create = (
            'mutation($s: String!) { createEvent(input: {slug: $s, title: {en: "R"}, date: {year: 2026}, '
            "kind: OTHER, isMilestone: true, status: PUBLISHED}) { slug } }"
        )
        async with ws_client(second.ws_url) as client:
            await client.subscribe("1", "subscription { milestoneAdded { slug } }")
            await client.handled()
            redis_server.stop()
            try:
                assert (
                    "errors"
                    not in (
                        await asyncio.to_thread(_gql, first, create, token, {"s": "while-redis-is-down"})
                    ).json()
                )
                payload = await client.next_payload("1", timeout=15)
                assert payload["data"]["milestoneAdded"]["slug"] == "while-redis-is-down"
            finally:
                redis_server.start()
            # Both servers' listeners are subscribed to the channel again (they reconnect with backoff).
            await eventually(
                partial(asyncio.to_thread, _listeners, redis_server, 2),
                "both listeners to return",
                ignoring=(RedisError,),
            )
            await asyncio.to_thread(_gql, first, create, token, {"s": "after-redis-is-back"})
            payload = await client.next_payload("1", timeout=15)
            assert payload["data"]["milestoneAdded"]["slug"] == "after-redis-is-back"


async def test_sqlite_writes_beside_readers_never_lock(tmp_path: Path, logs: Path) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    seed(url)
    with live_server(url, logs, workers=2) as server:
        token = bearer(create_token(server.env, "sqlite-writer"))
        errors: list[str] = []
        async with httpx.AsyncClient(timeout=30) as client:

            async def writer() -> None:
                for n in range(100):  # 20 writes a second for 5 seconds
                    body = (
                        await client.post(
                            server.graphql_url,
                            headers=token,
                            json={
                                "query": WRITE_PARTNER,
                                "variables": {"s": f"writer-{n}"},
                            },
                        )
                    ).json()
                    errors.extend(error["message"] for error in body.get("errors", []))
                    await asyncio.sleep(0.05)  # the pace of the load under test, not a wait

            async def reader() -> None:
                for _ in range(60):
                    body = (
                        await client.post(
                            server.graphql_url, json={"query": "{ partners(first: 100) { totalCount } }"}
                        )
                    ).json()
                    errors.extend(error["message"] for error in body.get("errors", []))
                    await asyncio.sleep(0.05)  # the pace of the load under test, not a wait

            await asyncio.gather(writer(), reader(), reader(), reader())
        assert errors == []
        assert "database is locked" not in server.log()
        count = _gql(server, "{ partners(first: 100) { totalCount } }").json()["data"]["partners"][
            "totalCount"
        ]
        assert count == 21 + 100
