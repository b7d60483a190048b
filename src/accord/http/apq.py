"""Automatic persisted queries (Apollo's APQ protocol).

A client sends ``extensions.persistedQuery.sha256Hash`` without the query; if the server knows the
hash it runs the stored document, otherwise it answers PERSISTED_QUERY_NOT_FOUND and the client
sends hash and query together once. Queries then travel as short GET URLs that CDNs can cache.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.http.graphql_http import GraphQLParams


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class PersistedQueries:
    def __init__(self, max_entries: int = 1_000, max_query_bytes: int = 20_000) -> None:
        self.max_entries = max_entries
        self.max_query_bytes = max_query_bytes
        self._queries: OrderedDict[str, str] = OrderedDict()

    def resolve(self, params: GraphQLParams) -> tuple[GraphQLParams, str | None]:
        """The params with their query filled in from the store, and the hash to remember the query
        under once it has run (when the client registers a new one)."""
        extension = (params.extensions or {}).get("persistedQuery")
        if extension is None:
            return params, None
        digest = _hash_of(extension)
        if params.query is None:
            stored = self._queries.get(digest)
            if stored is None:
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            self._queries.move_to_end(digest)
            return replace(params, query=stored), None
        if hashlib.sha256(params.query.encode()).hexdigest() != digest:
            raise PersistedQueryError("provided sha256Hash does not match the query", "BAD_REQUEST")
        return params, digest if digest not in self._queries else None

    def remember(self, digest: str, query: str) -> None:
        if len(query) > self.max_query_bytes:
            return
        self._queries[digest] = query
        self._queries.move_to_end(digest)
        if len(self._queries) > self.max_entries:
            self._queries.popitem(last=False)


def _hash_of(extension: Any) -> str:
    if not isinstance(extension, dict) or extension.get("version") != 1:
        raise PersistedQueryError("persistedQuery needs version 1", "PERSISTED_QUERY_NOT_SUPPORTED")
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError("persistedQuery.sha256Hash must be a SHA-256 hex digest", "BAD_REQUEST")
    return digest.lower()
