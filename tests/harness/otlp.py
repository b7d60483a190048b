"""An OTLP/HTTP trace receiver on 127.0.0.1, as a collector would be: it accepts ``POST /v1/traces``
with a protobuf body (``application/x-protobuf``, gzip or not), decodes each export with
opentelemetry-proto and keeps the spans, each with its service's resource attributes."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    kind: str  # SPAN_KIND_SERVER, SPAN_KIND_INTERNAL, SPAN_KIND_CLIENT, ...
    trace_id: str
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict[str, Any]
    resource: dict[str, Any]
    status: str  # STATUS_CODE_UNSET, STATUS_CODE_OK, STATUS_CODE_ERROR


@dataclass
class Export:
    """One POST the receiver answered."""

    path: str
    content_type: str
    headers: dict[str, str]
    spans: int


def value_of(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [value_of(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes_of(value.kvlist_value.values)
    return None if kind is None else getattr(value, kind)


def attributes_of(pairs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs:
        assert isinstance(pair, KeyValue)
        found[pair.key] = value_of(pair.value)
    return found


def spans_of(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = attributes_of(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    ReceivedSpan(
                        name=span.name,
                        kind=Span.SpanKind.Name(span.kind),
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        attributes=attributes_of(span.attributes),
                        resource=resource,
                        status=Status.StatusCode.Name(span.status.code),
                    )
                )
    return spans


@dataclass
class OTLPReceiver:
    port: int = 0
    spans: list[ReceivedSpan] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # what was sent anywhere but POST /v1/traces
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def received(self) -> list[ReceivedSpan]:
        with self.lock:
            return list(self.spans)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                content_type = self.headers.get("Content-Type", "")
                if self.path != TRACES_PATH or content_type != PROTOBUF:
                    with receiver.lock:
                        receiver.refused.append(f"POST {self.path} ({content_type})")
                    self.send_error(404 if self.path != TRACES_PATH else 415)
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                spans = spans_of(body)
                with receiver.lock:
                    receiver.spans.extend(spans)
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.exports.append(Export(self.path, content_type, headers, len(spans)))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", PROTOBUF)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self) -> None:
                with receiver.lock:
                    receiver.refused.append(f"GET {self.path}")
                self.send_error(405)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads what was received, not a log."""

        return Handler


@contextmanager
def otlp_receiver() -> Iterator[OTLPReceiver]:
    """A receiver on a free loopback port, serving in a thread until the block ends."""
    receiver = OTLPReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
