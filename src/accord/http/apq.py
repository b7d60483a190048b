"""Automatic persisted queries (Apollo's APQ protocol).

A client sends ``extensions.persistedQuery.sha256Hash`` without the query; if the server knows the
hash it runs the stored document, otherwise it answers PERSISTED_QUERY_NOT_FOUND and the client
sends hash and query together once. Queries then travel as short GET URLs that CDNs can cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from accord.core.lru import ByteLRU
from accord.operation.params import GraphQLParams

MAX_QUERY_BYTES = 20_000
STORE_BYTES = 8 * 1024 * 1024


class PersistedQueryError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class PersistedQueries:
    def __init__(self, max_entries: int = 1_000, max_query_bytes: int = MAX_QUERY_BYTES) -> None:
        self._queries: ByteLRU[str] = ByteLRU(
            max_bytes=STORE_BYTES, max_entries=max_entries, max_entry_bytes=max_query_bytes
        )

    def resolve(self, params: GraphQLParams) -> GraphQLParams:
        """The params with their query filled in from the store when the client sent only a hash."""
        digest = _digest(params)
        if digest is None:
            return params
        if params.query is None:
            stored = self._queries.get(digest)
            if stored is None:
                raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
            return replace(params, query=stored)
        if hashlib.sha256(params.query.encode("utf-8", "surrogatepass")).hexdigest() != digest:
            raise PersistedQueryError("provided sha256Hash does not match the query", "BAD_REQUEST")
        return params

    def remember(self, params: GraphQLParams) -> None:
        """Keep a query the client registered (call it once the query has run)."""
        digest = _digest(params)
        if digest is not None and params.query is not None and digest not in self._queries:
            self._queries.put(digest, params.query, len(params.query))


def _digest(params: GraphQLParams) -> str | None:
    extension: Any = (params.extensions or {}).get("persistedQuery")
    if extension is None:
        return None
    if not isinstance(extension, dict) or extension.get("version") != 1:
        raise PersistedQueryError("persistedQuery needs version 1", "PERSISTED_QUERY_NOT_SUPPORTED")
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError("persistedQuery.sha256Hash must be a SHA-256 hex digest", "BAD_REQUEST")
    return digest.lower()
