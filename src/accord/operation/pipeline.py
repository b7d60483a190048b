"""An operation's life after its transport has read it: prepare, check, run.

HTTP, WebSocket and the subscription groups all go through here, so the limits, the cost budget,
the compiled path and the one execution timeout apply the same way whichever way a document
arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult, FragmentDefinitionNode, GraphQLError, OperationType
from graphql.execution import Executor, execute_subscription_event
from graphql.execution.collect_fields import FragmentDetails, collect_fields
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import is_awaitable
from strawberry.types.graphql import OperationType as StrawberryOperationType

from accord.fastpath.service import FastPath
from accord.observability.metrics import Metrics
from accord.observability.tracing import COMPILED_PATH, COST, ERRORS, OPERATION_SPAN
from accord.operation.prepare import Limits, Prepared, Preparer
from accord.schema import AccordSchema
from accord.schema.context import PREPARED_DOCUMENT, Context

if TYPE_CHECKING:
    from opentelemetry.trace import Span

    from accord.observability.otel import Tracing


class OperationTimeout(Exception):
    """The operation ran past the execution timeout and was stopped."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"the operation ran longer than {limit:g} s and was stopped")
        self.limit = limit


@dataclass(slots=True)
class Result:
    """What an operation answered. ``executed`` is False when it never ran (its variables did not
    coerce, say): the errors then concern the request, and HTTP answers them with a 4xx."""

    data: Any = None
    errors: list[GraphQLError] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)
    executed: bool = True
    # The content version the answer reflects, when asked for (None: unknown, do not cache it).
    version: int | None = None
    compiled: bool = False  # answered by the compiled path (accord.fastpath), not by strawberry

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.errors:
            body["errors"] = [error.formatted for error in self.errors]
        if self.executed:
            body["data"] = self.data
        if self.extensions:
            body["extensions"] = self.extensions
        return body


def refused(errors: list[GraphQLError]) -> Result:
    return Result(errors=errors, executed=False)


