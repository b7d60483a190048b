"""The response cache for anonymous reads.

An entry is keyed by the document, operation, variables, locale and response media type, and
stamped with the content version (the newest change-log id) read *before* the query ran: a write
bumps the version, so an entry is never served after the content it shows has changed. (A result
computed while a write commits is stored under the older version and simply misses next time.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from accord.core.lru import ByteLRU


@dataclass(frozen=True, slots=True)
class CachedResponse:
    version: int
    status: int
    body: bytes
    etag: str


def cache_key(
    document: bytes, operation_name: str | None, variables: bytes, locale: str, media: str
) -> bytes:
    """The document's digest, the operation, the variables it declares, the locale and the media
    type (accord.operation.prepare.Prepared gives the first and the variables' key)."""
    material = b"\0".join(
        [
            document,
            (operation_name or "").encode("utf-8", "surrogatepass"),
            variables,
            locale.encode(),
            media.encode(),
        ]
    )
    return hashlib.blake2b(material, digest_size=20).digest()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


class ResponseCache:
    def __init__(self, max_entries: int = 1_000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries: ByteLRU[CachedResponse] = ByteLRU(max_bytes=max_bytes, max_entries=max_entries)
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes, version: int) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None or entry.version != version:
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, key: bytes, entry: CachedResponse) -> None:
        self._entries.put(key, entry, len(entry.body) + len(key) + len(entry.etag))

    def holds(self, key: bytes) -> bool:
        """Whether an answer is kept under ``key``, whatever its version."""
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)
