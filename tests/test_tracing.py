"""Tracing, opt-in (docs/operations.md#tracing): OpenTelemetry spans for the HTTP request, the GraphQL
operation, each SQL statement and each subscription delivery, and nothing at all when it is off.

Three ways in: a process that builds the application with tracing off and looks for OpenTelemetry in
``sys.modules``; the application in process with the SDK's in-memory exporter; and ``accord serve``
exporting over OTLP/HTTP to a receiver on 127.0.0.1 that decodes what it is sent."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from accord.app import create_app
from accord.live.groups import Member, group_key
from accord.live.hub import MilestoneFilter
from accord.models.enums import Locale
from accord.observability.otel import Tracing
from accord.services import Services
from accord.settings import Settings
from tests.harness.clients import post
from tests.harness.databases import seed, sqlite_url
from tests.harness.otlp import OTLPReceiver, ReceivedSpan, otlp_receiver
from tests.harness.server import accord_env, live_server
from tests.harness.tokens import bearer, create_token
from tests.harness.waiting import eventually
from tests.harness.ws import ws_client

QUERY = """query FrontPage { events(first: 5, orderBy: DATE_DESC) {
  edges { node { slug title partners { name } } } } }"""
# Nodes under two response keys: the compiled path declines it, strawberry answers it.
GENERAL = "query Twice { events(first: 2) { edges { node { slug } again: node { title } } } }"
CREATE = "mutation Create($input: EventInput!) { createEvent(input: $input) { id slug } }"
SUBSCRIPTION = "subscription Milestones { milestoneAdded { slug title exhibits { title } } }"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _event(slug: str) -> dict[str, Any]:
    return {
        "input": {
            "slug": slug,
            "title": {"en": f"Milestone {slug}"},
            "date": {"year": 2026},
            "kind": "OTHER",
            "isMilestone": True,
            "status": "PUBLISHED",
        }
    }


def _slug(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC).strftime('%H%M%S%f')}"


# -- off: nothing imported, nothing sent --------------------------------------------------------

LOADED = """
import sys
from starlette.testclient import TestClient
from accord.app import create_app
from accord.settings import Settings

app = create_app(Settings(database_url=sys.argv[1], rate_limit=False))
with TestClient(app) as client:
    for _ in range(2):  # answered, then answered from the response cache
        answer = client.get("/graphql", params={"query": "{ events(first: 2) { edges { node { slug } } } }"})
        assert answer.status_code == 200, answer.text
