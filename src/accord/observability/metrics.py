"""Prometheus metrics (prometheus-client), served at /metrics.

Operation names come from clients, so they are only used as label values when they look like
GraphQL names, and only the first few hundred distinct ones: a client cannot grow the registry
without bound.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response

MAX_OPERATION_LABELS = 200
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,60}$")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

M = TypeVar("M", Counter, Histogram)


class Labelled(Generic[M]):
    """A labelled metric whose children are looked up once per set of label values: ``labels()``
    converts, locks and hashes on every call, a few microseconds several times per request, where a
    cached answer costs a hundred or so in all. The label values are bounded already (routes, status
    codes, outcomes, at most MAX_OPERATION_LABELS operation names), and so is this dict."""

    def __init__(self, metric: M) -> None:
        self.metric: M = metric
        self._children: dict[tuple[str, ...], M] = {}

    def labels(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.metric.labels(*values)
        return child


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        registry = None if self.multiprocess else self.registry

        def counter(name: str, documentation: str, *labels: str) -> Labelled[Counter]:
            return Labelled(Counter(name, documentation, labels, registry=registry))

        def gauge(name: str, documentation: str) -> Gauge:
            # Each worker reports its own; the multiprocess collector adds the live workers' values up.
            return Gauge(name, documentation, registry=registry, multiprocess_mode="livesum")

        self.graphql_requests = counter(
            "accord_graphql_requests",
            "GraphQL operations answered over HTTP, by operation name and outcome.",
            "operation",
            "outcome",
        )
        self.graphql_seconds = Labelled(
            Histogram(
                "accord_graphql_request_seconds",
                "Time to answer a GraphQL operation over HTTP.",
                ["operation"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            )
        )
        self.http_requests = counter(
            "accord_http_requests", "HTTP requests by route and status code.", "route", "status"
        )
        self.cache = counter("accord_response_cache", "Response cache lookups.", "result")
        self.fast_path = counter("accord_fast_path", "Reads answered by the compiled path.", "result")
        self.websocket_connections = gauge("accord_websocket_connections", "Open WebSocket connections.")
        self.subscriptions = gauge("accord_subscriptions", "Active subscriptions.")
        self._operations: set[str] = set()

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self._operations:
            return name
        if _NAME.match(name) and len(self._operations) < MAX_OPERATION_LABELS:
            self._operations.add(name)
            return name
        return "other"

    def render(self, *, connections: int, subscriptions: int, engines: Mapping[str, AsyncEngine]) -> Response:
        self.websocket_connections.set(connections)
        self.subscriptions.set(subscriptions)
        if self.multiprocess:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(PoolCollector(engines))
        else:
            registry = self.registry
            if not getattr(self, "_pool_registered", False):
                registry.register(PoolCollector(engines))
                self._pool_registered = True
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class PoolCollector:
    """Database connection pool use, read at scrape time (per process)."""

    def __init__(self, engines: Mapping[str, AsyncEngine]) -> None:
        self.engines = engines

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "accord_db_pool_connections", "Database connections by state.", labels=["engine", "state"]
        )
        for name, engine in self.engines.items():
            pool = engine.sync_engine.pool
            checked_out = getattr(pool, "checkedout", None)
            idle = getattr(pool, "checkedin", None)
            if callable(checked_out) and callable(idle):
                family.add_metric([name, "in_use"], float(checked_out()))
                family.add_metric([name, "idle"], float(idle()))
        yield family
