"""Live milestones over WebSocket (graphql-ws and gql clients) and SSE, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.harness.clients import PROJECT, post
from tests.harness.databases import seed
from tests.harness.server import LiveServer, live_server
from tests.harness.tokens import bearer, create_token
from tests.harness.waiting import eventually
from tests.harness.ws import ws_client

SUBSCRIPTION = """subscription($partner: String, $tag: String, $since: DateTime) {
  milestoneAdded(partner: $partner, tag: $tag, since: $since) {
    id slug title partners { slug } tags status } }"""
_numbers = itertools.count(1)


@dataclass
class Live:
    server: LiveServer
    url: str
    editor: dict[str, str]

    def publish(
        self,
        *,
        milestone: bool = True,
        status: str = "PUBLISHED",
        partners: list[str] | None = None,
        tags: list[str] | None = None,
    ) -> dict[str, Any]:
        slug = f"live-{next(_numbers)}-{datetime.now(UTC).strftime('%H%M%S%f')}"
        partner_ids = [self.partner_id(slug_) for slug_ in partners or []]
        document = "mutation($input: EventInput!) { createEvent(input: $input) { id slug status } }"
        variables = {
            "input": {
                "slug": slug,
                "title": {"en": f"Milestone {slug}"},
                "date": {"year": 2026},
                "kind": "OTHER",
                "isMilestone": milestone,
                "status": status,
                "partnerIds": partner_ids,
                "tags": tags or [],
            }
        }
        body = post(self.server, document, variables, headers=self.editor).json()
        assert "errors" not in body, body
        created: dict[str, Any] = body["data"]["createEvent"]
        return created

    def publish_existing(self, event_id: str) -> None:
        body = post(
            self.server,
            "mutation($id: ID!) { publishEvent(id: $id) { id } }",
            {"id": event_id},
            headers=self.editor,
        ).json()
        assert "errors" not in body, body

    def partner_id(self, slug: str) -> str:
        body = post(self.server, "query($s: String) { partner(slug: $s) { id } }", {"s": slug}).json()
        partner_id: str = body["data"]["partner"]["id"]
        return partner_id


def _database(request: pytest.FixtureRequest, directory: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{directory}/accord.db"
    pg = request.getfixturevalue("postgres")
    return str(pg.url(pg.create_database()))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> Iterator[Live]:
    url = _database(request, tmp_path_factory.mktemp("live"))
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_WS_INIT_TIMEOUT_SECONDS": "1"}) as server:
        yield Live(server, url, bearer(create_token(server.env, "live-editor")))


async def test_graphql_ws_client_receives_a_published_milestone(live: Live) -> None:
    await live.server.subscribed(0)  # the earlier tests' subscriptions are gone
    process = await asyncio.create_subprocess_exec(
        "node",
        str(PROJECT / "tests/clients/ws-subscribe.mjs"),
        live.server.ws_url,
        SUBSCRIPTION,
        "1",
        "15000",
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert (await asyncio.wait_for(process.stdout.readline(), 15)).strip() == b"ready"
    await live.server.subscribed(1)  # "ready" is the ack: the subscribe message follows it
    created = await asyncio.to_thread(live.publish)
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err.decode()
    payload = json.loads(out.decode().strip().splitlines()[-1])
    assert payload["data"]["milestoneAdded"]["slug"] == created["slug"]


async def test_gql_client_receives_a_published_milestone(live: Live) -> None:
    transport = WebsocketsTransport(
        url=live.server.ws_url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    await live.server.subscribed(0)
    async with Client(transport=transport) as session:
        received: list[dict[str, Any]] = []

        async def listen() -> None:
            async for result in session.subscribe(GraphQLRequest(SUBSCRIPTION)):
                received.append(result)
                return

        task = asyncio.create_task(listen())
        await live.server.subscribed(1)
        created = await asyncio.to_thread(live.publish)
        await asyncio.wait_for(task, 15)
    assert received[0]["milestoneAdded"]["slug"] == created["slug"]


async def test_filters_and_drafts(live: Live) -> None:
    async with ws_client(live.server.ws_url) as client:
        await client.subscribe("wto", SUBSCRIPTION, {"partner": "wto"})
        await client.subscribe("aeo", SUBSCRIPTION, {"tag": "aeo"})
        await client.subscribe("all", SUBSCRIPTION)
        await client.handled()
        draft = await asyncio.to_thread(live.publish, status="DRAFT", partners=["wto"], tags=["aeo"])
        not_milestone = await asyncio.to_thread(live.publish, milestone=False, partners=["wto"])
        tagged = await asyncio.to_thread(live.publish, tags=["aeo"])
        with_wto = await asyncio.to_thread(live.publish, partners=["wto"])
        # The first payload of each subscription is the first matching milestone: nothing earlier leaked.
        assert (await client.next_payload("aeo"))["data"]["milestoneAdded"]["slug"] == tagged["slug"]
        assert (await client.next_payload("wto"))["data"]["milestoneAdded"]["slug"] == with_wto["slug"]
        everything = [(await client.next_payload("all"))["data"]["milestoneAdded"]["slug"] for _ in range(2)]
        assert everything == [tagged["slug"], with_wto["slug"]]
        # Publishing the draft later announces it then, once.
        await asyncio.to_thread(live.publish_existing, draft["id"])
        assert (await client.next_payload("all"))["data"]["milestoneAdded"]["slug"] == draft["slug"]
        assert (await client.next_payload("wto"))["data"]["milestoneAdded"]["slug"] == draft["slug"]
        assert not_milestone["slug"] not in everything


async def test_resubscribing_with_since_replays_what_was_missed(live: Live) -> None:
    async with ws_client(live.server.ws_url) as client:
        await client.subscribe("1", SUBSCRIPTION)
        await client.handled()
        first = await asyncio.to_thread(live.publish)
        seen = await client.next_payload("1")
        assert seen["data"]["milestoneAdded"]["slug"] == first["slug"]
    disconnected_at = datetime.now(UTC)
    missed = [await asyncio.to_thread(live.publish) for _ in range(3)]
    async with ws_client(live.server.ws_url) as client:
        await client.subscribe("1", SUBSCRIPTION, {"since": disconnected_at.isoformat()})
        replayed = [(await client.next_payload("1"))["data"]["milestoneAdded"]["slug"] for _ in range(3)]
        assert replayed == [event["slug"] for event in missed]
        after = await asyncio.to_thread(live.publish)
        assert (await client.next_payload("1"))["data"]["milestoneAdded"]["slug"] == after["slug"]
        # Nothing twice: the next message, if any, is not a repeat.
        with pytest.raises(TimeoutError):
            await client.next_payload("1", timeout=1)


def _replayed(lines: list[str]) -> Callable[[], Awaitable[bool]]:
    async def arrived() -> bool:
        return any(line.startswith("data:") for line in lines)

    return arrived


async def test_server_sent_events(live: Live) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    replay = await asyncio.to_thread(live.publish, tags=["sse"])
    lines: list[str] = []
    async with (
        httpx.AsyncClient(timeout=20) as client,
        client.stream(
            "GET",
            f"{live.server.url}/feeds/milestones/stream",
            params={"since": before.isoformat(), "tag": "sse"},
        ) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        fresh: dict[str, Any] = {}

        async def read() -> None:
            async for line in response.aiter_lines():
                lines.append(line)
                if sum(line.startswith("data:") for line in lines) == 2:
                    return

        reader = asyncio.create_task(read())
        # The replayed milestone has arrived: the stream has joined, and goes on live.
        await eventually(_replayed(lines), "the replayed milestone")
        fresh = await asyncio.to_thread(live.publish, tags=["sse"])
        await asyncio.wait_for(reader, 15)
    data = [json.loads(line[5:]) for line in lines if line.startswith("data:")]
    assert [d["data"]["milestoneAdded"]["slug"] for d in data] == [replay["slug"], fresh["slug"]]
    ids = [int(line[3:]) for line in lines if line.startswith("id:")]
    assert ids == sorted(ids) and len(ids) == 2
    bad = httpx.get(f"{live.server.url}/feeds/milestones/stream", params={"since": "yesterday"})
    assert bad.status_code == 400


async def test_protocol_errors_close_with_the_right_codes(live: Live) -> None:
    async with ws_client(live.server.ws_url, init=False) as client:
        await client.subscribe("1", SUBSCRIPTION)
        assert await client.closed_with() == 4401
    async with ws_client(live.server.ws_url, subprotocols=["graphql-ws"], init=False) as client:
        assert await client.closed_with() == 4406
    async with ws_client(live.server.ws_url, init=False) as client:
        assert await client.closed_with() == 4408  # no connection_init within the (test) timeout
    async with ws_client(live.server.ws_url) as client:
        await client.send({"type": "connection_init"})
        assert await client.closed_with() == 4429
    async with ws_client(live.server.ws_url) as client:
        await client.subscribe("dup", SUBSCRIPTION)
        await client.subscribe("dup", SUBSCRIPTION)
        assert await client.closed_with() == 4409
    async with ws_client(live.server.ws_url) as client:
        await client.send({"type": "nonsense"})
        assert await client.closed_with() == 4400


async def test_bad_arguments_are_errors_and_others_are_unaffected(live: Live) -> None:
    async with ws_client(live.server.ws_url) as watcher, ws_client(live.server.ws_url) as client:
        await watcher.subscribe("ok", SUBSCRIPTION)
        future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        for op_id, variables in (("future", {"since": future}), ("garbage", {"since": "not a date"})):
            await client.subscribe(op_id, SUBSCRIPTION, variables)
            message = await client.receive()
            assert message["type"] == "error" and message["id"] == op_id, message
            assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        await client.subscribe("invalid", "subscription { milestoneAdded { nope } }")
        message = await client.receive()
        assert (
            message["type"] == "error"
            and message["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        )
        await watcher.handled()
        created = await asyncio.to_thread(live.publish)
        assert (await watcher.next_payload("ok"))["data"]["milestoneAdded"]["slug"] == created["slug"]


async def test_abrupt_disconnects_leave_nothing_behind(live: Live) -> None:
    for _ in range(5):
        async with ws_client(live.server.ws_url) as client:
            await client.subscribe("1", SUBSCRIPTION)
            await client.subscribe("2", SUBSCRIPTION, {"tag": "x"})
            await client.handled()  # both subscriptions are registered before the connection drops
            client.connection.transport.abort()  # no close frame, no complete

    async def released() -> bool:
        ready = await asyncio.to_thread(live.server.readiness)
        return bool(ready["live"] == {"connections": 0, "subscriptions": 0})

    await eventually(released, "every connection and subscription to be released")


async def test_queries_over_the_socket(live: Live) -> None:
    async with ws_client(live.server.ws_url) as client:
        await client.subscribe("q", "{ events { totalCount } }")
        payload = await client.next_payload("q")
        assert payload["data"]["events"]["totalCount"] >= 12
        assert (await client.receive()) == {"id": "q", "type": "complete"}


def _in_trigger(url: str) -> bool:
    """Whether a session of the database at ``url`` is waiting in pg_sleep (the slow trigger)."""
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event = 'PgSleep'"
        ).fetchone()
    return found is not None and found[0] > 0


async def test_out_of_order_commits_still_reach_subscribers(postgres: Any, logs: Path) -> None:
    """A write whose change-log row got its id first but commits last (held open here by a slow
    trigger) is still delivered: change-log ids become visible in order."""
    url = postgres.url(postgres.create_database())
    seed(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF EXISTS (SELECT 1 FROM event WHERE id = NEW.content_id AND slug LIKE 'slow-%') "
            # The slow commit is the case under test: its change-log id is taken, its commit waits.
            "THEN PERFORM pg_sleep(1.5); END IF; RETURN NEW; END $$"
        )
        conn.execute(
            "CREATE TRIGGER slow_commit AFTER INSERT ON change_log "
            "FOR EACH ROW EXECUTE FUNCTION slow_commit()"
        )
    with live_server(url, logs, extra_env={"ACCORD_CHANGE_SAFETY_POLL_SECONDS": "120"}) as server:
        live = Live(server, url, bearer(create_token(server.env, "order-editor")))
        async with ws_client(server.ws_url) as client:
            await client.subscribe("1", SUBSCRIPTION)
            await client.handled()

            async def create(slug: str) -> None:
                document = "mutation($i: EventInput!) { createEvent(input: $i) { slug } }"
                variables = {
                    "i": {
                        "slug": slug,
                        "title": {"en": slug},
                        "date": {"year": 2026},
                        "kind": "OTHER",
                        "isMilestone": True,
                        "status": "PUBLISHED",
                    }
                }
                body = (
                    await asyncio.to_thread(post, live.server, document, variables, headers=live.editor)
                ).json()
                assert "errors" not in body, body

            slow = asyncio.create_task(create("slow-first"))
            # The second write starts once the first holds its change-log id, in the trigger.
            await eventually(
                partial(asyncio.to_thread, _in_trigger, url), "the first write to reach pg_sleep"
            )
            await create("fast-second")
            await slow
            got = {
                (await client.next_payload("1", timeout=15))["data"]["milestoneAdded"]["slug"]
                for _ in range(2)
            }
            assert got == {"slow-first", "fast-second"}
