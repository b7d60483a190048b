"""GraphQL over HTTP (the GraphQL-over-HTTP spec), GET and POST, on a Starlette route.

Written here rather than taken from strawberry's view so the transport rules are explicit:
``application/graphql-response+json`` with 4xx for requests that never reach execution,
``application/json`` with 200 for legacy clients, 405 for mutations over GET, 415 for bodies that
are not JSON (which also stops cross-site "simple" form posts).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, get_operation_ast, parse
from graphql import OperationType as GraphQLOperationType
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from accord.http.apq import PersistedQueryError
from accord.http.negotiation import GRAPHQL_RESPONSE_JSON, JSON, response_media_type, wants_html
from accord.http.ratelimit import retry_after, token_key
from accord.http.response_cache import CachedResponse, cache_key, etag_of
from accord.observability.request_id import OPERATION
from accord.resolvers.errors import Unauthenticated
from accord.schema.localize import locale_from_accept_language
from accord.services import Services

GET_OPERATIONS = frozenset({OperationType.QUERY})
POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


class RequestError(Exception):
    """The HTTP request itself is unusable: answered with ``status`` before any GraphQL work."""

    def __init__(
        self, status: int, message: str, code: str = "BAD_REQUEST", headers: Mapping[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def _json_param(raw: str | None, name: str) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"the {name} parameter is not valid JSON") from None


def params_from_mapping(data: Any) -> GraphQLParams:
    if not isinstance(data, dict):
        raise RequestError(400, "the request body must be a JSON object with a query")
    query = data.get("query")
    variables = data.get("variables")
    operation_name = data.get("operationName")
    extensions = data.get("extensions")
    if query is not None and not isinstance(query, str):
        raise RequestError(400, "query must be a string")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "variables must be an object")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "operationName must be a string")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "extensions must be an object")
    return GraphQLParams(query, variables, operation_name, extensions)


@lru_cache(maxsize=1024)
def params_from_query_string(raw: bytes) -> GraphQLParams:
    """GET parameters, decoded once per distinct URL: hot persisted or cached queries repeat theirs."""
    qp = QueryParams(raw)
    return params_from_mapping(
        {
            "query": qp.get("query"),
            "variables": _json_param(qp.get("variables"), "variables"),
            "operationName": qp.get("operationName") or None,
            "extensions": _json_param(qp.get("extensions"), "extensions"),
        }
    )


async def read_params(
    request: Request, max_body: int, batch_max: int = 0
) -> GraphQLParams | list[GraphQLParams]:
    if request.method == "GET":
        return params_from_query_string(request.scope["query_string"])
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise RequestError(415, "send the request as application/json", code="UNSUPPORTED_MEDIA_TYPE")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise RequestError(413, f"the request body is over {max_body} bytes", code="PAYLOAD_TOO_LARGE")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_body:
            raise RequestError(413, f"the request body is over {max_body} bytes", code="PAYLOAD_TOO_LARGE")
    if not body:
        raise RequestError(400, "the request body is empty: send a JSON object with a query")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError(400, "the request body is not valid JSON") from None
    if isinstance(data, list):
        if batch_max == 0:
            raise RequestError(400, "batched requests are not enabled on this server: send one operation")
        if not data or len(data) > batch_max:
            raise RequestError(400, f"a batch holds 1 to {batch_max} operations")
        return [params_from_mapping(item) for item in data]
    return params_from_mapping(data)


def is_request_error(result: ExecutionResult) -> bool:
    """The document never executed: parse, validation or variable errors (none has a path)."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or [])


