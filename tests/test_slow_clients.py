"""Connections a client holds open: `ACCORD_MAX_CONNECTIONS` per worker process, over a live server.

uvicorn never times out a request that is still arriving, so a client can hold connections open by
sending headers slowly. accord serves at most ACCORD_MAX_CONNECTIONS of them (HTTP and WebSocket
together) and answers 503 past that; the reverse proxy in front times such clients out
(deploy/nginx.conf, checked in tests/test_deployment_files.py).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, accord_env, live_server, run_accord
from tests.harness.waiting import wait_until
from tests.harness.ws import ws_client

LIMIT = 4
PARTIAL_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: accord\r\nX-Slow: "  # the headers never end


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("small"))
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_MAX_CONNECTIONS": str(LIMIT)}) as server:
        yield server


@contextmanager
def slow_connections(server: LiveServer, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that have sent part of their headers and wait, as a slow client does."""
    with ExitStack() as stack:
        held = []
        for _ in range(count):
            connection = stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            connection.sendall(PARTIAL_REQUEST)
            held.append(connection)
        yield held


def healthz(server: LiveServer) -> httpx.Response:
    """One request on a connection of its own."""
    return httpx.get(f"{server.url}/healthz", timeout=10, headers={"Connection": "close"})


def served_again(server: LiveServer) -> httpx.Response:
    """The first 200 once closed connections are gone (the server learns of a close a moment after
    the client makes it); the last answer if none comes within the deadline."""
    answers: list[httpx.Response] = []

    def served() -> bool:
        answers.append(healthz(server))
        return answers[-1].status_code == 200

    with suppress(TimeoutError):
        wait_until(served, "a connection to be served again", timeout=10)
    return answers[-1]


def test_the_limits_worth_of_slow_connections_and_the_next_is_refused(small: LiveServer) -> None:
    with slow_connections(small, LIMIT - 1):
        # LIMIT - 1 held, and this request's own connection makes LIMIT: served.
        assert served_again(small).status_code == 200
        with slow_connections(small, 1):
            # LIMIT held: the next connection is one too many, whatever it asks for.
            refused = healthz(small)
            assert refused.status_code == 503, refused.text
            assert refused.text == "Service Unavailable"
            posted = httpx.post(small.graphql_url, json={"query": "{ __typename }"}, timeout=10)
            assert posted.status_code == 503
    # The slow clients gave up: served again.
    assert served_again(small).status_code == 200
    assert "Traceback" not in small.log()


async def test_websockets_count_and_are_refused_past_the_limit(small: LiveServer) -> None:
    assert served_again(small).status_code == 200
    async with AsyncExitStack() as stack:
        for _ in range(LIMIT):
            client = await stack.enter_async_context(ws_client(small.ws_url))
            assert client.ack["instance"]
        # A handshake past the limit is refused before it becomes a WebSocket...
        with pytest.raises(InvalidStatus) as refused:
            async with ws_client(small.ws_url):
                pass
        assert refused.value.response.status_code == 503
        # ... and the open WebSockets fill the limit for HTTP requests too.
        assert healthz(small).status_code == 503
    # Once they close, both are served again.
    assert served_again(small).status_code == 200
    async with ws_client(small.ws_url) as client:
        assert client.ack["instance"]


def test_the_setting_is_checked_at_start(tmp_path: Path) -> None:
    env = accord_env(sqlite_url(tmp_path), {"ACCORD_MAX_CONNECTIONS": "0"})
    result = run_accord("serve", "--port", "1", env=env)
    assert result.returncode == 2
    assert "ACCORD_MAX_CONNECTIONS" in result.stderr
