"""GraphQL over HTTP (the GraphQL-over-HTTP spec), GET and POST, on a Starlette route.

Written here rather than taken from strawberry's view so the transport rules are explicit:
``application/graphql-response+json`` with 4xx for requests that never reach execution,
``application/json`` with 200 for legacy clients, 405 for mutations over GET, 415 for bodies that
are not JSON (which also stops cross-site "simple" form posts). File uploads come as GraphQL
multipart requests (accord.http.multipart), from token holders only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import OperationType
from starlette.datastructures import QueryParams, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from accord.core.auth import Viewer
from accord.core.errors import Unauthenticated
from accord.core.locale import locale_from_accept_language
from accord.core.lru import ByteLRU
from accord.core.ratelimit import RateLimits, retry_after, token_key
from accord.feeds.caching import is_not_modified
from accord.http.apq import PersistedQueries, PersistedQueryError
from accord.http.multipart import (
    MULTIPART,
    MultipartError,
    MultipartRequest,
    Path,
    limited_body,
    media_type_of,
    read_multipart,
    with_files,
)
from accord.http.negotiation import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from accord.http.response_cache import CachedResponse, ResponseCache, cache_key, etag_of
from accord.observability.metrics import Metrics
from accord.observability.request_id import OPERATION
from accord.observability.tracing import CACHE_HIT, OPERATION_SPAN
from accord.operation.params import BadParams, GraphQLParams, json_param, params_from_mapping
from accord.operation.pipeline import OperationTimeout, Pipeline, refused
from accord.operation.prepare import Prepared
from accord.schema.context import ContextFactory
from accord.settings import Settings

GET_PARAMS_CACHE_BYTES = 4 * 1024 * 1024


class RequestError(Exception):
    """The HTTP request itself is unusable: answered with ``status`` before any GraphQL work (with
    the usual caching headers when the status is 200: a persisted query the server does not know)."""

    def __init__(
        self, status: int, message: str, code: str = "BAD_REQUEST", headers: Mapping[str, str] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = dict(headers or {})


def _params(data: Any) -> GraphQLParams:
    try:
        return params_from_mapping(data)
    except BadParams as exc:
        raise RequestError(400, str(exc)) from None


# GET parameters decoded once per distinct URL (hot persisted or cached queries repeat theirs);
# bounded by bytes, since every URL is the client's to choose.
_get_params: ByteLRU[GraphQLParams] = ByteLRU(max_bytes=GET_PARAMS_CACHE_BYTES, max_entries=1024)


def params_from_query_string(raw: bytes) -> GraphQLParams:
    found = _get_params.get(raw)
    if found is not None:
        return found
    qp = QueryParams(raw)
    try:
        params = params_from_mapping(
            {
                "query": qp.get("query"),
                "variables": json_param(qp.get("variables"), "variables"),
                "operationName": qp.get("operationName") or None,
                "extensions": json_param(qp.get("extensions"), "extensions"),
            }
        )
    except BadParams as exc:
        raise RequestError(400, str(exc)) from None
    _get_params.put(raw, params, 3 * len(raw) + 500)
    return params


async def read_params(
    request: Request, max_body: int, batch_max: int = 0
) -> GraphQLParams | list[GraphQLParams]:
    if request.method == "GET":
        return params_from_query_string(request.scope["query_string"])
    if media_type_of(request) != JSON:
        raise RequestError(415, "send the request as application/json", code="UNSUPPORTED_MEDIA_TYPE")
    too_large = RequestError(413, f"the request body is over {max_body} bytes", code="PAYLOAD_TOO_LARGE")
    body = b"".join([chunk async for chunk in limited_body(request, max_body, too_large)])
    if not body:
        raise RequestError(400, "the request body is empty: send a JSON object with a query")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestError(400, "the request body is not valid JSON") from None
    if isinstance(data, list):
        check_batch(len(data), batch_max)
        return [_params(item) for item in data]
    return _params(data)


def check_batch(size: int, batch_max: int) -> None:
    """A batch (of JSON requests or of multipart operations) against ACCORD_BATCH_MAX (0: none)."""
    if batch_max == 0:
        raise RequestError(400, "batched requests are not enabled on this server: send one operation")
    if not 1 <= size <= batch_max:
        raise RequestError(400, f"a batch holds 1 to {batch_max} operations")


def json_response(
    body: Any, status: int, media_type: str, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type=f"{media_type}; charset=utf-8", headers=headers
    )


def error_body(error: RequestError) -> dict[str, Any]:
    return {"errors": [{"message": str(error), "extensions": {"code": error.code}}]}


def error_response(error: RequestError, media_type: str) -> Response:
    return json_response(error_body(error), error.status, media_type, error.headers)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    cacheable: bool = False  # an anonymous read without errors: public caches may keep it
    etag: str | None = None
    version: int | None = None  # the content version a cacheable answer reflects, when known


def answer_of(status: int, body: Any, *, cacheable: bool = False) -> Answer:
    return Answer(status, orjson.dumps(body), cacheable)


@dataclass(eq=False)
class GraphQLHTTPEndpoint:
    settings: Settings
    pipeline: Pipeline
    contexts: ContextFactory
    metrics: Metrics
    rate_limits: RateLimits
    persisted_queries: PersistedQueries
    response_cache: ResponseCache | None
    content_version: Callable[[], Awaitable[int]]  # the newest change the answers may reflect
    graphiql: Callable[[Request], Awaitable[Response]]
    # The content version is read from the database (several processes write): an answer nothing
    # is kept for reads it in its own statement instead of in a round trip before it.
    version_in_statement: bool = False
    # The files of one multipart request (uploads), beside ``settings.max_body_bytes`` for the rest.
    max_upload_bytes: int = 15 * 1024 * 1024

    async def handle(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if request.method == "GET" and "text/html" in (accept or "") and "query" not in request.query_params:
            return await self.graphiql(request)
        media_type = response_media_type(accept)
        if media_type is None:
            return error_response(
                RequestError(406, f"accept {GRAPHQL_RESPONSE_JSON} or {JSON}", code="NOT_ACCEPTABLE"), JSON
            )
        metrics = self.metrics
        if request.method == "POST" and media_type_of(request) == MULTIPART:
            return await self.handle_multipart(request, media_type)
        started = time.perf_counter()
        operation = "anonymous"
        try:
            params = await read_params(request, self.settings.max_body_bytes, self.settings.batch_max)
            if isinstance(params, list):
                return await self.execute_batch(request, params, media_type)
            params = self.resolve_persisted(params)
            prepared = self.prepare(params)
            operation = metrics.operation_label(_operation_name(prepared, params))
            OPERATION.set(operation)
            # Opened before the response cache is asked, so a cached answer has its span too.
            with self.pipeline.operation_span(prepared, params.operation_name):
                answer = await self.answer(request, params, prepared, media_type)
            if answer.status == 200 and not prepared.errors:
                # Only documents that ran are kept: the store is not a place to park arbitrary text.
                self.persisted_queries.remember(params)
        except RequestError as error:
            metrics.graphql_requests.labels(operation, "refused" if error.status < 500 else "failed").inc()
            if error.status == 200:
                return self.respond(request, answer_of(200, error_body(error)), media_type)
            return error_response(error, media_type)
        metrics.graphql_seconds.labels(operation).observe(time.perf_counter() - started)
        metrics.graphql_requests.labels(operation, _outcome(answer)).inc()
        return self.respond(request, answer, media_type)

    async def handle_multipart(self, request: Request, media_type: str) -> Response:
        """A GraphQL multipart request (file uploads): the token is checked before the body is read,
        then each operation runs with its files in its variables. No caching: a token holder's."""
        try:
            await self.uploader(request)
            body = await self.read_upload(request)
        except RequestError as error:
            self.metrics.graphql_requests.labels("upload", "refused").inc()
            return error_response(error, media_type)
        try:
            answers: list[Any] = []
            for upload in body.operations:
                try:
                    params = _params(upload.request)
                    prepared = self.prepare(params)
                    answer = await self.execute(request, params, prepared, media_type, files=upload.files)
                except RequestError as error:
                    if not body.batch:
                        return error_response(error, media_type)
                    answers.append(error_body(error))
                    continue
                if not body.batch:
                    return self.respond(request, answer, media_type)
                answers.append(orjson.Fragment(answer.body))
            return json_response(answers, 200, media_type)
        finally:
            await body.close()

    async def uploader(self, request: Request) -> Viewer:
        """The token holder sending a multipart request: anyone else is refused before the body is
        read (a cross-site form can post multipart/form-data, never an Authorization header)."""
        if "authorization" not in request.headers:
            raise RequestError(
                401,
                "multipart requests (file uploads) need an editor's token: Authorization: Bearer <token>",
                code="UNAUTHENTICATED",
                headers={"WWW-Authenticate": "Bearer"},
            )
        viewer = await self.viewer(request)
        if viewer is None or not viewer.allows("create"):
            raise RequestError(403, "multipart requests (file uploads) need an editor's token", "FORBIDDEN")
        return viewer

    async def viewer(self, request: Request) -> Viewer | None:
        """The request's token holder (None: no token); an unknown or revoked token is a 401."""
        try:
            return await self.contexts.viewer_for(request.headers.get("authorization"))
        except Unauthenticated as exc:
            raise RequestError(401, str(exc), code=exc.code, headers={"WWW-Authenticate": "Bearer"}) from None

    async def read_upload(self, request: Request) -> MultipartRequest:
        settings = self.settings
        try:
            body = await read_multipart(
                request,
                max_bytes=self.max_upload_bytes + settings.max_body_bytes,
                max_field_bytes=settings.max_body_bytes,
            )
        except MultipartError as exc:
            if exc.too_large:
                raise RequestError(413, str(exc), code="PAYLOAD_TOO_LARGE") from None
            raise RequestError(400, str(exc)) from None
        if body.batch:
            try:
                check_batch(len(body.operations), settings.batch_max)
            except RequestError:
                await body.close()
                raise
        return body

    def respond(self, request: Request, answer: Answer, media_type: str) -> Response:
        """The HTTP response, with a strong ETag (304 on If-None-Match) and caching headers."""
        etag = answer.etag or etag_of(answer.body)
        headers = {"ETag": etag, "Vary": "Accept, Accept-Language, Authorization"}
        if answer.cacheable and request.method == "GET":
            headers["Cache-Control"] = f"public, max-age={self.settings.http_cache_seconds}"
        elif "authorization" in request.headers:
            headers["Cache-Control"] = "private, no-store"
        else:
            headers["Cache-Control"] = "no-cache"
        if answer.status == 200 and is_not_modified(request.headers, etag, None):
            return Response(status_code=304, headers=headers)
        return Response(answer.body, answer.status, headers, media_type=f"{media_type}; charset=utf-8")

    async def execute_batch(self, request: Request, batch: list[GraphQLParams], media_type: str) -> Response:
        answers: list[Any] = []
        for params in batch:
            try:
                params = self.resolve_persisted(params)
                answer = await self.execute(request, params, self.prepare(params), media_type)
                answers.append(orjson.Fragment(answer.body))
            except RequestError as error:
                answers.append(error_body(error))
        return json_response(answers, 200, media_type)

    def resolve_persisted(self, params: GraphQLParams) -> GraphQLParams:
        """The params with a persisted query's text filled in (Apollo's APQ protocol)."""
        try:
            return self.persisted_queries.resolve(params)
        except PersistedQueryError as exc:
            raise RequestError(200, str(exc), exc.code) from None

    def prepare(self, params: GraphQLParams) -> Prepared:
        if params.query is None:
            raise RequestError(400, "no GraphQL query found in the request")
        return self.pipeline.prepare(params.query)

    async def answer(
        self, request: Request, params: GraphQLParams, prepared: Prepared, media_type: str
    ) -> Answer:
        cache = self.response_cache
        if (
            cache is None
            or prepared.errors
            or "authorization" in request.headers
            or prepared.operation_type(params.operation_name) is not OperationType.QUERY
        ):
            return await self.execute(request, params, prepared, media_type)
        locale = locale_from_accept_language(request.headers.get("accept-language"))
        key = cache_key(
            prepared.digest,
            params.operation_name,
            prepared.variables_key(params.variables),
            locale,
            media_type,
        )
        # A client that asks for a fresh answer (Cache-Control: no-cache) gets one, and it is kept.
        fresh = "no-cache" in request.headers.get("cache-control", "").lower()
        if self.version_in_statement and (fresh or not cache.holds(key)):
            # Nothing kept to compare with: run, and keep the answer under the version the query
            # read itself (accord.operation.pipeline), one round trip instead of two.
            self._count_cache(hit=False)
            answer = await self.execute(request, params, prepared, media_type, with_version=True)
            version = answer.version
        else:
            # The version is read before the query runs: see accord.http.response_cache.
            try:
                version = await self.content_version()
            except Exception:
                return await self.execute(request, params, prepared, media_type)
            hit = None if fresh else cache.get(key, version)
            self._count_cache(hit=hit is not None)
            if hit is not None:
                return Answer(hit.status, hit.body, cacheable=True, etag=hit.etag)
            answer = await self.execute(request, params, prepared, media_type)
        if answer.cacheable and version is not None:
            cache.put(key, CachedResponse(version, answer.status, answer.body, etag_of(answer.body)))
        return answer

    def _count_cache(self, *, hit: bool) -> None:
        self.metrics.cache.labels("hit" if hit else "miss").inc()
        span = OPERATION_SPAN.get()
        if span is not None:
            span.set_attribute(CACHE_HIT, hit)

    async def execute(
        self,
        request: Request,
        params: GraphQLParams,
        prepared: Prepared,
        media_type: str,
        *,
        with_version: bool = False,
        files: list[tuple[Path, UploadFile]] | None = None,
    ) -> Answer:
        """The answer to one operation (with ``files``: put into its variables, a mutation's only)."""
        refusal = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
        cost, errors = self.pipeline.check(prepared, params.operation_name, params.variables)
        if errors:
            body = refused(errors).body()
            if cost:  # refused for its cost: the answer says what it would have cost
                body["extensions"] = {"cost": cost}
            return answer_of(refusal, body)
        kind = prepared.operation_type(params.operation_name)
        if kind is OperationType.SUBSCRIPTION:
            raise RequestError(
                405, "subscriptions are served over WebSocket and Server-Sent Events", "METHOD_NOT_ALLOWED"
            )
        if kind is OperationType.MUTATION and request.method == "GET":
            raise RequestError(
                405, "mutations are not allowed over GET: use POST", "METHOD_NOT_ALLOWED", {"Allow": "POST"}
            )
        if files and kind is not OperationType.MUTATION:
            raise RequestError(400, "files are sent with mutations (uploadImage), not with queries")
        viewer = await self.viewer(request)
        is_write = kind is OperationType.MUTATION
        if is_write:
            limits = self.rate_limits
            key = token_key(viewer.name) if viewer is not None else None
            wait = limits.check(limits.writes, request, key)
            if wait:
                message = f"too many requests: try again in {retry_after(wait)} s"
                raise RequestError(429, message, "RATE_LIMITED", {"Retry-After": retry_after(wait)})
        context = self.contexts.for_connection(request, viewer, writes=is_write)
        try:
            result = await self.pipeline.run(
                prepared,
                context,
                operation_name=params.operation_name,
                variables=with_files(params.variables, files) if files else params.variables,
                extensions=params.extensions,
                cost=cost,
                content_version=self.content_version if with_version else None,
            )
        except OperationTimeout as exc:
            raise RequestError(504, str(exc), "TIMEOUT") from None
        if not result.executed:
            return answer_of(refusal, result.body())
        cacheable = not result.errors and viewer is None and not is_write
        return Answer(200, orjson.dumps(result.body()), cacheable, version=result.version)


def _outcome(answer: Answer) -> str:
    if answer.etag is not None:
        return "cached"
    if answer.status >= 500:
        return "failed"
    if answer.status >= 400:
        return "refused"
    return "error" if b'"errors":' in answer.body[:12] else "ok"


def _operation_name(prepared: Prepared, params: GraphQLParams) -> str | None:
    if params.operation_name:
        return params.operation_name
    operation = prepared.operation(None)
    return operation.name.value if operation is not None and operation.name is not None else None
