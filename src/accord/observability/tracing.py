"""Tracing (OpenTelemetry), opt-in: whether it is on, and the operation span of this context.

Nothing here imports OpenTelemetry. ``start_tracing`` imports ``accord.observability.otel`` (and
with it the SDK, the OTLP exporter and the instrumentations) only when an endpoint is configured,
so a server with tracing off loads none of it and pays for none of it: the code on the request
path tests ``tracing is None`` (or reads ``OPERATION_SPAN``, None when off) and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from accord.observability.otel import Tracing

TRACES_PATH = "/v1/traces"

# accord's span attributes, beside the semantic conventions' graphql.operation.name and .type.
COST = "accord.operation.cost"
COMPILED_PATH = "accord.operation.compiled_path"
ERRORS = "accord.operation.errors"
CACHE_HIT = "accord.response_cache.hit"
SUBSCRIBERS = "accord.subscription.subscribers"

# The span of the GraphQL operation being answered in this context (None: tracing is off, or no
# operation is open). A transport that works before the operation runs (HTTP's response cache)
# opens it first; the pipeline then adds to it instead of opening a second one.
OPERATION_SPAN: ContextVar[Span | None] = ContextVar("accord_operation_span", default=None)


def traces_endpoint(accord_endpoint: str | None, environ: Mapping[str, str]) -> tuple[bool, str | None]:
    """Whether tracing is on, and the URL spans are posted to (None: the exporter reads the standard
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` itself).

    ``ACCORD_OTEL_ENDPOINT`` is a collector's base URL, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` is: spans
    go to ``/v1/traces`` under it. ``OTEL_SDK_DISABLED=true`` turns tracing off whatever is set.
    """
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False, None
    if accord_endpoint:
        return True, accord_endpoint.rstrip("/") + TRACES_PATH
    standard = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    return any(environ.get(name, "").strip() for name in standard), None


def start_tracing(accord_endpoint: str | None, environ: Mapping[str, str]) -> Tracing | None:
    """The process's tracing, exporting OTLP over HTTP, or None when no endpoint is configured."""
    on, endpoint = traces_endpoint(accord_endpoint, environ)
    if not on:
        return None
    # Imported here, and only here: with tracing off, no OpenTelemetry module is ever loaded.
    from accord.observability.otel import Tracing

    return Tracing.exporting_to(endpoint)
