"""Variants on this instance's disk: built from the original on first request, then read from here.

Nothing here needs to be shared between instances or kept: a variant is a pure function of the
original's bytes (named by their hash), the width, the format and the encoder settings
(``VARIANT_RECIPE``, part of the path), so each instance builds what it is asked for, once, and the
directory can be emptied at any time. Files are written under a temporary name and renamed into
place, so a reader (another worker, another request) never sees half a file.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from accord.media.formats import VariantFormat
from accord.media.processing import VARIANT_RECIPE, render_variant_async
from accord.settings import Settings

log = logging.getLogger(__name__)

CACHE_DIR_NAME = "media-cache"


def cache_directory(settings: Settings) -> Path:
    """ACCORD_MEDIA_CACHE_DIR, else media-cache beside the SQLite file, else ./media-cache (the
    working directory: /data in the container image)."""
    if settings.media_cache_dir is not None:
        return Path(settings.media_cache_dir)
    database = settings.sqlite_path
    return (database.parent if database is not None else Path()) / CACHE_DIR_NAME


@dataclass(frozen=True, slots=True)
class VariantKey:
    content_hash: str
    width: int
    format: VariantFormat

    @property
    def etag(self) -> str:
        """Strong validator: what the bytes are made from, which never changes for a URL."""
        return f'"{self.content_hash[:32]}-{self.width}-{self.format.value}-r{VARIANT_RECIPE}"'

    @property
    def url_path(self) -> str:
        return f"/media/{self.content_hash}/{self.width}.{self.format.value}"


class VariantCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._root = directory / f"r{VARIANT_RECIPE}"
        # One build per variant at a time in this process: concurrent first requests wait for it.
        self._building: dict[VariantKey, asyncio.Future[bytes | None]] = {}
        self.built = 0

    def path(self, key: VariantKey) -> Path:
        digest = key.content_hash
        return self._root / digest[:2] / digest / f"{key.width}.{key.format.value}"

    async def get(self, key: VariantKey, original: Callable[[], Awaitable[bytes | None]]) -> bytes | None:
        """The variant's bytes: from disk, else built from ``original()`` (None: no such original)."""
        data = await asyncio.to_thread(_read, self.path(key))
        if data is not None:
            return data
        build = self._building.get(key)
        if build is None:
            # A task of its own: a client that goes away does not stop the build the others wait for.
            build = asyncio.ensure_future(self._build(key, original))
            self._building[key] = build
            build.add_done_callback(partial(self._built, key))
        return await asyncio.shield(build)

    def _built(self, key: VariantKey, build: asyncio.Future[bytes | None]) -> None:
        self._building.pop(key, None)
        if not build.cancelled() and build.exception() is not None:
            log.error("cannot build media variant %s", key.url_path, exc_info=build.exception())

    async def _build(self, key: VariantKey, original: Callable[[], Awaitable[bytes | None]]) -> bytes | None:
        source = await original()
        if source is None:
            return None
        data = await render_variant_async(source, key.width, key.format)
        self.built += 1
        try:
            await asyncio.to_thread(_write, self.path(key), data)
        except OSError as exc:  # a full or read-only disk costs speed (a build per request), not answers
            log.warning("cannot cache media variant %s: %s", key.url_path, exc)
        return data


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