print(sorted(name for name in sys.modules if name.split(".")[0] == "opentelemetry"))
"""


def _modules_loaded(database_url: str, extra: dict[str, str]) -> list[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ACCORD_", "OTEL_"))}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", LOADED, database_url],
        env={**env, "ACCORD_LOG_LEVEL": "warning", **extra},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))
    return loaded


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite_url(tmp_path_factory.mktemp("tracing"))
    seed(url)
    return url


def test_nothing_of_opentelemetry_is_loaded_when_tracing_is_off(seeded_sqlite: str) -> None:
    assert _modules_loaded(seeded_sqlite, {}) == []


def test_the_sdk_switch_turns_tracing_off_whatever_the_endpoint(seeded_sqlite: str) -> None:
    off = {"ACCORD_OTEL_ENDPOINT": "http://127.0.0.1:9", "OTEL_SDK_DISABLED": "true"}
    assert _modules_loaded(seeded_sqlite, off) == []


def test_the_check_sees_opentelemetry_when_tracing_is_on(seeded_sqlite: str) -> None:
    """The same process with an endpoint set does load it: the check above can fail."""
    with otlp_receiver() as receiver:
        loaded = _modules_loaded(seeded_sqlite, {"ACCORD_OTEL_ENDPOINT": receiver.url})
    assert "opentelemetry.sdk.trace" in loaded
    assert "opentelemetry.exporter.otlp.proto.http.trace_exporter" in loaded


# -- in process, with the SDK's in-memory exporter ----------------------------------------------


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [
        span for span in spans if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


def _statement(span: ReadableSpan) -> str:
    return str(_attributes(span).get("db.statement"))


def _one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


@pytest.fixture
def traced(database_url: str) -> tuple[Settings, InMemorySpanExporter, dict[str, str]]:
    seed(database_url)
    editor = bearer(create_token(accord_env(database_url), "tracing-editor"))
    return Settings(database_url=database_url, rate_limit=False), InMemorySpanExporter(), editor


async def test_spans_of_a_query_a_cached_query_a_mutation_and_a_delivery(
    traced: tuple[Settings, InMemorySpanExporter, dict[str, str]],
) -> None:
    settings, memory, editor = traced
    app = create_app(settings, Tracing(SimpleSpanProcessor(memory)))
    services: Services = app.state.services
    delivered: list[str] = []

    async def send(change_id: int, payload: str) -> None:
        delivered.append(payload)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://accord.test") as client:
            # A query, answered by the compiled path, continuing the caller's trace.
            memory.clear()
            first = await client.get(
                "/graphql", params={"query": QUERY}, headers={"traceparent": TRACEPARENT}
            )
            assert first.status_code == 200 and "errors" not in first.json()
            spans = list(memory.get_finished_spans())
            request = _one(spans, "GET /graphql")
            assert request.kind.name == "SERVER"
            assert format(request.context.trace_id, "032x") == TRACEPARENT.split("-")[1]
            assert request.parent is not None and format(request.parent.span_id, "016x") == "b7ad6b7169203331"
            assert _attributes(request)["http.response.status_code"] == 200
            assert _attributes(request)["http.route"] == "/graphql"
            assert _attributes(request)["accord.request_id"] == first.headers["x-request-id"]
            operation = _one(spans, "query FrontPage")
            assert operation.parent is not None and operation.parent.span_id == request.context.span_id
            attributes = _attributes(operation)
            assert attributes["graphql.operation.type"] == "query"
            assert attributes["graphql.operation.name"] == "FrontPage"
            assert attributes["accord.operation.cost"] == first.json()["extensions"]["cost"]
            assert attributes["accord.operation.compiled_path"] is True
            assert attributes["accord.response_cache.hit"] is False
            statements = _children(spans, operation)
            assert statements and all(span.kind.name == "CLIENT" for span in statements)
            assert all(_statement(span).startswith("SELECT") for span in statements)

            # The same query again: from the response cache, no statement.
            memory.clear()
            again = await client.get("/graphql", params={"query": QUERY})
            assert again.content == first.content
            spans = list(memory.get_finished_spans())
            cached = _one(spans, "query FrontPage")
            assert _attributes(cached)["accord.response_cache.hit"] is True
            read = [_statement(span) for span in _children(spans, cached)]
            if settings.verify_content_version:  # PostgreSQL: the content version is read, alone
                assert len(read) == 1 and "FROM change_log" in read[0], read
            else:
                assert read == []

            # A query the compiled path declines: strawberry answers it.
            memory.clear()
            assert (await client.post("/graphql", json={"query": GENERAL})).status_code == 200
            general = _one(list(memory.get_finished_spans()), "query Twice")
            assert _attributes(general)["accord.operation.compiled_path"] is False

            # A mutation, delivered to a subscription group of two subscribers.
            subscription = services.pipeline.prepare(SUBSCRIPTION)
            key = group_key(subscription, None, None, Locale.EN)
            group = services.live.groups.group(key, subscription, None, MilestoneFilter(), None)
            await group.join(Member(send=send))
            await group.join(Member(send=send))
            memory.clear()
            slug = _slug("traced")
            created = await client.post(
                "/graphql", json={"query": CREATE, "variables": _event(slug)}, headers=editor
            )
            assert created.status_code == 200 and "errors" not in created.json(), created.text

            async def both_delivered() -> bool:
                return len(delivered) == 2

            await eventually(both_delivered, "the milestone reaching both subscribers")
            assert all(slug in payload for payload in delivered)
            await eventually(lambda: _finished(memory, "subscription delivery"), "the delivery span")

            spans = list(memory.get_finished_spans())
            mutation = _one(spans, "mutation Create")
            assert _attributes(mutation)["accord.operation.compiled_path"] is False
            assert any(_statement(span).startswith("INSERT") for span in _children(spans, mutation))
            delivery = _one(spans, "subscription delivery")
            assert delivery.parent is None  # the hub's own work, not the mutation's request
            assert _attributes(delivery)["accord.subscription.subscribers"] == 2
            execution = _one(spans, "subscription Milestones")
            assert execution.parent is not None and execution.parent.span_id == delivery.context.span_id
            assert {span.kind.name for span in _children(spans, execution)} == {"CLIENT"}
            # No statement without a request, an operation or a delivery around it (the hub's
            # reads of the change log): each would be a trace of its own.
            assert [span.name for span in spans if span.kind.name == "CLIENT" and span.parent is None] == []

            # Probes are not traced.
            memory.clear()
            assert (await client.get("/healthz")).status_code == 200
            assert [span.name for span in memory.get_finished_spans() if span.kind.name == "SERVER"] == []


async def _finished(memory: InMemorySpanExporter, name: str) -> bool:
    return any(span.name == name for span in memory.get_finished_spans())


async def test_a_refused_operation_says_what_it_would_have_cost(seeded_sqlite: str) -> None:
    memory = InMemorySpanExporter()
    settings = Settings(database_url=seeded_sqlite, rate_limit=False, cost_budget=10)
    app = create_app(settings, Tracing(SimpleSpanProcessor(memory)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://accord.test") as client:
            refused = await client.post("/graphql", json={"query": QUERY})
            unparsed = await client.post("/graphql", json={"query": "{ events("})
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    spans = list(memory.get_finished_spans())
    operation = _one(spans, "query FrontPage")
    assert _attributes(operation)["accord.operation.cost"] == refused.json()["extensions"]["cost"] > 10
    assert "accord.operation.compiled_path" not in _attributes(operation)  # it never ran
    assert unparsed.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert _attributes(_one(spans, "GraphQL Operation")) == {}


# -- accord serve, exporting over OTLP/HTTP ----------------------------------------------------


def _named(spans: list[ReceivedSpan], name: str) -> list[ReceivedSpan]:
    return [span for span in spans if span.name == name]


def _under(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [span for span in spans if span.parent_span_id == parent.span_id]


async def _spans_arrive(receiver: OTLPReceiver, name: str, count: int = 1) -> list[ReceivedSpan]:
    async def arrived() -> bool:
        return len(_named(receiver.received(), name)) >= count

    await eventually(arrived, f"{count} span(s) named {name!r} at the receiver", timeout=20)
    return receiver.received()


async def test_accord_serve_sends_its_spans_to_an_otlp_receiver(seeded_sqlite: str, logs: Path) -> None:
    env = {
        "OTEL_SERVICE_NAME": "accord-under-test",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test",
        "OTEL_EXPORTER_OTLP_HEADERS": "x-collector-tenant=accord",
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # milliseconds between batches
    }
    with otlp_receiver() as receiver:
        env["ACCORD_OTEL_ENDPOINT"] = receiver.url
        with live_server(seeded_sqlite, logs, extra_env=env) as server:
            editor = bearer(create_token(server.env, "otlp-editor"))
            slug = _slug("otlp")
            async with ws_client(server.ws_url) as first, ws_client(server.ws_url) as second:
                for client in (first, second):
                    await client.subscribe("m", SUBSCRIPTION)
                    await client.handled()
                await server.subscribed(2)
                # A query, the same query from the response cache, a mutation, its delivery.
                for _ in range(2):
                    answer = await asyncio.to_thread(httpx.get, server.graphql_url, params={"query": QUERY})
                    assert answer.status_code == 200
                created = await asyncio.to_thread(post, server, CREATE, _event(slug), headers=editor)
                assert "errors" not in created.json(), created.text
                for client in (first, second):
                    assert (await client.next_payload("m"))["data"]["milestoneAdded"]["slug"] == slug
            await _spans_arrive(receiver, "subscription delivery")
            await _spans_arrive(receiver, "query FrontPage", 2)
        # Stopped: what was still queued (the WebSocket connections' spans) was sent on the way out.
        spans = receiver.received()
        assert receiver.refused == []
    assert {export.path for export in receiver.exports} == {"/v1/traces"}
    assert {export.content_type for export in receiver.exports} == {"application/x-protobuf"}
    assert all(export.headers.get("x-collector-tenant") == "accord" for export in receiver.exports)
    assert {span.resource["service.name"] for span in spans} == {"accord-under-test"}
    assert {span.resource["deployment.environment"] for span in spans} == {"test"}

    queries = _named(spans, "query FrontPage")
    assert [q.attributes["accord.response_cache.hit"] for q in queries] == [False, True]
    assert queries[0].attributes["accord.operation.compiled_path"] is True
    assert _under(spans, queries[0]) and {s.kind for s in _under(spans, queries[0])} == {"SPAN_KIND_CLIENT"}
    assert _under(spans, queries[1]) == []
    requests = {span.span_id: span for span in _named(spans, "GET /graphql")}
    assert all(q.parent_span_id in requests for q in queries)

    mutation = _named(spans, "mutation Create")[0]
    assert _named(spans, "POST /graphql")[0].span_id == mutation.parent_span_id
    assert {s.kind for s in _under(spans, mutation)} == {"SPAN_KIND_CLIENT"}

    delivery = _named(spans, "subscription delivery")[0]
    assert delivery.attributes["accord.subscription.subscribers"] == 2
    assert delivery.parent_span_id == ""
    execution = _under(spans, delivery)
    assert [s.name for s in execution] == ["subscription Milestones"]
    assert {s.kind for s in _under(spans, execution[0])} == {"SPAN_KIND_CLIENT"}
    assert [s.name for s in spans if s.kind == "SPAN_KIND_CLIENT" and s.parent_span_id == ""] == []
    assert len(_named(spans, "WebSocket /graphql")) == 2


async def test_the_standard_otel_variables_turn_it_on_too(seeded_sqlite: str, logs: Path) -> None:
    with otlp_receiver() as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        with live_server(seeded_sqlite, logs, extra_env=env) as server:
            answer = await asyncio.to_thread(httpx.get, server.graphql_url, params={"query": QUERY})
            assert answer.status_code == 200
            spans = await _spans_arrive(receiver, "GET /graphql")
    assert {span.resource["service.name"] for span in spans} == {"accord"}
    assert {export.path for export in receiver.exports} == {"/v1/traces"}