class Pipeline:
    def __init__(
        self,
        schema: AccordSchema,
        limits: Limits,
        fast_path: FastPath | None,
        timeout_seconds: float,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self.schema = schema
        self.preparer = Preparer(schema._schema, limits)
        self.fast_path = fast_path
        self.timeout_seconds = timeout_seconds
        self.metrics = metrics
        self.tracing = tracing  # None: tracing is off (accord.observability.tracing)

    def prepare(self, query: str) -> Prepared:
        return self.preparer.prepare(query)

    def check(
        self, prepared: Prepared, operation_name: str | None, variables: dict[str, Any] | None
    ) -> tuple[int, list[GraphQLError]]:
        """The operation's cost, and the errors that refuse it before it runs (none: it may run)."""
        if prepared.errors:
            self.schema._process_errors(prepared.errors)
            return 0, prepared.errors
        if prepared.operation(operation_name) is None:
            reason = (
                f"the document has no operation named {operation_name!r}"
                if operation_name
                else "the document holds several operations: give operationName"
            )
            return 0, [GraphQLError(reason, extensions={"code": "BAD_REQUEST"})]
        cost, too_costly = self.preparer.check_cost(prepared, operation_name, variables)
        span = OPERATION_SPAN.get()
        if span is not None:  # refused for its cost, the span says what it would have cost
            span.set_attribute(COST, cost)
        return cost, [] if too_costly is None else [too_costly]

    def operation_span(
        self, prepared: Prepared, operation_name: str | None
    ) -> AbstractContextManager[Span | None]:
        """The operation's span, current while the operation runs: the one a transport opened
        already (HTTP opens it before its response cache is asked), else a new one; None when
        tracing is off."""
        current = OPERATION_SPAN.get()
        if self.tracing is None or current is not None:
            return nullcontext(current)
        operation = prepared.operation(operation_name)
        if operation is None:
            return self.tracing.operation(None, None)
        name = operation.name.value if operation.name is not None else None
        return self.tracing.operation(operation.operation.value, name)

    async def run(
        self,
        prepared: Prepared,
        context: Context,
        *,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None = None,
        cost: int,
        root_value: Any = None,
        content_version: Callable[[], Awaitable[int]] | None = None,
    ) -> Result:
        """Run a checked operation: the compiled path first for queries, then strawberry, both under
        one timeout. The request's database reader is closed when it returns.

        With ``content_version``, the result also says which content version it reflects: read by
        the compiled path's first statement in the same snapshot as the data (one round trip), or
        through ``content_version`` before strawberry runs."""
        PREPARED_DOCUMENT.set(prepared.document)

        async def work() -> Result:
            kind = prepared.operation_type(operation_name)
            viewer = context.viewer
            if kind is OperationType.MUTATION and viewer is not None and viewer.reads_only:
                # Refused whole, whatever its fields: a read-only token writes nothing, ever.
                message = f"the {viewer.role.value} role reads only: it may not run mutations"
                return Result(None, [GraphQLError(message, extensions={"code": "FORBIDDEN"})], {"cost": cost})
            if self.fast_path is not None and kind is OperationType.QUERY:
                assert prepared.document is not None
                document_key = prepared.digest + prepared.variables_key(variables)
                answered = await self.fast_path.answer(
                    prepared.document,
                    document_key,
                    operation_name,
                    variables,
                    context,
                    want_version=content_version is not None,
                )
                if self.metrics is not None:
                    self.metrics.fast_path.labels("answered" if answered is not None else "declined").inc()
                if answered is not None:
                    data, version = answered
                    return Result(data, extensions={"cost": cost}, version=version, compiled=True)
            # Read before strawberry runs: an answer is never kept under a version newer than its data.
            version = None if content_version is None else await content_version()
            result = await self.schema.execute(
                None,
                variable_values=variables,
                context_value=context,
                root_value=root_value,
                operation_name=operation_name,
                # Which operations a transport allows was decided before: strawberry runs any.
                allowed_operation_types=tuple(StrawberryOperationType),
                operation_extensions=extensions,
            )
            errors = list(result.errors or [])
            # Errors without a path never reached a field: the variables did not coerce.
            executed = not (result.data is None and errors and all(error.path is None for error in errors))
            told: dict[str, Any] = {"cost": cost} if executed else {}
            if executed and context.warnings:
                told["warnings"] = context.warnings
            return Result(result.data, errors, told, executed, version)

        with self.operation_span(prepared, operation_name) as span:
            if span is not None:
                span.set_attribute(COST, cost)
            async with self._in_time(context):
                result = await work()
            _describe(span, result)
            return result

    @asynccontextmanager
    async def _in_time(self, context: Context) -> AsyncIterator[None]:
        """The execution timeout around an operation; the request's database reader is closed after."""
        try:
            async with asyncio.timeout(self.timeout_seconds):
                yield
        except TimeoutError:
            raise OperationTimeout(self.timeout_seconds) from None
        finally:
            await context.db.close()

    def root_arguments(
        self, prepared: Prepared, operation_name: str | None, variables: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any]]:
        """The operation's root field (a subscription has exactly one) and its arguments, coerced
        the way execution coerces them (the compiled path reads arguments the same way); raises
        GraphQLError when the variables or arguments do not coerce."""
        operation = prepared.operation(operation_name)
        assert operation is not None and prepared.document is not None
        schema = self.schema._schema
        coerced = get_variable_values(schema, operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):
            raise coerced[0]
        root = schema.get_root_type(operation.operation)
        assert root is not None
        fragments = {
            d.name.value: FragmentDetails(d)
            for d in prepared.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        grouped = collect_fields(schema, fragments, coerced, root, operation).grouped_field_set
        details = next(iter(grouped.values()))
        name = details[0].node.name.value
        return name, get_argument_values(root.fields[name], details[0].node, coerced)

    async def run_event(
        self,
        prepared: Prepared,
        context: Context,
        *,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        root_value: Any,
    ) -> Result:
        """One event of a subscription: the operation's selection on ``root_value``, under the
        execution timeout. The database reader is closed when it returns."""
        with self.operation_span(prepared, operation_name) as span:
            async with self._in_time(context):
                built = Executor.build(
                    self.schema._schema,
                    prepared.document,  # type: ignore[arg-type]
                    root_value=root_value,
                    context_value=context,
                    raw_variable_values=variables,
                    operation_name=operation_name,
                )
                if isinstance(built, list):
                    executed = ExecutionResult(data=None, errors=built)
                else:
                    outcome = execute_subscription_event(built)
                    executed = await outcome if is_awaitable(outcome) else outcome  # type: ignore[assignment]
            errors = list(executed.errors or [])
            self.schema._process_errors(errors)
            result = Result(executed.data, errors)
            _describe(span, result)
            return result


def _describe(span: Span | None, result: Result) -> None:
    """What the operation's span says of how it was answered."""
    if span is None:
        return
    span.set_attribute(COMPILED_PATH, result.compiled)
    if result.errors:
        span.set_attribute(ERRORS, len(result.errors))