def result_body(result: ExecutionResult, *, include_data: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if include_data:
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def json_response(
    body: Any, status: int, media_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type=f"{media_type}; charset=utf-8", headers=headers
    )


def error_response(error: RequestError, media_type: str) -> Response:
    body = {"errors": [{"message": str(error), "extensions": {"code": error.code}}]}
    return json_response(body, error.status, media_type, error.headers)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    cacheable: bool = False  # an anonymous read without errors: public caches may keep it
    etag: str | None = None


def answer_of(status: int, body: Any, *, cacheable: bool = False) -> Answer:
    return Answer(status, orjson.dumps(body), cacheable)


class GraphQLHTTPEndpoint:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if request.method == "GET" and wants_html(accept) and "query" not in request.query_params:
            return await self.services.graphiql(request)
        media_type = response_media_type(accept)
        if media_type is None:
            return error_response(
                RequestError(406, f"accept {GRAPHQL_RESPONSE_JSON} or {JSON}", code="NOT_ACCEPTABLE"), JSON
            )
        settings = self.services.settings
        metrics = self.services.metrics
        started = time.perf_counter()
        operation = "anonymous"
        try:
            params = await read_params(request, settings.max_body_bytes, settings.batch_max)
            if isinstance(params, list):
                return await self.execute_batch(request, params, media_type)
            operation = metrics.operation_label(_operation_name(self.services, params))
            OPERATION.set(operation)
            answer = await self.answer(request, params, media_type)
        except RequestError as error:
            metrics.graphql_requests.labels(operation, "refused" if error.status < 500 else "failed").inc()
            return error_response(error, media_type)
        metrics.graphql_seconds.labels(operation).observe(time.perf_counter() - started)
        metrics.graphql_requests.labels(operation, _outcome(answer)).inc()
        return self.respond(request, answer, media_type)

    def respond(self, request: Request, answer: Answer, media_type: str) -> Response:
        """The HTTP response, with a strong ETag (304 on If-None-Match) and caching headers."""
        etag = answer.etag or etag_of(answer.body)
        headers = {"ETag": etag, "Vary": "Accept, Accept-Language, Authorization"}
        if answer.cacheable and request.method == "GET":
            headers["Cache-Control"] = f"public, max-age={self.services.settings.http_cache_seconds}"
        elif "authorization" in request.headers:
            headers["Cache-Control"] = "private, no-store"
        else:
            headers["Cache-Control"] = "no-cache"
        if answer.status == 200 and etag in _etags(request.headers.get("if-none-match")):
            return Response(status_code=304, headers=headers)
        return Response(answer.body, answer.status, headers, media_type=f"{media_type}; charset=utf-8")

    async def execute_batch(self, request: Request, batch: list[GraphQLParams], media_type: str) -> Response:
        answers = []
        for params in batch:
            try:
                answers.append((await self.execute(request, params, media_type))[1])
            except RequestError as error:
                answers.append({"errors": [{"message": str(error), "extensions": {"code": error.code}}]})
        return json_response(answers, 200, media_type)

    async def answer(self, request: Request, params: GraphQLParams, media_type: str) -> Answer:
        services = self.services
        try:
            params, to_remember = services.persisted_queries.resolve(params)
        except PersistedQueryError as exc:
            return answer_of(200, {"errors": [{"message": str(exc), "extensions": {"code": exc.code}}]})
        answer = await self._answer(request, params, media_type)
        if to_remember is not None and answer.status == 200:
            # Only documents that ran are kept: the store is not a place to park arbitrary text.
            services.persisted_queries.remember(to_remember, params.query or "")
        return answer

    async def _answer(self, request: Request, params: GraphQLParams, media_type: str) -> Answer:
        services = self.services
        cache = services.response_cache
        if (
            cache is None
            or params.query is None
            or "authorization" in request.headers
            or _is_mutation(services, params)
        ):
            status, body = await self.execute(request, params, media_type)
            return answer_of(status, body)
        locale = locale_from_accept_language(request.headers.get("accept-language"))
        key = cache_key(params.query, params.operation_name, params.variables, locale.value, media_type)
        # The version is read before the query runs: see accord.http.response_cache.
        try:
            version = await services.content_version()
        except Exception:
            status, body = await self.execute(request, params, media_type)
            return answer_of(status, body)
        hit = cache.get(key, version)
        services.metrics.cache.labels("hit" if hit is not None else "miss").inc()
        if hit is not None:
            return Answer(hit.status, hit.body, cacheable=True, etag=hit.etag)
        status, body = await self.execute(request, params, media_type)
        cacheable = status == 200 and "errors" not in body
        answer = answer_of(status, body, cacheable=cacheable)
        if cacheable:
            cache.put(key, CachedResponse(version, status, answer.body, etag_of(answer.body)))
        return answer

    async def execute(
        self, request: Request, params: GraphQLParams, media_type: str
    ) -> tuple[int, dict[str, Any]]:
        """(status, body) of one operation."""
        allowed = GET_OPERATIONS if request.method == "GET" else POST_OPERATIONS
        too_long = self.services.schema.check_tokens(params.query) if params.query is not None else None
        if too_long is not None:
            refused = ExecutionResult(data=None, errors=[too_long])
            return (400 if media_type == GRAPHQL_RESPONSE_JSON else 200), result_body(
                refused, include_data=False
            )
        try:
            viewer = await self.services.viewer_for(request.headers.get("authorization"))
        except Unauthenticated as exc:
            raise RequestError(401, str(exc), code=exc.code, headers={"WWW-Authenticate": "Bearer"}) from None
        is_write = params.query is not None and _is_mutation(self.services, params)
        if is_write:
            limits = self.services.rate_limits
            key = token_key(viewer.name) if viewer is not None else None
            wait = limits.check(limits.writes, request, key)
            if wait:
                raise _rate_limited(wait)
        context = await self.services.context_for(request, viewer, writes=is_write)
        fast = self.services.fast_path
        if fast is not None and params.query is not None:
            try:
                body = await asyncio.wait_for(
                    fast.answer(params.query, params.operation_name, params.variables, context),
                    timeout=self.services.settings.execution_timeout_seconds,
                )
            except TimeoutError:
                await context.db.close()
                limit = self.services.settings.execution_timeout_seconds
                raise RequestError(
                    504, f"the operation ran longer than {limit:g} s and was stopped", "TIMEOUT"
                ) from None
            self.services.metrics.fast_path.labels("answered" if body is not None else "declined").inc()
            if body is not None:
                await context.db.close()
                return 200, body
        try:
            result = await asyncio.wait_for(
                self.services.schema.execute(
                    params.query,
                    variable_values=params.variables,
                    context_value=context,
                    operation_name=params.operation_name,
                    allowed_operation_types=allowed,
                    operation_extensions=params.extensions,
                ),
                timeout=self.services.settings.execution_timeout_seconds,
            )
        except TimeoutError:
            limit = self.services.settings.execution_timeout_seconds
            raise RequestError(
                504, f"the operation ran longer than {limit:g} s and was stopped", "TIMEOUT"
            ) from None
        except MissingQueryError:
            raise RequestError(400, "no GraphQL query found in the request") from None
        except CannotGetOperationTypeError as exc:
            raise RequestError(400, exc.as_http_error_reason()) from None
        except InvalidOperationTypeError as exc:
            raise RequestError(
                405,
                exc.as_http_error_reason(request.method),
                code="METHOD_NOT_ALLOWED",
                headers={"Allow": "POST"},
            ) from None
        finally:
            await context.db.close()
        request_error = is_request_error(result)
        status = 400 if request_error and media_type == GRAPHQL_RESPONSE_JSON else 200
        return status, result_body(result, include_data=not request_error)


def _outcome(answer: Answer) -> str:
    if answer.etag is not None:
        return "cached"
    if answer.status >= 500:
        return "failed"
    if answer.status >= 400:
        return "refused"
    return "error" if b'"errors":' in answer.body[:12] else "ok"


def _operation_name(services: Services, params: GraphQLParams) -> str | None:
    if params.operation_name or params.query is None:
        return params.operation_name
    try:
        operation = get_operation_ast(cached_parse(params.query, services.schema.max_tokens), None)
    except GraphQLError:
        return None
    return operation.name.value if operation is not None and operation.name is not None else None


def _etags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {part.strip().removeprefix("W/") for part in header.split(",")}


def _rate_limited(wait: float) -> RequestError:
    return RequestError(
        429,
        f"too many requests: try again in {retry_after(wait)} s",
        "RATE_LIMITED",
        {"Retry-After": retry_after(wait)},
    )


def _is_mutation(services: Services, params: GraphQLParams) -> bool:
    """Whether the operation to run is a mutation (writes have their own, tighter, rate limit)."""
    assert params.query is not None
    try:
        document = cached_parse(params.query, services.schema.max_tokens)
    except GraphQLError:
        return False  # the executor reports the syntax error
    operation = get_operation_ast(document, params.operation_name)
    return operation is not None and operation.operation is GraphQLOperationType.MUTATION


@lru_cache(maxsize=512)
def cached_parse(query: str, max_tokens: int | None) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)
