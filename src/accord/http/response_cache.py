"""The response cache for anonymous reads.

An entry is keyed by the document, operation, variables, locale and response media type, and
stamped with the content version (the newest change-log id) read *before* the query ran: a write
bumps the version, so an entry is never served after the content it shows has changed. (A result
computed while a write commits is stored under the older version and simply misses next time.)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class CachedResponse:
    version: int
    status: int
    body: bytes
    etag: str


def cache_key(
    query: str, operation_name: str | None, variables: dict[str, Any] | None, locale: str, media: str
) -> str:
    material = orjson.dumps(
        [query, operation_name, variables or {}, locale, media], option=orjson.OPT_SORT_KEYS
    )
    return hashlib.blake2b(material, digest_size=20).hexdigest()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


class ResponseCache:
    def __init__(self, max_entries: int = 1_000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedResponse] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: str, version: int) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None or entry.version != version:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: str, entry: CachedResponse) -> None:
        if len(entry.body) > self.max_bytes // 8:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)

    def __len__(self) -> int:
        return len(self._entries)
