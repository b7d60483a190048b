"""``GET /media/{content_hash}/{width}.{format}`` and ``/media/{content_hash}/{width}``.

An image is served only while an exhibit or event it is attached to is visible to the reader (for
anonymous readers: PUBLISHED), checked on every request (``MediaEndpoints._visible``; a positive answer is
remembered until the content version changes). Answers are immutable (the URL names the bytes), so
they carry a year of ``Cache-Control`` and a strong ETag; an unknown width redirects, permanently, to
the nearest variant; the URL without a format negotiates it from Accept (and says ``Vary: Accept``).
Client mistakes are short plain-text 4xx answers.

With ``?preview=VALUE`` (a preview link's value: accord.core.preview), an image the event of that
link shows is served whatever the event's status, so the preview page shows a draft's pictures.
Such an answer is ``private, no-store``: no shared cache keeps a picture that is not public yet.
A value that is malformed, forged, expired, signed with a rotated secret, or for an event that does
not show this image gets the same ``404`` as an unknown image.

With ``Authorization: Bearer`` a token that reads drafts (editor, admin, preview) gets the pictures
of drafts and archived content too, also ``private, no-store``: a frontend's server in preview mode
fetches them with its preview token. An unknown or revoked token, or another scheme, is a ``401``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from accord.content.model import EVENT
from accord.core.auth import authenticate, bearer_token
from accord.core.errors import BadInput, Unauthenticated
from accord.core.ids import from_global_id
from accord.core.preview import PreviewRefused, PreviewSecret, verify, well_formed
from accord.core.visibility import PUBLIC, Visibility, visibility_of
from accord.feeds.caching import is_not_modified
from accord.http.negotiation import preferred
from accord.media.cache import VariantCache, VariantKey, cache_directory
from accord.media.formats import (
    LARGEST_WIDTH_DIGITS,
    VariantFormat,
    served_formats,
    snap_width,
    variant_format,
)
from accord.media.store import OwnerKind, original_query, shown_on_query, visible_image_query
from accord.models.columns import utcnow
from accord.read.db import Reader, fetch_one
from accord.settings import Settings

CACHE_CONTROL = "public, max-age=31536000, immutable"
PREVIEW_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
HASH_RE = re.compile(r"[0-9a-f]{64}")
FILE_RE = re.compile(rf"([0-9]{{1,{LARGEST_WIDTH_DIGITS}}})(?:\.([A-Za-z0-9]{{1,8}}))?")
VISIBLE_KEPT = 10_000


def negotiate_format(accept: str | None) -> VariantFormat:
    """The format for a URL without one: AVIF or WebP when the client names it in Accept, else JPEG.

    Only explicit mentions count: ``*/*`` and ``image/*`` are sent by clients that cannot decode
    either, and JPEG is what every client shows. Among the named ones the higher q wins, then AVIF
    (smaller at the same quality). ``q=0`` refuses a format.
    """
    served = served_formats()
    offers = {fmt.media_type: fmt for fmt in (VariantFormat.AVIF, VariantFormat.WEBP) if fmt in served}
    found = preferred(accept, offers, lambda _, fmt: served.index(fmt)) if accept else None
    return found or VariantFormat.JPEG


@dataclass(frozen=True, slots=True)
class VisibleImage:
    id: int
    content_hash: str
    width: int
    height: int


def _image(row: Any) -> VisibleImage | None:
    return None if row is None else VisibleImage(row.id, row.content_hash, row.width, row.height)


class _VisibleImages:
    """Images found visible at one content version. Only positive answers are kept: a new image or
    a publish is seen at once, and every write moves the version on, which empties this."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.entries: dict[str, VisibleImage] = {}

    def get(self, content_hash: str, version: int | None) -> VisibleImage | None:
        if version is None:
            return None
        if version != self.version:
            self.version, self.entries = version, {}
        return self.entries.get(content_hash)

    def put(self, image: VisibleImage, version: int | None) -> None:
        if version is None or version != self.version:
            return
        if len(self.entries) >= VISIBLE_KEPT:
            self.entries.clear()
        self.entries[image.content_hash] = image


@dataclass(eq=False)
class MediaEndpoints:
    engine: AsyncEngine
    cache: VariantCache
    content_version: Callable[[], Awaitable[int]] | None = None
    preview_secret: PreviewSecret | None = None  # None: ``?preview=`` opens nothing
    visible: _VisibleImages = field(default_factory=_VisibleImages)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: AsyncEngine,
        content_version: Callable[[], Awaitable[int]] | None = None,
        preview_secret: PreviewSecret | None = None,
    ) -> MediaEndpoints:
        return cls(engine, VariantCache(cache_directory(settings)), content_version, preview_secret)

    def routes(self) -> list[Route]:
        return [Route("/media/{content_hash}/{file}", self.variant, methods=["GET"])]

    async def variant(self, request: Request) -> Response:
        content_hash: str = request.path_params["content_hash"]
        file: str = request.path_params["file"]
        if not HASH_RE.fullmatch(content_hash):
            return _problem(404, "no such image: media URLs are /media/{64 hex digits}/{width}.{format}")
        match = FILE_RE.fullmatch(file)
        if match is None:
            return _problem(400, "expected /media/{hash}/{width} or /media/{hash}/{width}.{format}")
        width = int(match.group(1))
        if width < 1:
            return _problem(400, "width must be a whole number of pixels from 1")
        extension = match.group(2)
        negotiated = extension is None
        if negotiated:
            fmt = negotiate_format(request.headers.get("accept"))
        else:
            found = variant_format(extension)
            if found is None:
                names = ", ".join(f.value for f in served_formats())
                return _problem(404, f"no such format {extension[:8]!r}: this server serves {names}")
            fmt = found
        preview = request.query_params.get("preview")
        authorization = request.headers.get("authorization")
        if preview is not None:
            image = await self._previewed(content_hash, preview)
            cache_headers = PREVIEW_HEADERS
        elif authorization is not None:
            try:
                token = bearer_token(authorization)
                assert token is not None
                visibility = visibility_of(await authenticate(self.engine, token))
            except Unauthenticated as exc:
                return _problem(401, str(exc))
            image = await self._visible(content_hash, visibility)
            cache_headers = PREVIEW_HEADERS
        else:
            image = await self._visible(content_hash)
            cache_headers = {"Cache-Control": CACHE_CONTROL}
        if image is None:
            return _problem(404, "no such image")
        snapped = snap_width(width, image.width)
        key = VariantKey(content_hash, snapped, fmt)
        if snapped != width:
            target = f"/media/{content_hash}/{snapped}" if negotiated else key.url_path
            if preview is not None:
                target += "?" + str(request.query_params)
            return RedirectResponse(target, status_code=301, headers=cache_headers)
        headers = {**cache_headers, "ETag": key.etag, "X-Content-Type-Options": "nosniff"}
        if negotiated:
            headers["Vary"] = "Accept"
            headers["Content-Location"] = key.url_path
        if is_not_modified(request.headers, key.etag, None):
            return Response(status_code=304, headers=headers)
        data = await self.cache.get(key, lambda: self._original(content_hash))
        if data is None:  # deleted between the check and the read
            return _problem(404, "no such image")
        return Response(data, media_type=fmt.media_type, headers=headers)

    async def _visible(self, content_hash: str, visibility: Visibility = PUBLIC) -> VisibleImage | None:
        """The image with this content hash when ``visibility`` may see it: when at least one exhibit
        or event it is attached to has one of the visible statuses. None: do not serve it. Only the
        public answer is remembered (a token holder's is not)."""
        version = None
        if visibility is PUBLIC and self.content_version is not None:
            version = await self.content_version()
        image = self.visible.get(content_hash, version)
        if image is None:
            image = _image(await self._fetch(visible_image_query(content_hash, visibility)))
            if image is not None:
                self.visible.put(image, version)
        return image

    async def _previewed(self, content_hash: str, value: str) -> VisibleImage | None:
        """The image when ``value`` is a valid preview link of an event that shows it."""
        if self.preview_secret is None or not well_formed(value):
            return None
        try:
            grant = verify(await self.preview_secret.value(), value, now=utcnow())
        except PreviewRefused:
            return None
        try:
            type_name, event_id = from_global_id(grant.global_id)
        except BadInput:  # never signed here
            return None
        if type_name != EVENT.name:  # preview links are made for events only
            return None
        return _image(await self._fetch(shown_on_query(content_hash, OwnerKind.EVENT, event_id)))

    async def _original(self, content_hash: str) -> bytes | None:
        row = await self._fetch(original_query(content_hash))
        return None if row is None else bytes(row.data)

    async def _fetch(self, statement: Executable) -> Any | None:
        """The statement's first row, on a connection of its own."""
        db = Reader(self.engine)
        try:
            return await fetch_one(db, statement)
        finally:
            await db.close()


def _problem(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status, headers={"Cache-Control": "no-store"})
