"""Tracing with OpenTelemetry: the process's tracer provider and accord's spans.

Imported only when tracing is on (``accord.observability.tracing.start_tracing``). The provider is
the application's own, never the global one, so applications built side by side in one process
(the tests) each trace to their own exporter. Spans:

- the HTTP request (a WebSocket connection, an SSE stream): ``TracedRequests``, which also
  continues a trace a caller started (W3C ``traceparent``);
- the GraphQL operation, opened by the pipeline (``accord.operation.pipeline``) whichever way the
  operation arrived: its type and name, cost, whether the compiled path answered it, whether the
  response cache did;
- each SQL statement: OpenTelemetry's SQLAlchemy instrumentation, on accord's engines only;
- each delivery of a subscription group: one execution for one milestone, and how many
  subscribers it went to (``accord.live.groups``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.instrumentation.sqlalchemy.version import __version__ as sqlalchemy_instrumentation
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, StatusCode
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.observability.middleware import PROBE_PATHS, route_of
from accord.observability.request_id import REQUEST_ID
from accord.observability.tracing import OPERATION_SPAN

# Operation names are the client's: a span keeps at most this much of one.
MAX_NAME = 100

# More of accord's span attributes (those the pipeline sets are in accord.observability.tracing).
REQUEST_ID_ATTRIBUTE = "accord.request_id"
CHANGE_ID = "accord.change_id"
REPLAY = "accord.subscription.replay"
DELIVERY = "subscription delivery"


def service_resource() -> Resource:
    """``service.name`` accord and its version, unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES
    say otherwise (the standard variables win over accord's defaults)."""
    try:
        version = metadata.version("accord")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        version = "unknown"
    defaults = Resource.create({SERVICE_NAME: "accord", SERVICE_VERSION: version})
    return defaults.merge(OTELResourceDetector().detect())


class Tracing:
    """The process's tracer provider, with the one span processor it was given."""

    def __init__(self, processor: SpanProcessor, resource: Resource | None = None) -> None:
        # The sampler comes from OTEL_TRACES_SAMPLER (default: every trace a caller did not decline).
        # Services.close shuts it down (flushing what is queued): no exit hook per provider.
        self.provider = TracerProvider(resource=resource or service_resource(), shutdown_on_exit=False)
        self.provider.sampler = NoStrayStatements(self.provider.sampler)
        self.provider.add_span_processor(processor)
        self.tracer = self.provider.get_tracer("accord")

    @classmethod
    def exporting_to(cls, endpoint: str | None) -> Tracing:
        """OTLP over HTTP (protobuf), in batches, to ``endpoint`` (a full URL ending in /v1/traces),
        or where OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT say; headers,
        timeout, compression and certificates from the other OTEL_EXPORTER_OTLP_* variables, the
        batching from OTEL_BSP_*."""
        return cls(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))

    def instrument(self, engines: Iterable[Engine]) -> None:
        """A span for each SQL statement these engines run (async engines: pass ``sync_engine``)."""
        tracer = self.provider.get_tracer(
            "opentelemetry.instrumentation.sqlalchemy", sqlalchemy_instrumentation
        )
        # The instrumentation also counts pool connections; accord's metrics do that already.
        unused = NoOpMeterProvider().get_meter("accord").create_up_down_counter("db.client.connections.usage")
        for engine in {id(engine): engine for engine in engines}.values():
            EngineTracer(tracer, engine, unused)  # type: ignore[no-untyped-call]  # (an untyped package)

    def shutdown(self) -> None:
        """Send what is still queued, then stop."""
        self.provider.shutdown()

    @contextmanager
    def operation(self, kind: str | None, name: str | None) -> Iterator[trace.Span]:
        """The span of one GraphQL operation, current (so SQL statements nest under it) and kept in
        OPERATION_SPAN while it is open. ``kind`` is None when the document names no such operation
        (it did not parse, say): the span is then called ``GraphQL Operation``."""
        attributes: dict[str, Any] = {}
        if kind is None:
            span_name = "GraphQL Operation"
        else:
            attributes["graphql.operation.type"] = span_name = kind
            if name:
                attributes["graphql.operation.name"] = name = name[:MAX_NAME]
                span_name = f"{kind} {name}"
        with self.tracer.start_as_current_span(span_name, attributes=attributes) as span:
            token = OPERATION_SPAN.set(span)
            try:
                yield span
            finally:
                OPERATION_SPAN.reset(token)

    @contextmanager
    def delivery(self, name: str | None, change_id: int, *, replay: bool) -> Iterator[trace.Span]:
        """The span of one execution of a subscription group for one milestone."""
        attributes: dict[str, Any] = {CHANGE_ID: change_id, REPLAY: replay}
        if name:
            attributes["graphql.operation.name"] = name[:MAX_NAME]
        with self.tracer.start_as_current_span(DELIVERY, attributes=attributes) as span:
            yield span


class NoStrayStatements(Sampler):
    """Drops a SQL statement that no request, operation or delivery is around, and samples the rest
    as the configured sampler does (OTEL_TRACES_SAMPLER). Without it, reading the change log (ten
    times a second on SQLite) and the /readyz probes would each make a trace of their own."""

    def __init__(self, configured: Sampler) -> None:
        self.configured = configured

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT and not trace.get_current_span(parent_context).get_span_context().is_valid:
            return SamplingResult(Decision.DROP)
        return self.configured.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"NoStrayStatements{{{self.configured.get_description()}}}"


class TracedRequests:
    """A server span for each HTTP request and WebSocket connection, continuing the caller's trace
    (W3C ``traceparent``, or what OTEL_PROPAGATORS names). Written here rather than taken from
    OpenTelemetry's ASGI instrumentation, which cost three times as much on a cached answer (it
    parses the query string, builds the full URL, wraps every message sent): see docs/operations.md.
    The query string is left out: a GET's holds the whole GraphQL document and its variables."""

    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        self.app = app
        self.tracer = tracing.provider.get_tracer("accord.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        path: str = scope.get("path", "")
        if kind not in ("http", "websocket") or path in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        route = route_of(path)
        method = scope.get("method", "GET")
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.scheme": scope.get("scheme", "http"),
            "url.path": path,
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        if route != "other":
            attributes["http.route"] = route
        client = scope.get("client")
        if client:
            attributes["client.address"] = client[0]
        request_id = REQUEST_ID.get()
        if request_id is not None:
            attributes[REQUEST_ID_ATTRIBUTE] = request_id
        verb = "WebSocket" if kind == "websocket" else method
        name = f"{verb} {route}" if route != "other" else verb
        parent = propagate.extract(scope.get("headers") or [], getter=ASGI_HEADERS)
        with self.tracer.start_as_current_span(
            name, context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:

            async def send_traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(StatusCode.ERROR)
                await send(message)

            await self.app(scope, receive, send_traced)


class AsgiHeaders(Getter[list[tuple[bytes, bytes]]]):
    """Reads propagation headers (``traceparent``, ``tracestate``, ``baggage``) from an ASGI scope's."""

    def get(self, carrier: list[tuple[bytes, bytes]], key: str) -> list[str] | None:
        wanted = key.lower().encode("latin-1")
        found = [value.decode("latin-1") for name, value in carrier if name == wanted]
        return found or None

    def keys(self, carrier: list[tuple[bytes, bytes]]) -> list[str]:
        return [name.decode("latin-1") for name, _ in carrier]


ASGI_HEADERS = AsgiHeaders()
